#!/usr/bin/env python
"""Retrain the bot with the approved improvements and put the new model live, without a restart.

    make retrain            # or: scripts/retrain.py [--knowledge DIR] [--data DIR] [--models DIR] [--rasa-url URL]

1. regenerates faq.yml in the training data's nlu/ from the knowledge entries (knowledge/faq_nlu.py);
2. trains (`rasa train`, domain bot/domain, config.yml, the training data) into a new file in the models
   directory, then moves it over ``current.tar.gz`` — what `make run` and every restart load;
3. asks the running Rasa (``PUT /model``, with a JWT signed by ``RASA_JWT_SECRET``: bot/serve.py) to load
   it. If Rasa is not running, the model waits for its next start.

The action server and the API read the knowledge files themselves and reload them within a second of a change
(knowledge.base.get_knowledge_base), so answers, sources and question variants are live as soon as an
improvement is approved; the retrain is what teaches the NLU the new wording. Directories default to
$KNOWLEDGE_DIR, $TRAINING_DATA_DIR and the repo's models/; Rasa to $RASA_URL (http://127.0.0.1:5005).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from common.secretstore import secret  # noqa: E402
from common.tokens import rasa_api_token  # noqa: E402
from knowledge.faq_nlu import faq_path, render  # noqa: E402

RASA = Path(sys.executable).parent / "rasa"
MODEL_NAME = "current.tar.gz"


def train(knowledge: Path, data: Path, models: Path) -> Path:
    faq = faq_path(data / "nlu")
    faq.write_text(render(knowledge, data / "nlu"), encoding="utf-8")
    models.mkdir(parents=True, exist_ok=True)
    fresh = f"retrain-{time.strftime('%Y%m%d-%H%M%S')}"
    subprocess.run([str(RASA), "train", "--domain", str(ROOT / "bot" / "domain"), "--config", str(ROOT / "config.yml"),
                    "--data", str(data), "--out", str(models), "--fixed-model-name", fresh, "--quiet"],
                   cwd=ROOT, check=True)
    target = models / MODEL_NAME
    os.replace(models / f"{fresh}.tar.gz", target)
    return target


def load(rasa_url: str, model: Path, jwt_secret: str) -> bool:
    """Ask the running Rasa to serve `model`; False when no Rasa answers at `rasa_url`."""
    request = urllib.request.Request(f"{rasa_url.rstrip('/')}/model", method="PUT",
                                     data=json.dumps({"model_file": str(model.resolve())}).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {rasa_api_token(jwt_secret)}"})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return 200 <= response.status < 300
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"Rasa refused the new model ({exc.code}): {exc.read().decode(errors='replace')[:500]}")
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--knowledge", type=Path, default=Path(os.environ.get("KNOWLEDGE_DIR") or ROOT / "knowledge"))
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("TRAINING_DATA_DIR") or ROOT / "data"))
    parser.add_argument("--models", type=Path, default=ROOT / "models")
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    parser.add_argument("--no-load", action="store_true", help="train only; do not ask the running Rasa to load it")
    args = parser.parse_args()
    started = time.monotonic()
    model = train(args.knowledge, args.data, args.models)
    print(f"[retrain] trained {model} in {time.monotonic() - started:.0f} s")
    if args.no_load:
        return 0
    if load(args.rasa_url, model, secret("RASA_JWT_SECRET")):
        print(f"[retrain] Rasa at {args.rasa_url} now serves the new model")
    else:
        print(f"[retrain] no Rasa answered at {args.rasa_url}: it loads {model} when it starts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
