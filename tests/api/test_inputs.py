"""Every request input is declared with the types of api.inputs: text cleaned at intake, integers bounded to 64 bits,
dates in a range the calendar and the database handle. Checked over every route of the app, so a new route that
takes a plain ``str`` or ``int`` fails here."""
from __future__ import annotations

import enum
import types
import typing
from datetime import date, datetime

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from api.main import create_app
from api.settings import Settings

# Credentials are opaque tokens: verified by signature, never stored or displayed; a NUL in one is an invalid token.
OPAQUE = {"x_enterprise_token", "enterprise_token", "visitor_token", "password", "client_secret", "grant_type",
          "scope", "client_id_form"}


def _types(annotation) -> list:
    """The types a declaration accepts: ``Optional[X]``, ``list[X]``, ``Annotated[X, ...]`` unwrapped to X."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _types(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, set, frozenset, tuple):
        return [t for arg in typing.get_args(annotation) if arg is not type(None) and arg is not Ellipsis
                for t in _types(arg)]
    return [annotation]


def _problem(name: str, field_info) -> str | None:
    """What is wrong with a parameter or field (its FieldInfo: the annotation, and the bounds given to Query/Field)."""
    bounds = {type(m).__name__.lower(): getattr(m, type(m).__name__.lower(), None) for m in field_info.metadata}
    for type_ in _types(field_info.annotation):
        if (problem := _type_problem(name, type_, bounds)) is not None:
            return problem
    return None


def _type_problem(name: str, type_, bounds: dict) -> str | None:
    from api.inputs import MAX_INT64, CleanStr, SafeDate, SafeDatetime

    if typing.get_origin(type_) is typing.Literal or (isinstance(type_, type) and issubclass(type_, enum.Enum)):
        return None
    if not isinstance(type_, type):
        return None
    if issubclass(type_, bool):
        return None
    if issubclass(type_, int):
        ge, le = bounds.get("ge", getattr(type_, "ge", None)), bounds.get("le", getattr(type_, "le", None))
        if ge is not None and le is not None and ge >= -MAX_INT64 and le <= MAX_INT64:
            return None
        return f"{name}: int without 64-bit bounds ({type_.__name__})"
    if issubclass(type_, datetime):
        return None if issubclass(type_, SafeDatetime) else f"{name}: datetime is not SafeDatetime"
    if issubclass(type_, date):
        return None if issubclass(type_, SafeDate) else f"{name}: date is not SafeDate"
    if issubclass(type_, str):
        if name.replace(" ", ".").rsplit(".", 1)[-1] in OPAQUE:
            return None
        return None if issubclass(type_, CleanStr) else f"{name}: str is not CleanStr"
    return None


def _walk_model(prefix: str, model, seen) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    problems = []
    for name, field in model.model_fields.items():
        nested = [t for t in _types(field.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
        for type_ in nested:
            problems += _walk_model(f"{prefix}.{name}", type_, seen)
        if not nested and (problem := _problem(f"{prefix}.{name}", field)) is not None:
            problems.append(problem)
    return problems


def _params(dependant):
    for param in dependant.path_params + dependant.query_params + dependant.header_params + dependant.cookie_params:  # noqa: UP028
        yield param
    for sub in dependant.dependencies:
        yield from _params(sub)


def test_every_route_declares_its_inputs_with_the_safe_types():
    problems, checked = [], 0
    for route in iter_route_contexts(create_app(Settings()).routes):  # included routers' routes, with prefixes
        if not isinstance(route.original_route, APIRoute):
            continue
        checked += 1
        label = f"{','.join(sorted(route.methods))} {route.path}"
        for param in _params(route.dependant):
            if (problem := _problem(f"{label} {param.name}", param.field_info)) is not None:
                problems.append(problem)
        if route.body_field is not None and route.path != "/api/auth/token":  # the OAuth2 form: see test_auth
            for body in _types(route.body_field.field_info.annotation):
                if isinstance(body, type) and issubclass(body, BaseModel):
                    problems += _walk_model(f"{label} body", body, set())
    assert checked > 50 and problems == []


def test_clean_str_removes_control_characters_before_checking_length():
    from pydantic import create_model

    from api.inputs import clean_str

    Body = create_model("Body", text=(clean_str(strip_whitespace=True, min_length=1, max_length=5), ...))  # noqa: N806

    assert Body(text=" a\x00b\r\nc\x1b\x7f ").text == "ab\nc"
    with pytest.raises(ValueError):  # noqa: PT011
        Body(text="\x00\x01")  # nothing left: empty
    assert Body(text=12).text == "12"  # not strict
