"""Settings: defaults, environment overrides, and bad values refused naming the variable."""

from __future__ import annotations

import os

import pytest

from expensehub.config import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No EXPENSEHUB_* variable of the test session (or the machine) leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("EXPENSEHUB_"):
            monkeypatch.delenv(name)


def test_one_data_location_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]) -> None:
    """The database and the files live in one folder that does not depend on the current directory."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.chdir("/")
    cfg = load_settings()
    home = os.path.join(str(tmp_path), "expensehub")
    assert cfg.data_dir == home
    assert cfg.database_url == "sqlite:///" + os.path.join(home, "expensehub.db")
    assert cfg.storage_dir == os.path.join(home, "files")
    assert cfg.reports_dir == os.path.join(home, "files", "reports")
    monkeypatch.delenv("XDG_DATA_HOME")
    assert load_settings().data_dir == os.path.join(os.path.expanduser("~"), ".local", "share", "expensehub")


def test_data_dir_moves_database_and_files_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPENSEHUB_DATA_DIR", "/srv/eh")
    cfg = load_settings()
    assert cfg.database_url == "sqlite:////srv/eh/expensehub.db"
    assert cfg.storage_dir == "/srv/eh/files"
    monkeypatch.setenv("EXPENSEHUB_DATABASE_URL", "postgresql+psycopg://app@db/eh")
    assert load_settings().database_url == "postgresql+psycopg://app@db/eh"
    assert load_settings().storage_dir == "/srv/eh/files"


def test_report_and_worker_defaults() -> None:
    cfg = load_settings()
    assert cfg.report_query_timeout_seconds == 60.0
    assert cfg.worker_interval_seconds == 30.0


def test_reports_dir_follows_the_storage_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPENSEHUB_STORAGE_DIR", "/srv/expensehub")
    assert load_settings().reports_dir == os.path.join("/srv/expensehub", "reports")
    assert Settings(storage_dir="/data").reports_dir == os.path.join("/data", "reports")


def test_report_and_worker_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPENSEHUB_STORAGE_DIR", "/srv/expensehub")
    monkeypatch.setenv("EXPENSEHUB_REPORTS_DIR", "/var/reports")
    monkeypatch.setenv("EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS", "12.5")
    monkeypatch.setenv("EXPENSEHUB_WORKER_INTERVAL_SECONDS", "5")
    cfg = load_settings()
    assert cfg.reports_dir == "/var/reports"
    assert cfg.report_query_timeout_seconds == 12.5
    assert cfg.worker_interval_seconds == 5.0


def test_webhook_defaults() -> None:
    cfg = load_settings()
    assert cfg.webhook_allow_private_targets is False
    assert cfg.webhook_timeout_seconds == 10.0
    assert cfg.webhook_max_response_bytes == 64 * 1024
    assert cfg.webhook_concurrency == 32
    assert cfg.webhook_batch_size == 50
    assert cfg.webhook_poll_seconds == 0.25
    assert cfg.webhook_lease_seconds == 60.0
    assert cfg.webhook_retry_scale == 1.0
    assert cfg.webhook_park_after_attempts == 8


def test_webhook_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "ALLOW_PRIVATE_TARGETS": "1",
        "TIMEOUT_SECONDS": "1.5",
        "MAX_RESPONSE_BYTES": "0",
        "CONCURRENCY": "4",
        "BATCH_SIZE": "7",
        "POLL_SECONDS": "0.05",
        "LEASE_SECONDS": "3",
        "RETRY_SCALE": "0",
        "PARK_AFTER_ATTEMPTS": "3",
    }.items():
        monkeypatch.setenv(f"EXPENSEHUB_WEBHOOK_{name}", value)
    cfg = load_settings()
    assert cfg.webhook_allow_private_targets is True
    assert cfg.webhook_timeout_seconds == 1.5
    assert cfg.webhook_max_response_bytes == 0
    assert cfg.webhook_concurrency == 4
    assert cfg.webhook_batch_size == 7
    assert cfg.webhook_poll_seconds == 0.05
    assert cfg.webhook_lease_seconds == 3.0
    assert cfg.webhook_retry_scale == 0.0
    assert cfg.webhook_park_after_attempts == 3


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS", "0", "greater than or equal to 0.1"),
        ("EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS", "-5", "greater than or equal to 0.1"),
        ("EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS", "soon", "valid number"),
        ("EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS", "nan", "finite number"),
        ("EXPENSEHUB_REPORT_QUERY_TIMEOUT_SECONDS", "inf", "finite number"),
        ("EXPENSEHUB_WORKER_INTERVAL_SECONDS", "0", "greater than or equal to 0.1"),
        ("EXPENSEHUB_WORKER_INTERVAL_SECONDS", "-1", "greater than or equal to 0.1"),
        ("EXPENSEHUB_WORKER_INTERVAL_SECONDS", "30s", "valid number"),
        ("EXPENSEHUB_WORKER_INTERVAL_SECONDS", "", "valid number"),
        ("EXPENSEHUB_REPORTS_DIR", "", "at least 1 character"),
        ("EXPENSEHUB_WEBHOOK_TIMEOUT_SECONDS", "0", "greater than 0"),
        ("EXPENSEHUB_WEBHOOK_TIMEOUT_SECONDS", "61", "less than or equal to 60"),
        ("EXPENSEHUB_WEBHOOK_MAX_RESPONSE_BYTES", "-1", "greater than or equal to 0"),
        ("EXPENSEHUB_WEBHOOK_CONCURRENCY", "0", "greater than or equal to 1"),
        ("EXPENSEHUB_WEBHOOK_CONCURRENCY", "many", "valid integer"),
        ("EXPENSEHUB_WEBHOOK_BATCH_SIZE", "1001", "less than or equal to 1000"),
        ("EXPENSEHUB_WEBHOOK_POLL_SECONDS", "0", "greater than 0"),
        ("EXPENSEHUB_WEBHOOK_LEASE_SECONDS", "-1", "greater than 0"),
        ("EXPENSEHUB_WEBHOOK_RETRY_SCALE", "-1", "greater than or equal to 0"),
        ("EXPENSEHUB_WEBHOOK_ALLOW_PRIVATE_TARGETS", "maybe", "valid boolean"),
        ("EXPENSEHUB_WEBHOOK_PARK_AFTER_ATTEMPTS", "0", "greater than or equal to 1"),
        ("EXPENSEHUB_WEBHOOK_PARK_AFTER_ATTEMPTS", "21", "less than or equal to 20"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    text = str(caught.value)
    assert text.startswith(f"invalid setting {variable}: "), text
    assert message in text
    assert repr(value) in text


def test_every_bad_variable_is_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPENSEHUB_WORKER_INTERVAL_SECONDS", "0")
    monkeypatch.setenv("EXPENSEHUB_WEBHOOK_CONCURRENCY", "0")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    text = str(caught.value)
    assert text.startswith("2 invalid settings:")
    assert "EXPENSEHUB_WORKER_INTERVAL_SECONDS" in text
    assert "EXPENSEHUB_WEBHOOK_CONCURRENCY" in text


def test_report_sandbox_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_settings()
    assert cfg.report_database_url is None  # the database URL, user replaced by the report role
    assert cfg.report_memory_limit_mb == 512
    url = "postgresql+psycopg://expensehub_report_login:s3cret@db.internal/expensehub"
    monkeypatch.setenv("EXPENSEHUB_REPORT_DATABASE_URL", url)
    monkeypatch.setenv("EXPENSEHUB_REPORT_MEMORY_LIMIT_MB", "256")
    cfg = load_settings()
    assert cfg.report_database_url == url
    assert cfg.report_memory_limit_mb == 256
    monkeypatch.setenv("EXPENSEHUB_REPORT_MEMORY_LIMIT_MB", "8")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "EXPENSEHUB_REPORT_MEMORY_LIMIT_MB" in str(info.value)
    assert "s3cret" not in str(info.value)
