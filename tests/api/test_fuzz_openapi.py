"""Property test over the whole OpenAPI: no input gives a server error (5xx) on any operation.

Schemathesis generates requests from the app's own schema, valid ones and invalid ones, for every operation;
they go in-process through one TestClient (the app started once) with real credentials, so the handlers are
reached: staff tokens of several roles for /api, the service token for /api/internal, a visitor token (and
sometimes an enterprise token) for the widget. Some rows exist (a petition, a conversation with messages, an
attachment, an enterprise) so that small ids find something. Bounded and derandomized, so CI is stable:
``FUZZ_EXAMPLES`` (default 25) examples per operation and generation mode. More, locally:
``FUZZ_EXAMPLES=500 pytest tests/api/test_fuzz_openapi.py``.
"""
from __future__ import annotations

import json
import os
import shutil
import traceback
from collections import Counter
from datetime import timedelta
from urllib.parse import quote
from uuid import uuid4

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, reject
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from api.auth.security import create_enterprise_token, create_staff_token
from api.main import create_app
from api.settings import ROOT, Settings
from common.identifiers import make_uscc
from tests.api.conftest import build_world, petition_body

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
_SCHEMA = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
OPERATIONS = [result.ok() for result in _SCHEMA.get_all_operations()]
COUNTS: Counter = Counter()


