"""One error hierarchy; each class carries its HTTP status and a machine code, the message is for people."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

__all__ = ["AppError", "NotFound", "Forbidden", "Unauthorized", "Conflict", "Invalid", "TooManyRequests",
           "install_error_handlers"]


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, detail: str, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class Invalid(AppError):
    status, code = 422, "invalid"


class TooManyRequests(AppError):
    """A throttle or lockout refused the request (api.throttle); ``retry_after`` seconds go in Retry-After."""
    status, code = 429, "too_many_requests"

    def __init__(self, detail: str, code: str | None = None, retry_after: int = 60):
        super().__init__(detail, code)
        self.retry_after = max(1, int(retry_after))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        return JSONResponse({"detail": exc.detail, "code": exc.code}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = "、".join(".".join(str(p) for p in e["loc"][1:]) or "请求体" for e in exc.errors())
        return JSONResponse({"detail": f"请求内容不符合要求：{fields}", "code": "invalid", "errors": exc.errors()},
                            status_code=422)
