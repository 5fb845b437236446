"""Run the retrain job now: write the approved improvements to the bot's files, train, put the model live.

    make retrain            # or: python -m scripts.retrain [--models DIR] [--no-load] [--pending-only]

The job is the API's own (api.improvement.scheduled, which every instance also runs on a schedule under the same
Redis lock): it reads the approved improvements not yet applied from the database, writes them to the knowledge
and NLU files ($KNOWLEDGE_DIR, $TRAINING_DATA_DIR), regenerates faq.yml, trains (`rasa train`) into the models
directory ($MODELS_DIR, default models/) as ``current.tar.gz``, asks the running Rasa ($RASA_URL) to load it and
marks the improvements applied with the model's name. Run by hand it trains even when nothing was pending (after
a hand edit of the files), unless --pending-only. Settings come from the environment, as the API's do.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from api.core.database import make_engine, make_session_factory
from api.core.redis_client import connect_redis
from api.improvement.scheduled import retrain
from api.settings import get_settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, default=None, help="where the model goes (default $MODELS_DIR)")
    parser.add_argument("--no-load", action="store_true", help="train only; do not ask the running Rasa to load it")
    parser.add_argument("--pending-only", action="store_true", help="train only when an approved improvement was written")
    args = parser.parse_args()
    settings = get_settings()
    engine = make_engine(settings.database_url)
    redis = connect_redis(settings.redis_url, settings.embedded_redis_path)
    started = time.monotonic()
    try:
        done = retrain(make_session_factory(engine), redis, settings, force=not args.pending_only, models=args.models,
                       load=not args.no_load)
    finally:
        redis.connection_pool.disconnect()  # not close_redis: an embedded server is the running API's too
        engine.dispose()
    if done is None:
        print("[retrain] another instance is retraining now; its run writes and trains what is approved")
        return 1
    if done["refused"]:
        print(f"[retrain] improvements the files no longer accept (see apply_error): {done['refused']}")
    if done["model"] is None:
        print("[retrain] no approved improvement waiting: nothing to train")
        return 0
    print(f"[retrain] wrote improvements {done['written']}; trained {done['path']} ({done['model']}) "
          f"in {time.monotonic() - started:.0f} s")
    if args.no_load:
        return 0
    if done["loaded"]:
        print(f"[retrain] Rasa at {settings.rasa_url} now serves the new model")
    else:
        print(f"[retrain] no Rasa answered at {settings.rasa_url}: it loads {done['path']} when it starts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
