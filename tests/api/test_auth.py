"""Staff log-in, tokens and role checks: who may call the API, and what a refusal says."""
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from api.auth.security import (
    create_enterprise_token,
    create_staff_token,
    hash_password,
    needs_rehash,
    verify_enterprise_token,
    verify_password,
)
from api.core.errors import Unauthorized
from common.identifiers import make_uscc
from tests.api.conftest import PASSWORD


def login(client, username, password):
    return client.post("/api/auth/token", data={"username": username, "password": password})


# -- passwords ---------------------------------------------------------------------------------

def test_password_hashes_are_salted_and_verify_only_the_right_password():
    first, second = hash_password("s3cret-pass", iterations=1000), hash_password("s3cret-pass", iterations=1000)
    assert first != second and first.startswith("pbkdf2_sha256$1000$")
    assert verify_password("s3cret-pass", first) and verify_password("s3cret-pass", second)
    assert not verify_password("s3cret-pasS", first)


@pytest.mark.parametrize("stored", [None, "", "plain", "md5$1$abc$def", "pbkdf2_sha256$x$abc$def"])
def test_missing_or_malformed_hashes_never_match(stored):
    assert verify_password("anything-at-all", stored) is False


def test_short_passwords_are_refused_and_weak_hashes_flagged_for_rehash():
    with pytest.raises(ValueError):  # noqa: PT011
        hash_password("short")
    assert needs_rehash(hash_password("long-enough", iterations=1000))


# -- log-in ------------------------------------------------------------------------------------

def test_login_returns_a_staff_token_that_identifies_the_account(client, world, settings):
    response = login(client, world.handler.username, PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == settings.staff_token_minutes * 60
    claims = jwt.decode(body["access_token"], settings.app_secret, algorithms=["HS256"])
    assert claims["sub"] == str(world.handler.id) and claims["role"] == "handler"
    assert claims["unit"] == world.collection.id and claims["exp"] > datetime.now(timezone.utc).timestamp()
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == world.handler.username and me.json()["unit"]["id"] == world.collection.id
    assert me.json()["role_label"] == "办理人员"


@pytest.mark.parametrize("who, password", [("handler", "wrong-password"), ("nobody", PASSWORD)])
def test_wrong_password_or_unknown_user_is_401_with_one_message(client, world, who, password):
    username = world.prefix + who
    response = login(client, username, password)
    assert response.status_code == 401
    assert response.json()["detail"] == "用户名或密码错误"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_inactive_account_is_403_once_the_password_is_right(client, world):
    assert login(client, world.inactive.username, "wrong-password").status_code == 401
    response = login(client, world.inactive.username, PASSWORD)
    assert response.status_code == 403 and "停用" in response.json()["detail"]


def test_login_needs_the_form_fields(client):
    response = client.post("/api/auth/token", data={"username": "x"})
    assert response.status_code == 422 and "password" in response.json()["detail"]


# -- tokens on protected routes -----------------------------------------------------------------

def test_no_token_is_401_in_chinese(client):
    response = client.get("/api/auth/me")
    assert response.status_code == 401 and response.json()["detail"] == "请先登录"


def test_expired_token_is_401(client, world, auth):
    headers = auth(world.handler, lifetime=timedelta(minutes=5), now=datetime.now(timezone.utc) - timedelta(hours=1))
    response = client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired" and "过期" in response.json()["detail"]


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_garbage_token_is_401(client, token):
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json()["detail"] in ("登录凭证无效，请重新登录", "请先登录")


def test_token_signed_with_another_secret_is_401(client, world):
    forged = create_staff_token(world.admin, secret="x" * 32, lifetime=timedelta(hours=1))
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


def test_token_with_a_changed_role_must_log_in_again(client, world, auth, db):
    headers = auth(world.clerk)
    world.clerk.role = "supervisor"
    db.commit()
    response = client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401 and "重新登录" in response.json()["detail"]


def test_token_of_a_deactivated_account_is_403(client, world, auth, db):
    headers = auth(world.registrar)
    world.registrar.active = False
    db.commit()
    assert client.get("/api/auth/me", headers=headers).status_code == 403


def test_enterprise_token_cannot_call_staff_routes(client, enterprise_token):
    headers = {"Authorization": f"Bearer {enterprise_token(make_uscc(11))}"}
    for response in (client.get("/api/auth/me", headers=headers), client.get("/api/petitions", headers=headers)):
        assert response.status_code == 403 and response.json()["detail"] == "企业身份不能访问工作人员接口"


def test_roles_without_petition_access_get_403(client, world, auth):
    response = client.get("/api/petitions", headers=auth(world.expert))
    assert response.status_code == 403 and "专家坐席" in response.json()["detail"]


# -- enterprise tokens --------------------------------------------------------------------------

def test_enterprise_token_names_the_uscc_it_was_issued_to(settings):
    uscc = make_uscc(3)
    identity = verify_enterprise_token(create_enterprise_token(uscc, "成都小微商贸有限公司", secret=settings.app_secret),
                                       secret=settings.app_secret)
    assert identity.uscc == uscc and identity.name == "成都小微商贸有限公司"


def test_staff_token_is_not_an_enterprise_token(settings, world):
    token = create_staff_token(world.handler, secret=settings.app_secret, lifetime=timedelta(hours=1))
    with pytest.raises(Unauthorized, match="企业登录凭证无效"):
        verify_enterprise_token(token, secret=settings.app_secret)


def test_enterprise_token_with_an_invalid_uscc_or_expired_is_refused(settings):
    bad = jwt.encode({"sub": "91510100MA6CXXXXX0", "name": "x", "role": "enterprise",
                      "exp": datetime.now(timezone.utc) + timedelta(hours=1)}, settings.app_secret, algorithm="HS256")
    with pytest.raises(Unauthorized, match="无效"):
        verify_enterprise_token(bad, secret=settings.app_secret)
    old = create_enterprise_token(make_uscc(4), "x", secret=settings.app_secret, lifetime=timedelta(minutes=1),
                                  now=datetime.now(timezone.utc) - timedelta(hours=1))
    with pytest.raises(Unauthorized, match="过期"):
        verify_enterprise_token(old, secret=settings.app_secret)