@pytest.fixture(scope="module")
def fuzz_settings(database_url, peer_url, tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    knowledge = base / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    shutil.copytree(ROOT / "data" / "nlu", base / "data" / "nlu")
    from tests.conftest import TEST_REDIS_URL
    return Settings(database_url=database_url, redis_url=TEST_REDIS_URL, rasa_url=peer_url, actions_url=peer_url,
                    embedded_redis_path=str(tmp_path_factory.getbasetemp() / "redis.db"),
                    sla_sweep_enabled=False, hub_sweep_enabled=False, campaign_sweep_enabled=False,
                    analytics_sweep_enabled=False, retrain_sweep_enabled=False, outbox_sweep_enabled=False,
                    service_hours="00:00-24:00", service_workdays_only=False,
                    knowledge_dir=knowledge, training_data_dir=base / "data")


@pytest.fixture(scope="module")
def fuzz(fuzz_settings, api_engine):
    """(client, credentials by role) with a bureau, a petition, a conversation and an attachment in place."""
    from sqlalchemy.orm import sessionmaker

    with sessionmaker(bind=api_engine, future=True, expire_on_commit=False)() as db:
        world = build_world(db, f"f{uuid4().hex[:8]}-")
    app_settings = fuzz_settings.model_copy(update={"bot_intake_unit_id": world.service_dept.id})
    secret = app_settings.app_secret
    with TestClient(create_app(app_settings)) as client:  # a server exception is raised here, with its traceback
        staff = {name: create_staff_token(getattr(world, name), secret=secret, lifetime=timedelta(hours=2))
                 for name in ("registrar", "handler", "supervisor", "operator", "admin", "expert")}
        visitor = client.post("/api/widget/session", json={}).json()["visitor_token"]
        uscc = make_uscc(11)
        enterprise = create_enterprise_token(uscc, "模糊测试企业", secret=secret)
        registered = client.post("/api/petitions", json=petition_body("模糊"),
                                 headers={"Authorization": f"Bearer {staff['registrar']}"})
        assert registered.status_code == 201, registered.text
        png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
        uploaded = client.post("/api/widget/uploads", files={"file": ("图.png", png, "image/png")},
                               headers={"Authorization": f"Bearer {visitor}"})
        assert uploaded.status_code == 201, uploaded.text
        yield client, {"staff": staff, "service": app_settings.service_token, "visitor": visitor,
                       "enterprise": enterprise}


# What random generation rarely hits and broke routes before: integers past 64 bits, dates the calendar does
# not know, control characters, LIKE wildcards, bidirectional overrides, formula prefixes.
HOSTILE_INTS = [2**63, -(2**63) - 1, 10**20, 2**31, -1, 0]
HOSTILE_TEXT = ["\x00", "a\x00b", "%", "_", "\\", "\u202e\u0000\x1b[31m", "=cmd|' /C calc'!A0", "0001-01-01",
                "9999-12-31", "0001-01-01T00:00:00Z", "2024-02-30", "NaN", "1e400", " ", "\r\n"]
BODY_TEXT = HOSTILE_TEXT + ["\ud800", "x\udfff"]  # lone surrogates: valid JSON escapes, no valid URL encoding  # noqa: RUF005


def _hostile_strategy(value, texts=HOSTILE_TEXT):
    """Maybe swap a generated value for a hostile one of the same JSON type (recursively in bodies)."""
    if isinstance(value, bool) or value is None:
        return st.just(value)
    if isinstance(value, int):
        return st.one_of(st.just(value), st.sampled_from(HOSTILE_INTS))
    if isinstance(value, float):
        return st.one_of(st.just(value), st.sampled_from([1e308, -1e308, float(2**64)]))
    if isinstance(value, str):
        return st.one_of(st.just(value), st.sampled_from(texts), st.sampled_from(texts).map(value.__add__))
    if isinstance(value, list):
        return st.tuples(*[_hostile_strategy(v, texts) for v in value]).map(list)
    if isinstance(value, dict):
        keys = list(value)
        return st.tuples(*[_hostile_strategy(value[k], texts) for k in keys]).map(lambda vs: dict(zip(keys, vs)))  # noqa: B905
    return st.just(value)


PATH_TEXT = [quote(t, safe="") for t in HOSTILE_TEXT]  # path parameters arrive already percent-encoded


def _harden(case, data):
    """Hostile path and query values put into the case; a hostile JSON body returned."""
    if case.path_parameters:
        case.path_parameters = data.draw(_hostile_strategy(dict(case.path_parameters), PATH_TEXT), label="path")
    if case.query:
        case.query = data.draw(_hostile_strategy(dict(case.query)), label="query")
    if isinstance(case.body, (dict, list)) and case.media_type == "application/json":
        # Sent as the request's JSON, not put back into the case: schemathesis' validator cannot hold surrogates.
        return data.draw(_hostile_strategy(case.body, BODY_TEXT), label="body")
    return None


def _authorize(case, role: str, with_enterprise: bool, credentials: dict) -> None:
    path = case.operation.path
    headers = dict(case.headers or {})
    if path.startswith("/api/internal"):
        headers["Authorization"] = f"Bearer {credentials['service']}"
    elif path.startswith("/api/widget"):
        headers["Authorization"] = f"Bearer {credentials['visitor']}"
        if with_enterprise:
            headers["X-Enterprise-Token"] = credentials["enterprise"]
        else:
            headers.pop("x-enterprise-token", None)
    elif path.startswith("/api/") and not path.startswith("/api/attachments") and path != "/api/auth/token":
        headers["Authorization"] = f"Bearer {credentials['staff'][role]}"
    case.headers = headers


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if COUNTS:
        print(f"\nfuzz: {len(OPERATIONS)} operations, {COUNTS['cases']} cases, {COUNTS['5xx']} server errors")  # noqa: T201


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.label)
def test_no_server_error(operation, fuzz):
    client, credentials = fuzz
    failures: list[str] = []
    strategy = st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                         operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

    @hsettings(max_examples=EXAMPLES * 2, deadline=None, derandomize=True, database=None,
               phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy, role=st.sampled_from(sorted(credentials["staff"])), with_enterprise=st.booleans(),
           data=st.data())
    def run(case, role, with_enterprise, data):
        body = _harden(case, data)
        _authorize(case, role, with_enterprise, credentials)
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        kwargs.pop("cookies", None)
        if "json" in kwargs:  # ASCII-escaped, so lone surrogates travel as the JSON escapes a client may send
            sent = kwargs.pop("json")
            kwargs["content"] = json.dumps(body if body is not None else sent).encode()
        if "data" in kwargs and isinstance(kwargs["data"], (bytes, str)):
            kwargs["content"] = kwargs.pop("data")
        if kwargs.get("files"):  # httpx wants text or bytes in multipart parts; schemathesis may give other values
            kwargs["files"] = [(name, part if isinstance(part, tuple) and isinstance(part[1], (bytes, str))
                                else (None, json.dumps(part[1] if isinstance(part, tuple) else part)))
                               for name, part in kwargs["files"]]
        try:
            request = client.build_request(**kwargs)
        except Exception:  # noqa: BLE001 - a request the HTTP client cannot even build (multipart of odd values)
            reject()
        COUNTS["cases"] += 1
        try:
            response = client.send(request)
        except Exception as exc:  # noqa: BLE001 - what the server raised is the 500 it would answer
            COUNTS["5xx"] += 1
            where = traceback.extract_tb(exc.__traceback__)[-1]
            failures.append(f"500 {case.as_curl_command()}\n{exc!r} at {where.filename}:{where.lineno}")
            return
        if response.status_code >= 500:
            COUNTS["5xx"] += 1
            failures.append(f"{response.status_code} {case.as_curl_command()}\n{response.text[:300]}")

    run()
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:5])
