"""Settings from the environment and ``.env`` (DESIGN §4)."""

from __future__ import annotations

from pathlib import Path

import pytest

import sqlbatch
from sqlbatch import ConfigurationError, load_settings

VARS = (
    "ENABLE_BATCH_PROCESSING",
    "BATCH_SIZE",
    "BATCH_VALIDATION_TIMEOUT",
    "ROLLBACK_STRATEGY",
    "ON_BATCH_FAILURE",
    "COMMIT_INTERVAL_MS",
    "MAX_RETRY_SECONDS",
    "BACKUP_RETENTION",
    "CONGRESS_API_KEY",
    "CONGRESS_API_BASE_URL",
)


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults() -> None:
    s = load_settings()
    assert (s.enable_batch_processing, s.batch_size, s.batch_validation_timeout) == (True, 50, 200)
    assert (s.rollback_strategy, s.on_batch_failure, s.commit_interval_ms) == ("memory", "isolate", 0)
    assert s.congress_api_key is None and s.congress_api_base_url == "https://api.congress.gov/v3"


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_SIZE", "25")
    monkeypatch.setenv("ROLLBACK_STRATEGY", "session")
    monkeypatch.setenv("ON_BATCH_FAILURE", "skip-batch")
    monkeypatch.setenv("ENABLE_BATCH_PROCESSING", "false")
    monkeypatch.setenv("BATCH_VALIDATION_TIMEOUT", "12.5")
    monkeypatch.setenv("CONGRESS_API_KEY", "k-123")
    s = load_settings()
    assert (s.batch_size, s.rollback_strategy, s.on_batch_failure) == (25, "session", "skip-batch")
    assert s.enable_batch_processing is False and s.batch_validation_timeout == 12.5
    assert s.congress_api_key.get_secret_value() == "k-123"
    assert "k-123" not in repr(s) and "k-123" not in str(s.model_dump())


@pytest.mark.parametrize(
    "text,expected",
    [("true", True), ("false", False), ("0", False), ("1", True), ("FALSE", False), ("yes", True), ("off", False)],
)
def test_flag_spellings(monkeypatch: pytest.MonkeyPatch, text: str, expected: bool) -> None:
    monkeypatch.setenv("ENABLE_BATCH_PROCESSING", text)
    assert load_settings().enable_batch_processing is expected


def test_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "BATCH_SIZE=10\nROLLBACK_STRATEGY=savepoint\nON_BATCH_FAILURE=skip-batch\n"
        "ENABLE_BATCH_PROCESSING=false\nBATCH_VALIDATION_TIMEOUT=5\nCONGRESS_API_KEY=from-file\n"
    )
    s = load_settings()
    assert (s.batch_size, s.rollback_strategy, s.on_batch_failure) == (10, "savepoint", "skip-batch")
    assert s.enable_batch_processing is False and s.batch_validation_timeout == 5


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("BATCH_SIZE=10\n")
    monkeypatch.setenv("BATCH_SIZE", "7")
    assert load_settings().batch_size == 7


@pytest.mark.parametrize(
    "name,value",
    [
        ("BATCH_SIZE", "0"),
        ("BATCH_SIZE", "fifty"),
        ("BATCH_SIZE", "-3"),
        ("ROLLBACK_STRATEGY", "journal"),
        ("ON_BATCH_FAILURE", "ignore"),
        ("ENABLE_BATCH_PROCESSING", "maybe"),
        ("BATCH_VALIDATION_TIMEOUT", "0"),
        ("BATCH_VALIDATION_TIMEOUT", "soon"),
        ("BACKUP_RETENTION", "0"),
        ("COMMIT_INTERVAL_MS", "-1"),
    ],
)
@pytest.mark.parametrize("where", ["env", "dotenv"])
def test_bad_values_name_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, where: str
) -> None:
    monkeypatch.setenv("CONGRESS_API_KEY", "super-secret-key")
    if where == "env":
        monkeypatch.setenv(name, value)
    else:
        (tmp_path / ".env").write_text(f"{name}={value}\n")
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    text = str(info.value)
    assert name in text and repr(value) in text
    assert "super-secret-key" not in text


def test_several_bad_values_are_all_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_SIZE", "x")
    monkeypatch.setenv("ON_BATCH_FAILURE", "y")
    text = str(pytest.raises(ConfigurationError, load_settings).value)
    assert "BATCH_SIZE" in text and "ON_BATCH_FAILURE" in text


def test_api_key_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    # even when something about the key itself were wrong, its value stays hidden
    with pytest.raises(ConfigurationError) as info:
        load_settings(congress_api_key=["not", "a", "string", "secret-value"])
    assert "CONGRESS_API_KEY" in str(info.value) and "secret-value" not in str(info.value)
    assert "<hidden>" in str(info.value)


def test_configuration_error_is_a_value_error() -> None:
    assert issubclass(ConfigurationError, ValueError) and issubclass(ConfigurationError, sqlbatch.SqlbatchError)


@pytest.mark.parametrize(
    "kw,word",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"on_failure": "nope"}, "on_failure"),
        ({"commit_interval_ms": -1}, "commit_interval_ms"),
        ({"strategy": "nope"}, "strategy"),
    ],
)
def test_processor_arguments_checked_at_construction(tmp_path: Path, kw: dict, word: str) -> None:
    conn = sqlbatch.connect(tmp_path / "x.db")
    with pytest.raises(ConfigurationError, match=word):
        sqlbatch.Processor(conn, lambda u, b: None, **kw)
    conn.close()
