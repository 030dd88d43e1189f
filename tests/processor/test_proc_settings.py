"""Settings from the environment and ``.env``: the generic variables, a job's subclass adding its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

import sqlbatch
from sqlbatch import ConfigurationError, Settings, load_settings


class JobSettings(Settings):
    """A job's own variables, secrets among them (as a job adds its API key)."""

    service_api_key: SecretStr | None = None
    db_password: SecretStr | None = None
    client_secret: SecretStr | None = None


VARS = tuple(name.upper() for name in JobSettings.model_fields)  # every variable the tests read


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
    assert not any("congress" in name for name in Settings.model_fields)  # the core names no job


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_SIZE", "25")
    monkeypatch.setenv("ROLLBACK_STRATEGY", "session")
    monkeypatch.setenv("ON_BATCH_FAILURE", "skip-batch")
    monkeypatch.setenv("ENABLE_BATCH_PROCESSING", "false")
    monkeypatch.setenv("BATCH_VALIDATION_TIMEOUT", "12.5")
    monkeypatch.setenv("SERVICE_API_KEY", "k-123")
    s = load_settings(JobSettings)
    assert (s.batch_size, s.rollback_strategy, s.on_batch_failure) == (25, "session", "skip-batch")
    assert s.enable_batch_processing is False and s.batch_validation_timeout == 12.5
    assert s.service_api_key is not None and s.service_api_key.get_secret_value() == "k-123"
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
    monkeypatch.setenv("SERVICE_API_KEY", "super-secret-key")
    if where == "env":
        monkeypatch.setenv(name, value)
    else:
        (tmp_path / ".env").write_text(f"{name}={value}\n")
    with pytest.raises(ConfigurationError) as info:
        load_settings(JobSettings)
    text = str(info.value)
    assert name in text and repr(value) in text
    assert "super-secret-key" not in text


def test_several_bad_values_are_all_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_SIZE", "x")
    monkeypatch.setenv("ON_BATCH_FAILURE", "y")
    text = str(pytest.raises(ConfigurationError, load_settings).value)
    assert "BATCH_SIZE" in text and "ON_BATCH_FAILURE" in text


@pytest.mark.parametrize("field", ["service_api_key", "db_password", "client_secret"])
def test_secret_never_shown(monkeypatch: pytest.MonkeyPatch, field: str) -> None:
    # even when something about the key itself were wrong, its value stays hidden
    with pytest.raises(ConfigurationError) as info:
        load_settings(JobSettings, **{field: ["not", "a", "string", "secret-value"]})
    assert field.upper() in str(info.value) and "secret-value" not in str(info.value)
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


def _apply(uow, batch):
    return None


