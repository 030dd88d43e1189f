"""What durable before-images cost: bytes stored in ``sqlbatch_undo`` per real meeting.

The 1,168 real meetings into a new database, per strategy. The bound is generous (a guard
against a blow-up, e.g. uncompressed or duplicated images); the measured figures are in the
lead's report. A memory/savepoint change carries every column, a session UPDATE only the
changed ones, so the strategies differ a little.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import revert as rs

BOUND_BYTES_PER_MEETING = 1024


@pytest.mark.parametrize("strategy", rs.STRATEGIES)
def test_undo_bytes_per_meeting(
    tmp_path: Path, payloads: list[dict[str, Any]], strategy: str, record_property: Any
) -> None:
    path = tmp_path / f"size-{strategy}.db"
    result = rs.update(path, payloads, strategy)
    assert result.metrics.records_added == len(payloads) == 1168
    ((rows, changes, data, keys),) = rs.query(
        path, "SELECT count(*), sum(changes), sum(length(data)), sum(length(keys)) FROM sqlbatch_undo"
    )
    assert rows == result.metrics.batch_count + 1  # one row per committed batch, and batch 0: the setup (committees)
    written = sum(len(v) for v in rs.exact_snapshot(path).values())  # the committees too: the run seeds them
    assert changes == written  # every row the run wrote has its before-image
    per_meeting = (data + (keys or 0)) / len(payloads)
    record_property("undo_bytes_per_meeting", round(per_meeting, 1))
    assert 0 < per_meeting < BOUND_BYTES_PER_MEETING
