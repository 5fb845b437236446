"""GET /health: 200 once Rasa, the action server, the database and Redis all answer; 503 otherwise."""
from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.core.runtime import Runtime, RuntimeDep
from api.health.schemas import Health

router = APIRouter(tags=["health"])


async def _http_ok(url: str, timeout: float) -> bool:
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


def _database_ok(rt: Runtime) -> bool:
    try:
        with rt.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        return False


def _redis_ok(rt: Runtime) -> bool:
    try:
        return bool(rt.redis.ping())
    except Exception:  # noqa: BLE001
        return False


@router.get("/health", response_model=Health, summary="服务健康检查",
            responses={503: {"model": Health, "description": "有组件不可用（checks 中为 down）"}})
async def health(rt: RuntimeDep) -> JSONResponse:
    settings = rt.settings
    rasa, actions = await asyncio.gather(
        rt.rasa.alive(settings.health_timeout),
        _http_ok(f"{settings.actions_url}/health", settings.health_timeout),
    )
    checks = {
        "rasa": rasa,
        "actions": actions,
        "database": await asyncio.to_thread(_database_ok, rt),
        "redis": await asyncio.to_thread(_redis_ok, rt),
    }
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "degraded", "checks": {k: "ok" if v else "down" for k, v in checks.items()}}
    return JSONResponse(body, status_code=200 if healthy else 503)
