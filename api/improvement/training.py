"""Training the bot with the files as they are, and putting the new model live without a restart.

:func:`train` regenerates ``faq.yml`` in the training data's ``nlu/`` from the knowledge entries
(knowledge/faq_nlu.py), runs ``rasa train`` (domain bot/domain, config.yml, the training data) into a new file in
the models directory and moves it over ``current.tar.gz`` — what `make run` and every restart load.
:func:`load` asks the running Rasa (``PUT /model``, with a JWT signed by ``RASA_JWT_SECRET``: bot/serve.py) to
load it. Rasa's command is ``RASA_BIN`` (default: the bot runtime's ``rasa``, beside ``BOT_PYTHON``), so the service runtime without
Rasa can call the bot runtime's.
"""
from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from api.core.rasa import rasa_urls
from api.settings import ROOT
from common.runtimes import bot_python
from common.tokens import rasa_api_token
from knowledge.faq_nlu import faq_path, render

__all__ = ["MODEL_NAME", "TrainedModel", "train", "load", "rasa_command"]

MODEL_NAME = "current.tar.gz"


@dataclass(frozen=True)
class TrainedModel:
    name: str  # the name it was trained under (retrain-YYYYmmdd-HHMMSS): the id recorded on the improvements
    path: Path  # where it is now: <models>/current.tar.gz


def rasa_command(configured: Path | None) -> Path:
    """``RASA_BIN`` if set, else the bot runtime's ``rasa`` (beside ``BOT_PYTHON``: Rasa 3.6 runs on Python 3.10)."""
    return Path(configured) if configured else Path(bot_python()).parent / "rasa"


def train(knowledge: Path, data: Path, models: Path, *, now: datetime, rasa: Path | None = None) -> TrainedModel:
    """Regenerate faq.yml, train, and make the new model ``current.tar.gz``; CalledProcessError when Rasa fails."""
    faq = faq_path(Path(data) / "nlu")
    faq.write_text(render(Path(knowledge), Path(data) / "nlu"), encoding="utf-8")
    models = Path(models)
    models.mkdir(parents=True, exist_ok=True)
    name = f"retrain-{now:%Y%m%d-%H%M%S}"
    subprocess.run([str(rasa_command(rasa)), "train", "--domain", str(ROOT / "bot" / "domain"), "--config",
                    str(ROOT / "config.yml"), "--data", str(data), "--out", str(models), "--fixed-model-name", name,
                    "--quiet"], cwd=ROOT, check=True)
    target = models / MODEL_NAME
    os.replace(models / f"{name}.tar.gz", target)
    return TrainedModel(name, target)


def load(rasa_url: str, model: Path, jwt_secret: str) -> bool:
    """Ask every running Rasa instance (``RASA_URL``: one, or several comma-separated) to serve ``model``; False
    when one does not answer (it loads the model when it starts), RuntimeError when one refuses the model."""
    loaded = [_load_into(url, model, jwt_secret) for url in rasa_urls(rasa_url)]
    return all(loaded)


def _load_into(url: str, model: Path, jwt_secret: str) -> bool:
    request = urllib.request.Request(f"{url}/model", method="PUT",
                                     data=json.dumps({"model_file": str(Path(model).resolve())}).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {rasa_api_token(jwt_secret)}"})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return bool(200 <= response.status < 300)
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"Rasa at {url} refused the new model ({exc.code}): "
                           f"{exc.read().decode(errors='replace')[:500]}") from None
    except OSError:
        return False