@pytest.mark.parametrize(
    "kw,message",
    [
        ({"apply": "not callable"}, "Processor(apply='not callable'): apply must be callable"),
        ({"batch_size": 0}, "Processor(batch_size=0): must be >= 1"),
        ({"batch_size": 2.5}, "Processor(batch_size=2.5): must be an integer"),
        ({"batch_size": True}, "Processor(batch_size=True): must be an integer"),
        ({"on_failure": "nope"}, "Processor(on_failure='nope'): use 'isolate' or 'skip-batch'"),
        ({"prepare": 3}, "Processor(prepare=3): prepare must be callable"),
        ({"record_validators": [print, 3]}, "every validator must be callable"),
        ({"batch_validators": "abc"}, "Processor(batch_validators='abc'): must be a list of validators"),
        ({"final_validators": 7}, "Processor(final_validators=7): must be a list of validators"),
        ({"key": None}, "Processor(key=None): key must be callable"),
        ({"cursor": "c"}, "Processor(cursor='c'): cursor must be callable"),
        ({"validation_budget_ms": -1}, "Processor(validation_budget_ms=-1): must be > 0"),
        ({"validation_budget_ms": 0}, "Processor(validation_budget_ms=0): must be > 0"),
        ({"validation_budget_ms": float("nan")}, "Processor(validation_budget_ms=nan): must be a number"),
        ({"commit_interval_ms": -1}, "Processor(commit_interval_ms=-1): must be >= 0"),
        ({"commit_interval_ms": "5"}, "Processor(commit_interval_ms='5'): must be a number"),
        ({"all_or_nothing": "yes"}, "Processor(all_or_nothing='yes'): must be True or False"),
        ({"backup_dir": 5}, "Processor(backup_dir=5): must be a folder path or None"),
        ({"backup_retention": 0}, "Processor(backup_retention=0): must be >= 1"),
        ({"retry": 3}, "Processor(retry=3): must be a sqlbatch.RetryPolicy or None"),
        ({"job": ""}, "Processor(job=''): must be a non-empty string"),
        ({"keep_undo": None}, "Processor(keep_undo=None): must be True or False"),
        ({"undo_retention_days": -5}, "Processor(undo_retention_days=-5): must be >= 0"),
        ({"progress": 1}, "Processor(progress=1): progress must be callable"),
        ({"clock": None}, "Processor(clock=None): clock must be callable"),
        ({"lease": object()}, "must have acquire(timeout) and release()"),
        ({"lock_timeout": -0.5}, "Processor(lock_timeout=-0.5): must be >= 0"),
        ({"setup": "seed"}, "Processor(setup='seed'): setup must be callable"),
        ({"strategy": "nope"}, "unit_of_work(strategy='nope'): unknown strategy"),
        ({"no_such_option": 1}, "no_such_option"),
    ],
)
def test_every_processor_argument_is_checked_naming_the_call(tmp_path: Path, kw: dict, message: str) -> None:
    conn = sqlbatch.connect(tmp_path / "x.db")
    kw = {"apply": _apply, **kw}
    with pytest.raises(ConfigurationError) as info:
        sqlbatch.Processor(conn, **kw)
    assert message in str(info.value)
    conn.close()


def test_processor_config_object_is_the_same_check(tmp_path: Path) -> None:
    config = sqlbatch.ProcessorConfig(_apply, batch_size=7, strategy="savepoint")
    assert config.batch_size == 7 and config.strategy_name == "savepoint" and config.retry == sqlbatch.RetryPolicy()
    with pytest.raises(ConfigurationError, match=r"Processor\(backup_retention=0\): must be >= 1"):
        sqlbatch.ProcessorConfig(_apply, backup_retention=0)
    conn = sqlbatch.connect(tmp_path / "x.db")
    assert sqlbatch.Processor(conn, config=config).config is config
    with pytest.raises(ConfigurationError, match="config alone"):
        sqlbatch.Processor(conn, _apply, config=config)
    conn.close()


@pytest.mark.parametrize(
    "kw,message",
    [
        ({"max_wait": -1}, "RetryPolicy(max_wait=-1): must be a number >= 0"),
        ({"max_seconds": -1}, "RetryPolicy(max_seconds=-1): must be a number >= 0"),
        ({"initial_wait": -0.1}, "RetryPolicy(initial_wait=-0.1): must be a number >= 0"),
        ({"initial_wait": float("inf")}, "RetryPolicy(initial_wait=inf): must be a number >= 0"),
        ({"max_seconds": "30"}, "RetryPolicy(max_seconds='30'): must be a number >= 0"),
        ({"max_attempts": 0}, "RetryPolicy(max_attempts=0): must be an integer >= 1"),
        ({"max_attempts": 2.5}, "RetryPolicy(max_attempts=2.5): must be an integer >= 1"),
        (
            {"initial_wait": 3, "max_wait": 2},
            "RetryPolicy(initial_wait=3, max_wait=2): initial_wait must be <= max_wait",
        ),
        ({"sleep": None}, "RetryPolicy(sleep=None): must be callable"),
    ],
)
def test_every_retry_policy_field_is_checked_naming_the_call(kw: dict, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        sqlbatch.RetryPolicy(**kw)
    assert message in str(info.value)
