"""The API's OpenAPI schema as it is pinned in docs/openapi.json (tests/api/test_openapi_schema.py).

Every route declares its response model, so a change to the shape of an answer changes this schema; the
test shows the difference and the pages are checked against it (tests/api/test_openapi_pages.py).
``make openapi`` (``python -m api.openapi``) writes the file again after an intended change.

The schema is taken from an app in demo mode, so the demo page's routes are in it too.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["PINNED", "current_schema", "render", "main"]

PINNED = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def current_schema() -> dict[str, Any]:
    from api.main import create_app
    from api.settings import Settings

    return create_app(Settings(demo_mode=True)).openapi()


def render(schema: dict[str, Any]) -> str:
    """Stable text: sorted keys, one value a line, Chinese as it is read."""
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> None:
    PINNED.write_text(render(current_schema()), encoding="utf-8")
    print(f"已写入 {PINNED}")  # noqa: T201


if __name__ == "__main__":
    main()
