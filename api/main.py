"""The FastAPI application factory: settings, database, Redis and routers are wired at start-up."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.access_log import install_log_redaction
from api.analytics.router import router as analytics_router
from api.analytics.scheduled import start_analytics_scheduler
from api.auth.deps import install_auth_error_handler
from api.auth.router import router as auth_router
from api.bodylimit import MULTIPART_ROOM, BodyLimit
from api.core.database import make_engine, make_session_factory
from api.core.errors import install_error_handlers
from api.core.rasa import RasaClient
from api.core.redis_client import close_redis, connect_redis
from api.core.runtime import Runtime
from api.core.scheduling import stop_task
from api.enterprise import service as enterprise_service
from api.enterprise.router import PENDING_COUNTS, install_enterprise
from api.health.router import router as health_router
from api.hub import console as hub_console
from api.hub import internal as hub_internal
from api.hub import seat_router, widget_router
from api.hub import widget as hub_widget
from api.hub.events import Hub, async_client
from api.hub.picture import PROVIDERS as PICTURE
from api.hub.scheduled import start_hub_scheduler
from api.improvement.router import router as improvement_router
from api.improvement.scheduled import start_retrain_scheduler
from api.notification.router import router as notification_router
from api.org.router import router as units_router
from api.outbox import router as outbox_router
from api.outbox.delivery import deliver_notices
from api.outbox.scheduled import start_outbox_scheduler
from api.petition import widget_router as petition_widget_router
from api.petition.internal import router as petition_internal_router
from api.petition.reports import router as petition_reports_router
from api.petition.router import router as petition_router
from api.petition.scheduled import start_scheduler
from api.reminder import internal as reminder_internal
from api.reminder import router as reminder_router
from api.reminder import service as reminder_service
from api.reminder import widget_router as reminder_widget_router
from api.reminder.delivery import deliver_pending
from api.reminder.delivery import pending_counts as reminder_pending_counts
from api.reminder.scheduled import start_campaign_scheduler
from api.review.router import router as review_router
from api.settings import Settings, get_settings
from api.vocabulary.router import router as vocabulary_router
from api.web import welcome as web_welcome
from api.web.router import install_web

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    install_log_redaction()  # before the first request: no token in a query string is ever logged

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt.engine = make_engine(settings.database_url)
        rt.session_factory = make_session_factory(rt.engine)
        rt.redis = connect_redis(settings.redis_url, settings.embedded_redis_path)
        rt.rasa = RasaClient(settings.rasa_url, timeout=settings.rasa_timeout_seconds,
                             jwt_secret=settings.rasa_jwt_secret, inflight=settings.bot_inflight_per_instance,
                             busy_after=settings.bot_busy_after_seconds)
        rt.hub = Hub(async_client(settings.redis_url, rt.redis))
        await rt.hub.start()
        for name, enabled, start in (("sla-sweep", settings.sla_sweep_enabled, start_scheduler),
                                     ("hub-sweep", settings.hub_sweep_enabled, start_hub_scheduler),
                                     ("campaign-sender", settings.campaign_sweep_enabled, start_campaign_scheduler),
                                     ("analytics-sweep", settings.analytics_sweep_enabled, start_analytics_scheduler),
                                     ("outbox", settings.outbox_sweep_enabled, start_outbox_scheduler),
                                     ("retrain", settings.retrain_sweep_enabled, start_retrain_scheduler)):
            if enabled:
                rt.tasks[name] = start(rt)
        try:
            yield
        finally:
            for task in rt.tasks.values():
                await stop_task(task)
            rt.tasks.clear()
            await rt.hub.stop()
            await rt.rasa.close()
            rt.engine.dispose()
            close_redis(rt.redis)

    app = FastAPI(title="小微企业智能办税助手 API", version="0.1.0", lifespan=lifespan)
    rt = app.state.runtime = Runtime(settings)  # the one place app.state is written; read through api.core.runtime
    # what is put into the chat when it opens: reminders found for the enterprise, notices of its petitions
    rt.widget_open_hooks = [deliver_pending, deliver_notices]
    PICTURE.update(profile=enterprise_service.picture_profile, credit=enterprise_service.picture_credit,
                   reminders=reminder_service.picture_reminders)  # what a seat sees of the enterprise
    PENDING_COUNTS["reminders"] = reminder_pending_counts  # the demo list shows what awaits each one on opening
    app.add_middleware(BodyLimit, default=settings.request_max_bytes,
                       per_path={"/api/widget/uploads": settings.upload_max_bytes + MULTIPART_ROOM})
    install_error_handlers(app)
    install_auth_error_handler(app)
    app.include_router(health_router)
    app.include_router(vocabulary_router)
    app.include_router(auth_router)
    app.include_router(petition_reports_router)  # before petition_router: /statistics is not a /{petition_id}
    app.include_router(petition_router)
    app.include_router(notification_router)
    app.include_router(units_router)
    app.include_router(petition_internal_router)
    for router in (hub_widget.router, hub_console.router, widget_router.router, widget_router.files_router,
                   seat_router.router, hub_internal.router, reminder_router.router, reminder_router.repairs_router,
                   reminder_internal.router, reminder_widget_router.router, outbox_router.widget_router,
                   outbox_router.staff_router, web_welcome.router, petition_widget_router.router):
        app.include_router(router)
    install_enterprise(app, settings)
    for router in (analytics_router, review_router, improvement_router):
        app.include_router(router)
    install_web(app)
    return app
