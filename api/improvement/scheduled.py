"""The retrain job: the one writer of the bot's files for approved improvements.

Every ``RETRAIN_SWEEP_SECONDS`` (900) one instance at a time (Redis lock ``lock:retrain``, non-blocking; ``make
retrain`` takes the same lock) reads the approved improvements not yet applied, oldest first, and

1. writes each to its knowledge or NLU file (:func:`api.improvement.files.apply`: validated, idempotent), recording
   the file — one the files no longer accept gets ``apply_error`` and is left out — and commits;
2. when anything was written: regenerates faq.yml, trains, loads the model into the running Rasa
   (:mod:`api.improvement.training`; outside any transaction, it takes minutes);
3. stamps the written improvements applied, with the model's name and the time.

A failed training leaves them written but not applied; the next run finds them in the files, writes nothing again
and trains. Knowledge answers are live from step 1 (the action server reloads the files); the NLU from step 2.
``RETRAIN_SWEEP_ENABLED=false`` turns the schedule off in an instance.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from api.core.errors import Invalid
from api.core.runtime import Runtime
from api.core.scheduling import held_lock, run_every
from api.core.time import aware_now
from api.improvement import files, training
from api.improvement.models import Improvement
from api.improvement.service import pending
from api.settings import Settings

__all__ = ["LOCK_NAME", "LOCK_SECONDS", "retrain", "retrain_tick", "start_retrain_scheduler"]

log = logging.getLogger(__name__)

LOCK_NAME = "lock:retrain"
LOCK_SECONDS = 4 * 3600  # longer than any `rasa train`: a crashed instance's lock frees itself after this


def _write_pending(session_factory: sessionmaker[Session], settings: Settings) -> tuple[list[int], list[int]]:
    written, refused = [], []
    with session_factory() as session:
        for improvement in pending(session=session, for_update=True):
            try:
                improvement.applied_file = files.apply(improvement.kind, improvement.payload, settings.knowledge_dir,
                                                       settings.nlu_dir)
                written.append(improvement.id)
            except Invalid as exc:
                improvement.apply_error = exc.detail
                refused.append(improvement.id)
                log.warning("improvement %s not written: %s", improvement.id, exc.detail)
        session.commit()
    return written, refused


def retrain(session_factory: sessionmaker[Session], redis: Redis, settings: Settings, *, force: bool = False,
            models: Path | None = None, load: bool = True, now: datetime | None = None,
            trainer: Callable[..., training.TrainedModel] = training.train,
            loader: Callable[[str, Path, str], bool] = training.load) -> dict[str, Any] | None:
    """Run the job once; None when another instance holds the lock. ``force``: train even when nothing was written
    (``make retrain`` after a hand edit of the files). ``trainer``/``loader``: :func:`training.train` and
    :func:`training.load` (tests of the bookkeeping give quicker ones)."""
    with held_lock(redis, LOCK_NAME, LOCK_SECONDS) as lock:
        if lock is None:
            return None
        written, refused = _write_pending(session_factory, settings)
        if not written and not force:
            return {"written": [], "refused": refused, "model": None, "loaded": False}
        model = trainer(settings.knowledge_dir, settings.training_data_dir, models or settings.models_dir,
                        now=aware_now(now), rasa=settings.rasa_bin)
        loaded = bool(load and loader(settings.rasa_url, model.path, settings.rasa_jwt_secret))
        if written:
            with session_factory() as session:
                session.execute(update(Improvement).where(Improvement.id.in_(written)).values(
                    applied_at=aware_now(now), applied_model=model.name))
                session.commit()
        log.info("retrained %s with improvements %s (loaded into Rasa: %s)", model.name, written, loaded)
        return {"written": written, "refused": refused, "model": model.name, "path": str(model.path),
                "loaded": loaded}


def retrain_tick(rt: Runtime) -> dict[str, Any] | None:
    return retrain(rt.session_factory, rt.redis, rt.settings)


def start_retrain_scheduler(rt: Runtime) -> asyncio.Task[None]:
    return run_every("retrain", rt.settings.retrain_sweep_seconds, retrain_tick, rt)
