"""The REST channel keeps bearer credentials out of Rasa's tracker (bot/channels.py)."""
import argparse
from datetime import datetime, timedelta, timezone

import pytest
from rasa.__main__ import create_argument_parser

from bot.channels import guarded_metadata
from bot.serve import rasa_argv
from common import tokens
from common.identifiers import make_uscc

SECRET = "a-test-secret-for-the-channel-0123456789"


def token(lifetime=timedelta(hours=1), secret=SECRET):
    return tokens.create_enterprise_token(make_uscc(77), "渠道测试有限公司", secret=secret, lifetime=lifetime)


def test_a_valid_token_becomes_a_grant_for_this_sender_only():
    kept = guarded_metadata({"enterprise_token": token(), "channel": "widget"}, "sender-a", app_secret=SECRET)
    assert "enterprise_token" not in kept and kept["channel"] == "widget"
    assert kept["enterprise"] == {"uscc": make_uscc(77), "name": "渠道测试有限公司"}
    identity = tokens.verify_grant(kept["enterprise_grant"], "sender-a", secret=SECRET)
    assert identity.uscc == make_uscc(77)
    with pytest.raises(tokens.TokenRejected):
        tokens.verify_grant(kept["enterprise_grant"], "sender-b", secret=SECRET)
    with pytest.raises(tokens.TokenRejected):  # a grant is never an enterprise token
        tokens.verify_enterprise_token(kept["enterprise_grant"], secret=SECRET)


def test_the_grant_is_short_lived_and_never_outlives_the_token():
    now = datetime.now(timezone.utc)
    long_lived = guarded_metadata({"enterprise_token": token(timedelta(hours=2))}, "s", app_secret=SECRET)
    expires = tokens.verify_grant(long_lived["enterprise_grant"], "s", secret=SECRET).expires_at
    assert expires <= now + tokens.GRANT_LIFETIME + timedelta(seconds=2)
    short = guarded_metadata({"enterprise_token": token(timedelta(minutes=2))}, "s", app_secret=SECRET)
    expires_at = tokens.verify_grant(short["enterprise_grant"], "s", secret=SECRET).expires_at
    assert expires_at <= now + timedelta(minutes=2, seconds=2)


@pytest.mark.parametrize("bad, code", [(token(timedelta(seconds=-5)), "token_expired"),
                                       (token(secret="another-deployments-secret-0123456"), "invalid_token"),
                                       ("x.y.z", "invalid_token")])
def test_a_refused_token_is_dropped_and_the_reason_kept(bad, code):
    kept = guarded_metadata({"enterprise_token": bad}, "s", app_secret=SECRET)
    assert kept == {"enterprise_token_error": code}


def test_messages_without_a_token_keep_their_metadata():
    assert guarded_metadata({"x": 1}, "s", app_secret=SECRET) == {"x": 1}
    assert guarded_metadata(None, "s", app_secret=SECRET) is None
    assert guarded_metadata("not a dict", "s", app_secret=SECRET) is None


def _parsed(argv: list[str]) -> argparse.Namespace:
    """What Rasa's own command line makes of ``argv`` (``rasa run ...``)."""
    return create_argument_parser().parse_args(argv[1:])


def test_rasa_is_started_on_loopback_with_a_jwt_and_no_cors():
    argv = rasa_argv({"RASA_JWT_SECRET": "jwt-secret-for-this-test-0123456789"})
    assert argv[argv.index("--interface") + 1] == "127.0.0.1"
    assert _parsed(argv).jwt_secret == "jwt-secret-for-this-test-0123456789"
    assert "--cors" not in argv and "--auth-token" not in argv
    several = rasa_argv({"RASA_JWT_SECRET": "x" * 32, "RASA_HOST": "0.0.0.0", "RASA_REDIS_HOST": "redis"})
    assert several[several.index("--interface") + 1] == "0.0.0.0"
    assert several[several.index("--endpoints") + 1] == "bot/endpoints.redis.yml"


def test_a_secret_that_begins_with_a_dash_still_starts_rasa():
    # token_urlsafe gives such a secret once in 64 draws; argparse took "--jwt-secret -x..." for a missing value
    # and Rasa exited with status 2 before loading the model.
    argv = rasa_argv({"RASA_JWT_SECRET": "-Qv3_secret-that-looks-like-an-option"})
    assert _parsed(argv).jwt_secret == "-Qv3_secret-that-looks-like-an-option"
