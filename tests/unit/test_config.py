"""Settings: flag beats variable beats default; secrets never shown."""

from __future__ import annotations

import pytest

from podium.config import Settings


def test_defaults_bind_to_loopback_with_a_local_sqlite_file() -> None:
    settings = Settings.from_env({})
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert settings.db == "sqlite:///podium.db"


def test_variables_override_defaults_and_overrides_beat_variables() -> None:
    env = {"PODIUM_PORT": "9000", "PODIUM_DEMO": "true", "PODIUM_SWEEP_INTERVAL": "0.5"}
    settings = Settings.from_env(env, port=9100)
    assert settings.port == 9100
    assert settings.demo is True
    assert settings.sweep_interval == 0.5


def test_a_bad_boolean_is_refused_with_the_variable_name() -> None:
    with pytest.raises(ValueError, match="PODIUM_DEMO"):
        Settings.from_env({"PODIUM_DEMO": "maybe"})


def test_only_conductor_env_variables_reach_workflow_env() -> None:
    env = {"CONDUCTOR_ENV_REGION": "eu", "AWS_SECRET_ACCESS_KEY": "x"}
    assert Settings.from_env(env).conductor_env == {"CONDUCTOR_ENV_REGION": "eu"}


def test_redacted_settings_mask_database_passwords() -> None:
    settings = Settings.from_env({}, db="postgresql://app:s3cret@db:5432/podium")
    shown = settings.redacted()
    assert "s3cret" not in str(shown)
    assert shown["db"] == "postgresql://app:***@db:5432/podium"
