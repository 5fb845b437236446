"""One error hierarchy; each class carries its HTTP status and a machine code, the message is for people."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.inputs import clean_tree
from common.workdays import CalendarUnknownYear

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

    @app.exception_handler(CalendarUnknownYear)
    async def _unknown_year(request: Request, exc: CalendarUnknownYear) -> JSONResponse:
        # A date the working-day calendar cannot count from (logged by the calendar for the maintainers): the
        # request asked about a year nobody can give deadlines for yet, so it is the request that cannot be served.
        known = f"{exc.known.start}–{exc.known.stop - 1}年" if len(exc.known) else "暂无"
        return JSONResponse({"detail": f"{exc.year}年的工作日安排尚未公布，无法按工作日计算（可计算的年份：{known}），"
                                       "请检查日期", "code": "date_out_of_range"}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # The errors echo what was sent (keys, values): cleaned like any input, or a lone surrogate in a request
        # would make this very answer unencodable (a 500 instead of the 422).
        errors = clean_tree(jsonable_encoder(exc.errors()))
        fields = "、".join(".".join(str(p) for p in e["loc"][1:]) or "请求体" for e in errors)
        return JSONResponse({"detail": f"请求内容不符合要求：{fields}", "code": "invalid", "errors": errors},
                            status_code=422)
