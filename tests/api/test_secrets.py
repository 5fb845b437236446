"""Secrets have no defaults: outside development a missing one stops start-up; in development a random one is
generated once under var/ and shared by every process."""
import json
import os
import stat

import pytest
from pydantic import ValidationError

from api.settings import Settings
from common.secretstore import SECRET_NAMES, MissingSecret, all_secrets, secret

OLD_DEFAULT = "dev-secret-change-me"  # what every fresh checkout used to accept as service token


@pytest.fixture
def no_secrets_in_env(monkeypatch, tmp_path):
    for name in SECRET_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRETS_FILE", str(tmp_path / "var" / "secrets.json"))
    return tmp_path / "var" / "secrets.json"


def test_outside_development_a_missing_secret_stops_start_up(no_secrets_in_env):
    with pytest.raises(ValidationError, match="outside development"):
        Settings(app_env="production")
    with pytest.raises(MissingSecret, match="APP_SECRET"):
        secret("APP_SECRET", {"APP_ENV": "production"})
    assert not no_secrets_in_env.exists()  # nothing generated for production


def test_outside_development_secrets_from_the_environment_are_used(no_secrets_in_env, monkeypatch):
    values = {name: f"{name.lower()}-from-the-vault-0123456789" for name in SECRET_NAMES}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = Settings(app_env="production")
    assert (settings.app_secret, settings.service_token, settings.rasa_jwt_secret) == (
        values["APP_SECRET"], values["SERVICE_TOKEN"], values["RASA_JWT_SECRET"])
    assert all_secrets(dict(os.environ, APP_ENV="production")) == values


def test_a_short_secret_is_refused_everywhere(no_secrets_in_env):
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(app_env="development", app_secret="short")


def test_development_generates_random_secrets_once_and_keeps_them_private(no_secrets_in_env):
    first = Settings(app_env="development")
    assert no_secrets_in_env.exists()
    assert stat.S_IMODE(no_secrets_in_env.stat().st_mode) == 0o600
    stored = json.loads(no_secrets_in_env.read_text())
    assert set(stored) == set(SECRET_NAMES) and len(set(stored.values())) == len(SECRET_NAMES)
    assert OLD_DEFAULT not in stored.values() and all(len(v) >= 32 for v in stored.values())
    again = Settings(app_env="development")  # a second process (the action server, Rasa) reads the same ones
    assert (again.app_secret, again.service_token) == (first.app_secret, first.service_token) == (
        stored["APP_SECRET"], stored["SERVICE_TOKEN"])


def test_another_checkout_gets_other_secrets(no_secrets_in_env, tmp_path, monkeypatch):
    mine = Settings(app_env="development").app_secret
    monkeypatch.setenv("SECRETS_FILE", str(tmp_path / "elsewhere" / "secrets.json"))
    assert Settings(app_env="development").app_secret != mine


def test_the_old_development_service_token_opens_nothing(client):
    response = client.post("/api/internal/petitions/status", json={"ticket": "SQ-20260101-0001"},
                           headers={"Authorization": f"Bearer {OLD_DEFAULT}"})
    assert response.status_code == 401
