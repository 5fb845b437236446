"""/api/widget: the widget's REST side (visitor token as Bearer, enterprise token in X-Enterprise-Token):
session, history, uploads, answer feedback, rating, leaving a message; and the attachment files.
New visitor tokens, uploads and leave-messages have quotas per identity and per address (api.hub.quotas)."""
from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Header, Query, Request, Response, UploadFile
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.auth.security import create_visitor_token, verify_visitor_token
from api.core.database import SessionDep
from api.core.errors import NotFound, Unauthorized
from api.core.runtime import RuntimeDep, SettingsDep
from api.core.time import aware_now
from api.hub import dispatch, events, quotas, service, uploads
from api.hub.identity import Identity, new_visitor_token, resolve_identity
from api.hub.models import Attachment
from api.hub.schemas import (
    FeedbackRequest,
    LeaveMessageRequest,
    MessageOut,
    PetitionFiled,
    RatingRequest,
    SessionRequest,
    WidgetConversation,
    WidgetMessages,
    WidgetSession,
    message_wire,
)
from api.inputs import CleanStr, Id
from api.org.service import serving_unit
from api.petition import service as petitions
from api.petition.internal import CHANNEL, promised_due
from api.petition.models import Petition
from api.petition.schemas import PetitionCreate
from api.throttle import client_address

__all__ = ["router", "files_router", "widget_identity", "WidgetIdentity"]

router = APIRouter(prefix="/api/widget", tags=["widget"])
files_router = APIRouter(tags=["widget"])
BOT_CANNOT_READ = "已收到您的文件。智能助手暂时无法查看文件内容，如需工作人员查看，请点击“转人工”。"
visitor_scheme = HTTPBearer(auto_error=False, scheme_name="VisitorToken", description="访客会话凭证")


def widget_identity(settings: SettingsDep,
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(visitor_scheme)],
                    x_enterprise_token: Annotated[str | None, Header()] = None) -> Identity:
    return resolve_identity(credentials.credentials if credentials else None, x_enterprise_token,
                            secret=settings.app_secret)


WidgetIdentity = Annotated[Identity, Depends(widget_identity)]


@router.post("/session", response_model=WidgetSession, summary="取得或续期访客会话凭证；带企业凭证时核验企业身份",
             responses={429: {"description": "同一地址新建会话过于频繁"}})
def open_session(body: SessionRequest, settings: SettingsDep, rt: RuntimeDep, request: Request) -> dict:
    token = body.visitor_token
    try:
        visitor_id = verify_visitor_token(token, secret=settings.app_secret) if token else None
    except Unauthorized:
        visitor_id = None  # expired or foreign: a new visitor (the old history is not reachable without it)
    if visitor_id is None:  # a new identity costs; renewing one's own does not
        quotas.take_new_visitor(rt.redis, settings, client_address(request))
    token = create_visitor_token(visitor_id, secret=settings.app_secret) if visitor_id else \
        new_visitor_token(settings.app_secret)
    if body.enterprise_token:
        try:
            identity = resolve_identity(token, body.enterprise_token, secret=settings.app_secret)
        except Unauthorized as exc:
            code = "enterprise_token_expired" if exc.code == "token_expired" else exc.code
            raise Unauthorized(exc.detail, code=code) from None
    else:
        identity = resolve_identity(token, None, secret=settings.app_secret)
    return {"visitor_token": token, "identity": identity.public()}


@router.get("/messages", response_model=WidgetMessages, summary="会话记录（after 之后的，或最近的 limit 条）")
def messages(identity: WidgetIdentity, session: SessionDep, rt: RuntimeDep, after: Id | None = None,
             limit: int = Query(100, ge=1, le=10_000)) -> dict:
    rows = service.history(identity.key, session=session, after=after, limit=max(1, min(limit, 500)))
    conversation = service.latest_conversation(identity.key, session=session)
    state = dispatch.widget_state(conversation, session=session, client=rt.redis,
                                  settings=rt.settings, now=aware_now())
    return {"messages": [message_wire(m, a) for m, a in rows], "conversation": state}


@router.post("/uploads", response_model=MessageOut, status_code=201, summary="上传图片或PDF（不超过5MB）到当前会话",
             responses={413: {"description": "文件太大"}, 415: {"description": "文件类型不支持"},
                        429: {"description": "超过上传数量上限"}})
