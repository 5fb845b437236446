"""`make run` (scripts/run.py): several Rasa processes only where they can share trackers, and the API is given
every one of them."""
from __future__ import annotations

import pytest

from scripts import run


def _env(monkeypatch, **values):
    for name in ("RASA_URL", "RASA_INSTANCES", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return run.environment()


def test_with_redis_several_rasa_processes_start_and_the_api_gets_them_all(monkeypatch):
    env = _env(monkeypatch, REDIS_URL="redis://127.0.0.1:6379/3", RASA_INSTANCES="2")
    assert env["RASA_URL"] == "http://127.0.0.1:5005,http://127.0.0.1:5006"
    assert env["RASA_REDIS_DB"] == "3"
    commands = run.commands(env)
    assert [name for name in commands if name.startswith("rasa")] == ["rasa1", "rasa2"]
    assert [commands[name][1]["RASA_PORT"] for name in ("rasa1", "rasa2")] == ["5005", "5006"]


def test_without_redis_one_rasa_serves_all(monkeypatch, capsys):
    env = _env(monkeypatch, RASA_INSTANCES="3")
    assert env["RASA_URL"] == "http://127.0.0.1:5005"
    assert [name for name in run.commands(env) if name.startswith("rasa")] == ["rasa"]
    assert "REDIS_URL" in capsys.readouterr().err


def test_a_bad_count_is_refused(monkeypatch):
    with pytest.raises(SystemExit, match="whole number"):
        _env(monkeypatch, RASA_INSTANCES="two")
