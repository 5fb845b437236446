"""The pages are written against the API's schema: every call the staff app (web/src) and the widget and demo
page (api/web/static/*.js) make to /api/... is a path and method of the pinned OpenAPI schema (docs/openapi.json).

The calls are read from the source: a path literal ("/api/..." or a template `/api/${id}/...`, with the parts
added by ``+``), its method from the call around it (``api("POST", …)``, ``apiPost(…)``, ``fetch(…, {method})``,
otherwise GET), and the seat's ``conversationPath(id, "/claim")``. A template part stands for one segment.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from api.openapi import PINNED

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.glob("web/src/**/*.js"), *ROOT.glob("web/src/**/*.vue"), *ROOT.glob("api/web/static/*.js")])
# Functions of the pages that build an /api path from their arguments: the path their first argument completes.
BUILDERS = {"conversationPath": "/api/seats/conversations/{}"}

_LITERAL = re.compile(r"\"(/api/[^\"]*)\"|'(/api/[^']*)'|`(/api/[^`]*)`")
_PART = re.compile(r"\s*\+\s*(?:\"([^\"]*)\"|'([^']*)'|(encodeURIComponent\((?:[^()]|\([^()]*\))*\)|[\w$.\[\]]+))")
_BUILDER = re.compile(r"\b(%s)\(\s*[^,()]+(?:\([^()]*\))?\s*(?:,\s*(?:\"([^\"]*)\"|([\w$.]+)))?\s*\)" % "|".join(BUILDERS))  # noqa: UP031
_METHOD_BEFORE = re.compile(r"[\"'](GET|POST|PUT|PATCH|DELETE)[\"']\s*,\s*$")


def _code(text: str) -> str:
    """The source without comments (kept the same length, so offsets give line numbers)."""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))  # noqa: E731
    text = re.sub(r"/\*.*?\*/|<!--.*?-->", blank, text, flags=re.S)
    return re.sub(r"(^|[\s;{}(,])//[^\n]*", blank, text, flags=re.M)


def _close_paren(code: str, start: int) -> int:
    """The index of the ``)`` that closes the call whose arguments begin at ``start``."""
    depth = 1
    for i in range(start, len(code)):
        depth += {"(": 1, ")": -1}.get(code[i], 0)
        if depth == 0:
            return i
    return len(code)


def _method(code: str, start: int, end: int) -> str:
    before = code[max(0, start - 60):start]
    if found := _METHOD_BEFORE.search(before):
        return found.group(1)
    if re.search(r"\bapiPost\(\s*$", before):
        return "POST"
    if re.search(r"\bfetch\(\s*$", before):
        options = code[end:_close_paren(code, end)]
        if found := re.search(r"method:\s*[\"'](\w+)[\"']", options):
            return found.group(1).upper()
    return "GET"


def _template(path: str) -> str:
    return re.sub(r"\$\{[^}]*\}", "{}", path)


def page_calls() -> list[tuple[str, str, str]]:
    """(method, path with ``{}`` for each part only known at run time, "file:line") of every /api call."""
    calls = []
    for source in SOURCES:
        code = _code(source.read_text(encoding="utf-8"))
        where = lambda i: f"{source.relative_to(ROOT)}:{code.count(chr(10), 0, i) + 1}"  # noqa: B023, E731
        for match in _LITERAL.finditer(code):
            path, end = _template(next(g for g in match.groups() if g is not None)), match.end()
            while part := _PART.match(code, end):
                path += part.group(1) if part.group(1) is not None else (
                    part.group(2) if part.group(2) is not None else "{}")
                end = part.end()
            if re.search(r"=\s*$", code[max(0, match.start() - 10):match.start()]) and path.endswith("/"):
                continue  # a constant a builder completes (BUILDERS)
            calls.append((_method(code, match.start(), end), path.split("?")[0], where(match.start())))
        for match in _BUILDER.finditer(code):
            if re.search(r"function\s*$", code[max(0, match.start() - 12):match.start()]):
                continue  # the builder's own definition
            suffix = match.group(2) if match.group(2) is not None else ("/{}" if match.group(3) else "")
            calls.append((_method(code, match.start(), match.end()), BUILDERS[match.group(1)] + suffix,
                          where(match.start())))
    return calls


def _schema_operations() -> set[tuple[str, str]]:
    schema = json.loads(PINNED.read_text(encoding="utf-8"))
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


def _segment_fits(page: str, schema: str) -> bool:
    return page == "{}" or schema == page or (schema.startswith("{") and schema.endswith("}"))


def matches(method: str, path: str, operations: set[tuple[str, str]]) -> bool:
    parts = path.strip("/").split("/")
    for op_method, op_path in operations:
        op_parts = op_path.strip("/").split("/")
        if op_method == method and len(op_parts) == len(parts) and all(map(_segment_fits, parts, op_parts)):
            return True
    return False


CALLS = page_calls()


def test_the_calls_of_every_kind_are_read():
    found = {(method, path) for method, path, _ in CALLS}
    assert len(CALLS) >= 60, CALLS
    assert {("POST", "/api/auth/token"),  # api("POST", "…")
            ("POST", "/api/seats/conversations/{}/claim"),  # conversationPath(id, "/claim")
            ("GET", "/api/repairs/{}"),  # a template
            ("POST", "/api/widget/messages/{}/feedback"),  # "…" + encodeURIComponent(id) + "…" through apiPost
            ("POST", "/api/widget/session"),  # fetch(…, {method: "POST"}) over several lines
            ("POST", "/api/widget/reminders/{}/read"),  # fetch(… + "/read", {method: "POST"})
            ("GET", "/api/demo/enterprises"),  # a query string cut off
            ("GET", "/api/analytics/overview"),  # a path kept in a table
            ("POST", "/api/petitions/{}/{}")} <= found  # the action's own path, from the server


def test_the_matching_refuses_what_the_api_does_not_have():
    operations = _schema_operations()
    assert matches("POST", "/api/petitions/{}/start", operations)
    assert not matches("GET", "/api/petitions/{}/start", operations)
    assert not matches("POST", "/api/petitions/{}/frobnicate", operations)
    assert not matches("GET", "/api/petition", operations)


@pytest.mark.parametrize("method,path,where", CALLS, ids=[f"{m} {p} ({w})" for m, p, w in CALLS])
def test_every_call_of_the_pages_is_in_the_schema(method, path, where):
    assert matches(method, path, _schema_operations()), (
        f"{where} calls {method} {path}, which docs/openapi.json does not have: the page and the API disagree")
