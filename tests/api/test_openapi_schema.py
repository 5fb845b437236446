"""The API's shape is pinned: every route declares what it answers, and the OpenAPI schema built from them is
the committed docs/openapi.json, so a change to any answer's shape is a visible diff in review."""
from __future__ import annotations

import difflib
import json
import typing

import pytest
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.main import create_app
from api.openapi import PINNED, current_schema, render
from api.settings import Settings

HOW_TO_UPDATE = "If the change is intended, run `make openapi` (python -m api.openapi) and commit docs/openapi.json."


def _routes():
    app = create_app(Settings(demo_mode=True))
    return [r for r in app.routes if isinstance(r, APIRoute)]


def _declared(model) -> bool:
    """A pydantic model, or a list of one: a bare dict, list of dicts or Any says nothing of the shape."""
    origin, args = typing.get_origin(model), typing.get_args(model)
    if origin is None:
        return isinstance(model, type) and issubclass(model, BaseModel)
    return origin is list and len(args) == 1 and _declared(args[0])


@pytest.mark.parametrize("route", _routes(), ids=lambda r: f"{'/'.join(sorted(r.methods))} {r.path}")
def test_every_route_declares_what_it_answers(route):
    response_class = getattr(route.response_class, "value", route.response_class)
    if route.status_code == 204:
        return  # no content
    if response_class is not JSONResponse:
        return  # a file, a page or a stream, declared by its response class
    assert _declared(route.response_model), (
        f"{route.path} ({route.endpoint.__module__}.{route.endpoint.__name__}) answers JSON without a response "
        f"model: declare response_model= with a model from the feature's schemas.py")


def _changed(pinned: dict, current: dict) -> list[str]:
    """Which operations and models differ, to read before the diff."""
    out = []
    for kind, section in (("operation", "paths"), ("model", "components")):
        old, new = pinned.get(section, {}), current.get(section, {})
        if section == "components":
            old, new = old.get("schemas", {}), new.get("schemas", {})
        for name in sorted(set(old) | set(new)):
            if section == "paths":
                methods = set(old.get(name, {})) | set(new.get(name, {}))
                out += [f"{kind} {m.upper()} {name}: " + ("added" if m not in old.get(name, {}) else
                                                          "removed" if m not in new.get(name, {}) else "changed")
                        for m in sorted(methods) if old.get(name, {}).get(m) != new.get(name, {}).get(m)]
            elif old.get(name) != new.get(name):
                out.append(f"{kind} {name}: " + ("added" if name not in old else
                                                  "removed" if name not in new else "changed"))
    return out


def test_the_schema_is_the_pinned_one():
    schema = current_schema()
    current = render(schema)
    pinned = PINNED.read_text(encoding="utf-8") if PINNED.exists() else ""
    if current != pinned:
        summary = "\n".join(_changed(json.loads(pinned or "{}"), json.loads(current)))
        diff = "".join(difflib.unified_diff(pinned.splitlines(True), current.splitlines(True),
                                            "docs/openapi.json (pinned)", "the app's schema now", n=4))
        lines = diff.splitlines()
        shown = "\n".join(lines[:300]) + (f"\n… {len(lines) - 300} more lines" if len(lines) > 300 else "")
        pytest.fail(f"The API's OpenAPI schema differs from docs/openapi.json:\n{summary}\n\n{shown}\n\n"
                    f"{HOW_TO_UPDATE}", pytrace=False)
