"""Every hours setting is checked at start-up: a bad value stops the API before it serves anything, with a message
that names the setting (not silently "always open" or "never quiet")."""
from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from api.settings import ROOT, Settings


@pytest.mark.parametrize("name, value", [("SERVICE_HOURS", "9-17"), ("SERVICE_HOURS", "17:00-09:00"),
                                         ("REMINDER_QUIET_HOURS", "22:00"), ("REMINDER_QUIET_HOURS", "21:00-25:00")])
def test_a_bad_hours_setting_is_refused_naming_it(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert name in str(refused.value) and repr(value) in str(refused.value)


def test_good_hours_settings_are_accepted(monkeypatch):
    monkeypatch.setenv("SERVICE_HOURS", "08:30-18:00")
    monkeypatch.setenv("REMINDER_QUIET_HOURS", "")
    settings = Settings()
    assert (settings.service_hours, settings.reminder_quiet_hours) == ("08:30-18:00", "")


def test_the_api_does_not_start_with_bad_quiet_hours(tmp_path):
    """The way `make run` starts it (uvicorn's factory): the process exits and says which setting is wrong."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "APP_ENV": "development",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "EMBEDDED_REDIS_PATH": str(tmp_path / "redis.db"),
           "REMINDER_QUIET_HOURS": "21:00 to 08:00"}
    started = subprocess.run([sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--port", "0"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert started.returncode != 0
    assert "REMINDER_QUIET_HOURS" in started.stderr and "'21:00 to 08:00'" in started.stderr
