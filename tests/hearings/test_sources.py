"""File and sample sources: NDJSON, JSON array, directory of .json, the bundled sample."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.hearings.sources import RawRecord, SourceError, read_path, read_sample

MEETING = {
    "eventId": "118001",
    "updateDate": "2025-09-02T10:00:00Z",
    "congress": 119,
    "chamber": "House",
    "title": "Oversight hearing",
}
OTHER = {
    "eventId": "118002",
    "updateDate": "2025-09-03T10:00:00Z",
    "congress": 119,
    "chamber": "Senate",
    "title": "Markup",
}


def line(value: object) -> bytes:
    return json.dumps(value).encode() + b"\n"


def write(path: Path, *chunks: bytes) -> Path:
    path.write_bytes(b"".join(chunks))
    return path


# -- NDJSON -------------------------------------------------------------------------------


def test_ndjson_wrapped_unwrapped_and_blank_lines(tmp_path):
    source = write(
        tmp_path / "day.ndjson",
        line({"committeeMeeting": MEETING}),
        b"\n",
        b"   \t \n",
        line(OTHER),
        b"\n",
        line({"committeeMeeting": OTHER, "request": {"format": "json"}}),
    )

    records = list(read_path(source))

    assert records == [RawRecord(1, MEETING), RawRecord(4, OTHER), RawRecord(6, OTHER)]
    assert [r.key for r in records] == ["118001", "118002", "118002"]


def test_invalid_json_line_is_an_error_record_and_the_rest_still_reads(tmp_path):
    source = write(
        tmp_path / "day.ndjson", line(MEETING), b"\n", b'{"eventId": "118003", "title": \n', b"NaN\n", line(OTHER)
    )

    records = list(read_path(source))

    assert [r.position for r in records] == [1, 3, 4, 5]
    broken, nan = records[1], records[2]
    assert broken.payload is None and broken.key == "#3"
    assert broken.error.startswith("line 3: invalid JSON: ")
    assert nan.error.startswith("line 4: invalid JSON") and "NaN" in nan.error
    assert records[3] == RawRecord(5, OTHER)


def test_invalid_utf8_line_is_an_error_record(tmp_path):
    source = write(tmp_path / "day.ndjson", line(MEETING), b'{"eventId": "118009", "title": "caf\xe9"}\n', line(OTHER))

    records = list(read_path(source))

    assert records[1] == RawRecord(2, None, error="line 2: invalid UTF-8: byte 0xe9 at offset 35")
    assert records[1].key == "#2"
    assert records[2] == RawRecord(3, OTHER)


def test_non_object_records_come_through_as_payloads(tmp_path):
    source = write(
        tmp_path / "odd.ndjson",
        line(MEETING),
        line(42),
        line("text"),
        line([1, 2]),
        line(None),
        line({"title": "no id"}),
        line({"eventId": "  "}),
        line({"eventId": True}),
    )

    records = list(read_path(source))

    assert [r.payload for r in records[1:5]] == [42, "text", [1, 2], None]
    assert all(r.error is None for r in records)
    assert [r.key for r in records] == ["118001", "#2", "#3", "#4", "#5", "#6", "#7", "#8"]


def test_bom_crlf_and_deep_nesting(tmp_path):
    source = write(
        tmp_path / "win.ndjson",
        b"\xef\xbb\xbf" + json.dumps(MEETING).encode() + b"\r\n",
        b"\r\n",
        b"[" * 100_000 + b"\r\n",
        json.dumps(OTHER).encode(),
    )  # no final newline

    records = list(read_path(source))

    assert records[0] == RawRecord(1, MEETING)
    assert records[1].position == 3 and "nested too deeply" in records[1].error
    assert records[2] == RawRecord(4, OTHER)


def test_format_is_decided_by_content_not_extension(tmp_path):
    ndjson_named_json = write(tmp_path / "day.json", line(MEETING), line(OTHER))
    array_named_ndjson = write(tmp_path / "day.ndjson", b"\n  " + json.dumps([MEETING, OTHER], indent=2).encode())

    assert [r.payload for r in read_path(ndjson_named_json)] == [MEETING, OTHER]
    assert list(read_path(array_named_ndjson)) == [RawRecord(1, MEETING), RawRecord(2, OTHER)]


def test_empty_and_blank_files_hold_no_records(tmp_path):
    assert list(read_path(write(tmp_path / "empty.ndjson"))) == []
    assert list(read_path(write(tmp_path / "blank.ndjson", b"\n \n\t\n"))) == []


def test_one_pretty_printed_response_is_one_record(tmp_path):
    response = {"committeeMeeting": MEETING, "request": {"format": "json"}}
    source = write(tmp_path / "one.json", json.dumps(response, indent=2).encode())

    assert list(read_path(source)) == [RawRecord(1, MEETING)]


def test_ndjson_is_streamed(tmp_path):
    """The first record arrives while the writer still holds the rest back."""
    fifo = tmp_path / "stream.ndjson"
    os.mkfifo(fifo)
    first_read = threading.Event()

    def writer() -> None:
        with open(fifo, "wb") as out:
            out.write(line(MEETING))
            out.flush()
            first_read.wait(timeout=5)
            out.write(line(OTHER))

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    records: Iterator[RawRecord] = read_path(fifo)
    assert next(records) == RawRecord(1, MEETING)
    first_read.set()
    assert list(records) == [RawRecord(2, OTHER)]
    thread.join(timeout=5)


# -- JSON array ---------------------------------------------------------------------------


def test_json_array_positions_are_1_based_indexes(tmp_path):
    values = [{"committeeMeeting": MEETING}, OTHER, 7, {"title": "no id"}]
    source = write(tmp_path / "day.json", json.dumps(values, indent=1).encode())

    records = list(read_path(source))

    assert records == [RawRecord(1, MEETING), RawRecord(2, OTHER), RawRecord(3, 7), RawRecord(4, {"title": "no id"})]
    assert [r.key for r in records] == ["118001", "118002", "#3", "#4"]


def test_broken_json_array_is_a_source_error(tmp_path):
    source = write(tmp_path / "day.json", b'[\n {"eventId": "1"},\n {"eventId": \n]')

    with pytest.raises(SourceError) as failed:
        read_path(source)  # refused before any record is handed out
    message = str(failed.value)
    assert str(source) in message and "JSON array" in message and "NDJSON" in message


# -- directory ----------------------------------------------------------------------------


def test_directory_of_json_files_in_name_order(tmp_path):
    folder = tmp_path / "responses"
    folder.mkdir()
    write(folder / "b.json", json.dumps({"committeeMeeting": OTHER, "request": {}}).encode())
    write(folder / "a.json", json.dumps(MEETING, indent=2).encode())
    write(folder / "c.JSON", b"not json at all")
    write(folder / "d.json", b"\xef\xbb\xbf" + json.dumps(["x"]).encode())
    write(folder / "notes.txt", b"ignored")
    write(folder / ".hidden.json", b"ignored")
    (folder / "sub.json").mkdir()

    records = list(read_path(folder))

    assert records[:2] == [RawRecord(1, MEETING), RawRecord(2, OTHER)]
    assert records[2].position == 3 and records[2].payload is None
    assert records[2].error.startswith("file c.JSON: invalid JSON")
    assert records[3] == RawRecord(4, ["x"])
    assert len(records) == 4


def test_unreadable_file_in_a_directory_is_an_error_record(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    folder = tmp_path / "responses"
    folder.mkdir()
    locked = write(folder / "a.json", line(MEETING))
    locked.chmod(0)
    try:
        [record] = list(read_path(folder))
    finally:
        locked.chmod(0o644)
    assert record.error.startswith("file a.json: cannot be read")


def test_empty_directory_is_a_source_error(tmp_path):
    (tmp_path / "readme.txt").write_text("no json here")
    with pytest.raises(SourceError, match="no .json files") as failed:
        read_path(tmp_path)
    assert str(tmp_path) in str(failed.value)


def test_missing_path_is_a_source_error_raised_at_once(tmp_path):
    missing = tmp_path / "nowhere.ndjson"
    with pytest.raises(SourceError) as failed:
        read_path(missing)  # no iteration needed
    message = str(failed.value)
    assert str(missing) in message
    assert "no such file or directory" in message
    assert "--source sample" in message


# -- the bundled sample -------------------------------------------------------------------


def test_sample_yields_1168_meetings_with_unique_keys():
    records = list(read_sample())

    assert len(records) == 1168
    assert len({r.key for r in records}) == 1168
    assert all(r.error is None and isinstance(r.payload, dict) for r in records)
    assert [r.position for r in records] == list(range(1, 1169))
    assert all(not r.key.startswith("#") for r in records)
    assert records[0].payload["eventId"] == records[0].key
    assert all(r.update_date for r in records)


def test_sample_parses_like_the_file(tmp_path):
    from importlib import resources

    data = resources.files("adapters.hearings").joinpath("data").joinpath("meetings.ndjson")
    copy = write(tmp_path / "meetings.ndjson", data.read_bytes())
    assert list(read_path(copy)) == list(read_sample())
