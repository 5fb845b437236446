"""The core every feature uses: one Redis lock for work only one instance may do, and one way to reach what the
app holds (no route, job or service reads ``app.state``)."""
import logging
import re
import threading
import time
import warnings
from pathlib import Path

import pytest
from sqlalchemy import update

from api.core.database import get_or_404, rowcount
from api.core.errors import NotFound
from api.core.runtime import Runtime, runtime
from api.core.scheduling import held_lock

API = Path(__file__).resolve().parents[2] / "api"


def test_a_second_instance_does_not_get_a_held_lock_and_gets_it_once_released(client):
    redis = runtime(client.app).redis
    with held_lock(redis, "lock:test-core", 30) as first:
        assert first is not None
        with held_lock(redis, "lock:test-core", 30) as second:
            assert second is None  # another instance is at it: the job skips this tick
    with held_lock(redis, "lock:test-core", 30) as again:
        assert again is not None  # released when the first block ended


def test_a_waiting_taker_gets_the_lock_when_the_holder_lets_go(client):
    redis = runtime(client.app).redis
    holding, release, got = threading.Event(), threading.Event(), []

    def holder():
        with held_lock(redis, "lock:test-core-wait", 30) as lock:
            assert lock is not None
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert holding.wait(10)
    threading.Timer(0.2, release.set).start()
    with held_lock(redis, "lock:test-core-wait", 30, wait=10) as lock:
        got.append(lock)
    thread.join(10)
    assert got[0] is not None


def test_a_lock_that_expired_during_the_work_is_logged_not_raised(client, caplog):
    redis = runtime(client.app).redis
    with caplog.at_level(logging.WARNING, logger="api.core.scheduling"):  # noqa: SIM117
        with held_lock(redis, "lock:test-core-expiry", 0.1) as lock:
            assert lock is not None
            time.sleep(0.3)  # the work outlives the lock; the next run takes it again
    assert "lock:test-core-expiry expired before release" in caplog.text
    with held_lock(redis, "lock:test-core-expiry", 30) as lock:
        assert lock is not None


def test_the_app_holds_one_runtime_with_its_connections(client):
    rt = runtime(client.app)
    assert isinstance(rt, Runtime) and rt.redis.ping() and rt.settings.app_secret
    with rt.session_factory() as session:
        assert session.get_bind() is rt.engine


def test_get_or_404_is_not_found_for_a_missing_or_absent_key_and_rowcount_counts(client):
    from api.org.models import Unit

    rt = runtime(client.app)
    with rt.session_factory() as session:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "fully NULL primary key" warning from SQLAlchemy
            for key in (None, 2**31 - 1):
                with pytest.raises(NotFound, match="单位"):
                    get_or_404(session, Unit, key, "单位")
        unit = Unit(name="测试单位", level="district", kind="tax_unit")
        session.add(unit)
        session.flush()
        assert get_or_404(session, Unit, unit.id, "单位") is unit
        assert rowcount(session.execute(update(Unit).where(Unit.id == unit.id).values(name="改名"))) == 1
        assert rowcount(session.execute(update(Unit).where(Unit.id == -1).values(name="x"))) == 0
        session.rollback()


def test_only_the_app_factory_and_the_runtime_touch_app_state():
    readers = sorted(str(path.relative_to(API.parent)) for path in API.rglob("*.py")
                     if re.search(r"\bapp\.state\b", path.read_text(encoding="utf-8")))
    assert readers == ["api/core/runtime.py", "api/main.py"]


def test_every_model_column_is_typed_and_its_optional_is_its_null():
    """The models are SQLAlchemy 2.0 typed models: each column is a ``Mapped[...]`` attribute, and ``| None``
    is there exactly when the column may hold NULL, so the type a service reads is the one the table keeps."""
    import api.main  # noqa: F401 - imports every feature's models
    from api.core.database import Base

    untyped, wrong = [], []
    for mapper in Base.registry.mappers:
        annotations = {k: v for cls in reversed(mapper.class_.__mro__) for k, v in vars(cls).get("__annotations__",
                                                                                               {}).items()}
        for attr in mapper.column_attrs:
            annotation = str(annotations.get(attr.key, ""))
            if not annotation.startswith("Mapped["):
                untyped.append(f"{mapper.class_.__name__}.{attr.key}")
            elif ("| None" in annotation) != attr.columns[0].nullable:
                wrong.append(f"{mapper.class_.__name__}.{attr.key}: {annotation}")
    assert not untyped and not wrong, (untyped, wrong)