async def upload(identity: WidgetIdentity, request: Request, rt: RuntimeDep, file: UploadFile = File(...)) -> dict:
    await run_in_threadpool(quotas.take_upload, rt.redis, rt.settings, identity,
                            client_address(request))
    data = await uploads.read_limited(file, rt.settings.upload_max_bytes)
    with rt.session_factory() as session:
        now = aware_now()
        conversation = service.current_conversation(identity, session=session, settings=rt.settings, now=now)
        attachment = uploads.store(conversation, file.filename, data, session=session, now=now)
        kind = "PDF文件" if attachment.content_type == "application/pdf" else "图片"
        message = service.post(conversation, session=session, sender="user", text=f"[{kind}] {attachment.filename}",
                               attachment=attachment, now=now)
        posted = [message]
        if conversation.mode == "bot":  # the bot cannot read files: say so rather than stay silent
            posted.append(service.post(conversation, session=session, sender="system", now=now, text=BOT_CANNOT_READ))
        session.commit()
        wire = message_wire(message, attachment)
        events.publish(rt.redis, [e for m in posted for e in events.message_events(
            conversation, wire if m is message else message_wire(m))])
    return wire


@router.post("/messages/{message_id}/feedback", response_model=MessageOut, summary="对智能助手的回答评价：有用 / 没用")
def feedback(message_id: Id, body: FeedbackRequest, identity: WidgetIdentity, session: SessionDep) -> dict:
    message = service.give_feedback(message_id, identity.key, body.value, session=session, now=aware_now())
    session.commit()
    return message_wire(message)


@router.post("/conversations/{conversation_id}/rating", response_model=WidgetConversation,
             summary="人工服务结束后的满意度评价（1–5分）")
def rate(conversation_id: Id, body: RatingRequest, identity: WidgetIdentity, session: SessionDep,
         rt: RuntimeDep) -> dict:
    now = aware_now()
    conversation = service.rate(conversation_id, identity.key, body.score, body.comment, session=session, now=now)
    session.commit()
    events.publish(rt.redis, events.change_events(conversation))
    return dispatch.widget_state(conversation, session=session, client=rt.redis,
                                 settings=rt.settings, now=now)


@router.post("/leave-message", response_model=PetitionFiled, status_code=201, summary="非服务时间或无人在线时留言：登记为纳税服务类诉求",
             responses={429: {"description": "超过留言数量上限"}})
def leave_message(body: LeaveMessageRequest, identity: WidgetIdentity, session: SessionDep, settings: SettingsDep,
                  rt: RuntimeDep, request: Request) -> dict:
    key = f"leave:{identity.key}:{body.client_id}"[:100] if body.client_id else None
    filed = key is not None and session.execute(select(Petition).where(Petition.idempotency_key == key)
                                                ).scalar_one_or_none()
    if filed:  # a resend of a registered message (same client_id; its answer was lost): the same ticket again,
        due = promised_due(filed)  # without using the quota or telling the chat twice
        return {"ticket": filed.ticket, "due_date": str(due) if due else None, "category": filed.category}
    quotas.take_leave_message(rt.redis, settings, identity, client_address(request))
    now = aware_now()
    unit = serving_unit(identity.uscc, session=session, settings=settings)  # 属地: a visitor's to the intake unit
    conversation = service.current_conversation(identity, session=session, settings=settings, now=now)
    transcript = service.transcript_text(conversation, session=session, limit=1500)
    content = body.content + (f"\n\n【会话记录】\n{transcript}" if transcript else "")
    data = PetitionCreate(content=content[:4000], category="纳税服务类", taxpayer_name=body.taxpayer_name,
                          uscc=identity.uscc, contact_phone=body.contact_phone, channel=CHANNEL,
                          idempotency_key=key, sender_id=f"conversation:{conversation.id}")
    petition = petitions.register(data, session=session, actor="bot", accepting_unit_id=unit.id, now=now)
    conversation.petition_ticket = petition.ticket
    due = promised_due(petition)
    note = service.post(conversation, session=session, sender="system", now=now,
                        text=f"您的留言已登记，受理编号{petition.ticket}，工作人员会在1个工作日内与您联系"
                             + (f"，预计{due:%Y-%m-%d}前办结。" if due else "。"))
    session.commit()
    events.publish(rt.redis, events.message_events(conversation, message_wire(note)))
    return {"ticket": petition.ticket, "due_date": str(due) if due else None, "category": petition.category}


@files_router.get("/api/attachments/{attachment_id}/{digest}", summary="会话附件（链接即凭证）", response_class=Response,
                  responses={200: {"content": {t: {} for t in uploads.EXTENSIONS},
                                   "description": "文件本身"}})
def attachment_file(attachment_id: Id, digest: CleanStr, session: SessionDep) -> Response:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or not hmac.compare_digest(attachment.sha256[:32].encode(), digest.encode()):
        raise NotFound("附件不存在")
    disposition = "inline" if attachment.content_type.startswith("image/") else "attachment"
    return Response(attachment.data, media_type=attachment.content_type, headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(attachment.filename)}",
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, max-age=86400"})
