"""Serves the widget, the staff app, the embed script and `/static/...` with safe headers.

The staff app (web/, built by `make setup` into `static/app/`) answers every `/staff/...` path with
its index.html (the app routes in the browser); its hashed assets are cached for a year.

Pages carry a strict Content-Security-Policy (no inline script or style: every script and
stylesheet is a file under `static/`) and `Cache-Control: no-cache`, so a deploy is seen at once.
`install_web(app)` includes the router and mounts `/static` (a router cannot mount).
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.inputs import CleanStr

__all__ = ["STATIC_DIR", "CONTENT_SECURITY_POLICY", "router", "install_web"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'"
)
# The enterprise token travels in the page URL's fragment (`#enterprise_token=`), which no Referer carries;
# no-referrer keeps any other part of our URLs from other sites too.
_COMMON_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
PAGE_HEADERS = {**_COMMON_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY}
# The widget is meant to be framed by other sites (embed.js); the staff pages never are.
CONSOLE_HEADERS = {**PAGE_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY + "; frame-ancestors 'none'"}

router = APIRouter(include_in_schema=False)


def _file(name: str, media_type: str, headers: dict[str, str]) -> FileResponse:
    path = STATIC_DIR / name
    if not path.is_file():  # e.g. a page not built yet: a 404, not a 500
        raise HTTPException(status_code=404, detail="页面不存在")
    return FileResponse(path, media_type=media_type, headers=headers)


@router.get("/", response_class=FileResponse)
def widget_page() -> FileResponse:
    return _file("widget.html", "text/html; charset=utf-8", PAGE_HEADERS)


APP_INDEX = STATIC_DIR / "app" / "index.html"


# The addresses of the former console and dashboard (DESIGN.md's contract) open the same app, which shows them
# as /staff/seat and /staff/analytics (web/src/main.js).
@router.get("/console", response_class=FileResponse)
@router.get("/dashboard", response_class=FileResponse)
@router.get("/staff", response_class=FileResponse)
@router.get("/staff/{section:path}", response_class=FileResponse)
def staff_app(section: CleanStr = "") -> FileResponse:  # the app routes in the browser; the path is not read
    if not APP_INDEX.is_file():
        # A checkout where `make setup` has not built web/ yet: say what to do, never a blank page.
        raise HTTPException(status_code=503, detail="工作台页面尚未构建，请先运行 make setup")
    return FileResponse(APP_INDEX, media_type="text/html; charset=utf-8", headers=CONSOLE_HEADERS)


@router.get("/demo", response_class=FileResponse)
def demo_page() -> FileResponse:
    # Always served; without DEMO_MODE its data route answers 404 and the page says 演示模式未开启.
    return _file("demo.html", "text/html; charset=utf-8", CONSOLE_HEADERS)


@router.get("/embed.js", response_class=FileResponse)
def embed_script() -> FileResponse:
    # Loaded by other sites' pages with a plain <script> tag: no CSP of ours applies to it.
    return _file("embed.js", "text/javascript; charset=utf-8", _COMMON_HEADERS)


class _StaticFiles(StaticFiles):
    """StaticFiles that sends the same headers as the pages (and the CSP on any HTML file)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response = _gzipped_twin(response, scope) or response
        headers = PAGE_HEADERS if response.media_type and response.media_type.startswith("text/html") else _COMMON_HEADERS
        if path.startswith("app/assets/"):  # content-hashed names: a new build has new names
            headers = {**headers, "Cache-Control": "public, max-age=31536000, immutable"}
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response


def _gzipped_twin(response: Response, scope: Scope) -> FileResponse | None:
    """The build's precompressed `<file>.gz` (web/scripts/precompress.mjs) for a browser that accepts gzip."""
    if not isinstance(response, FileResponse) or response.status_code != 200:
        return None
    accepted = Headers(scope=scope).get("accept-encoding", "")
    twin = Path(str(response.path) + ".gz")
    if "gzip" not in accepted or not twin.is_file() or twin.stat().st_mtime < Path(response.path).stat().st_mtime:
        return None  # no twin, or a stale one (the file was edited after the build): the file itself
    return FileResponse(twin, media_type=response.media_type,
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})


def install_web(app: FastAPI) -> None:
    """Add the pages and mount `/static` (path traversal is refused by StaticFiles)."""
    app.include_router(router)
    app.mount("/static", _StaticFiles(directory=STATIC_DIR), name="static")
