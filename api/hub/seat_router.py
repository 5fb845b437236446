"""/api/seats: what a staff or expert seat does with a conversation (docs/hub.md, Console REST).

Every route needs a staff token of a seat role; a conversation of a unit the seat does not serve (api.hub.units:
its own unit; an expert's also every unit under it) answers 404. Changes
are committed by the route and then published to the widget and the consoles. What a seat reads of a
conversation is masked unless it holds it now (api.privacy.policy); the unmasked reads are audited.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends

from api.auth.deps import CurrentStaff, require_roles
from api.core.database import SessionDep, get_or_404
from api.core.errors import Conflict, Forbidden, NotFound
from api.core.runtime import Runtime, RuntimeDep
from api.core.time import aware_now, china_date
from api.hub import dispatch, events, presence, service
from api.hub.picture import picture
from api.hub.routing import TIER_ROLES
from api.hub.schemas import (
    CardRequest,
    Colleague,
    KnowledgeHit,
    MessageOut,
    NoteRequest,
    PetitionDraft,
    PetitionFiled,
    Picture,
    PresenceRequest,
    PresenceSet,
    ReadRequest,
    SeatBoard,
    SeatConversation,
    SeatConversationDetail,
    SeatMe,
    SeatMessageRequest,
    SeatPetitionRequest,
    SummaryRequest,
    TransferRequest,
    UnreadCount,
    message_wire,
)
from api.hub.units import serves
from api.inputs import CleanStr, Id
from api.org.models import StaffAccount
from api.petition import service as petitions
from api.petition.access import ensure_role
from api.petition.internal import CHANNEL, promised_due
from api.petition.schemas import PetitionCreate
from api.privacy.masking import Masker
from api.privacy.policy import CONVERSATION_FIELDS, SERVING, audit_view, conversation_view
from common.petitions import suggest_category
from knowledge.base import get_knowledge_base

__all__ = ["router"]

router = APIRouter(prefix="/api/seats", tags=["seats"], dependencies=[Depends(require_roles(*TIER_ROLES.values()))])


def _publish(rt: Runtime, out: list) -> None:
    events.publish(rt.redis, out)


def _assign_later(rt: Runtime, unit_id: int) -> None:
    dispatch.run_assignment(rt.session_factory, rt.redis, rt.settings, unit_id)


@router.get("/me", response_model=SeatMe, summary="我的坐席状态")
def me(staff: CurrentStaff, rt: RuntimeDep) -> dict:
    client = rt.redis
    record = presence.get_presence(client, staff.id)
    status = ("leaving" if record.get("leaving") else record["status"]) if record else "offline"
    return {**dispatch.seat_info(staff), "unit_id": staff.unit_id, "unit_name": staff.unit.name,
            "status": status, "status_label": presence.STATUS_LABELS[status],
            "consoles": presence.connected(client, staff.id),
            "skills": [s for s in (staff.skills or "").split(",") if s]}


@router.put("/me/presence", response_model=PresenceSet, summary="设置在线状态：在线 / 忙碌 / 离开（须已打开坐席工作台）")
def set_presence(body: PresenceRequest, staff: CurrentStaff, rt: RuntimeDep) -> dict:
    client = rt.redis
    # Presence is the console's open socket: a seat with none is not there, whatever it says over REST.
    record = presence.set_status(client, staff.id, body.status) if presence.connected(client, staff.id) else None
    if record is None:
        raise Conflict("坐席工作台未连接，请先打开工作台并保持页面开启", code="not_connected")
    units = presence.units_of(record, staff)
    events.publish(client, [e for unit_id in units for e in events.presence_event(unit_id)])
    if body.status == "online":
        dispatch.assign_in(rt.session_factory, client, rt.settings, units)
    return {"status": body.status}


@router.get("/presence", response_model=SeatBoard, summary="本单位各层级坐席在线情况（含负责本单位的上级专家）：在线、可接入、忙碌、离开、排队数及坐席名单")
def seat_presence(staff: CurrentStaff, session: SessionDep, rt: RuntimeDep) -> dict:
    return dispatch.seat_board(staff.unit_id, session=session, client=rt.redis,
                               settings=rt.settings)


@router.get("/queue", response_model=list[SeatConversation], summary="所负责单位本层级待接入的会话（专家含下级单位），等待最久的在前")
def queue(staff: CurrentStaff, session: SessionDep) -> list[dict]:
    return dispatch.queue_for(staff, session=session, now=aware_now())


@router.get("/conversations", response_model=list[SeatConversation], summary="我正在服务的会话（含未读数）")
def mine(staff: CurrentStaff, session: SessionDep) -> list[dict]:
    held = dispatch.mine_for(staff, session=session, now=aware_now())
    if held:  # every one is held by the caller: shown unmasked, named in one audit row
        audit_view(staff, SERVING, "list_my_conversations", "conversations:mine", session=session, now=aware_now(),
                   fields=CONVERSATION_FIELDS, shown=[c["id"] for c in held])
        session.commit()
    return held


@router.get("/colleagues", response_model=list[Colleague], summary="本单位同层级的在线坐席（可转交）")
def colleagues(staff: CurrentStaff, session: SessionDep, rt: RuntimeDep) -> list[dict]:
    seats = dispatch.seats_with_loads(rt.redis, staff.unit_id, session=session)
    out = []
    for seat in seats:
        if seat.staff_id != staff.id and seat.role == staff.role and seat.status != "leaving":
            colleague = session.get(StaffAccount, seat.staff_id)
            if colleague is not None and colleague.active:
                out.append({**dispatch.seat_info(colleague), "status": seat.status, "load": seat.load})
    return out


@router.get("/conversations/{conversation_id}", response_model=SeatConversationDetail, summary="会话详情与全部消息（含内部备注）")
def detail(conversation_id: Id, staff: CurrentStaff, session: SessionDep) -> dict:
    conversation = service.seat_conversation(conversation_id, staff, session=session)
    masker = _viewed(staff, conversation, session, "view_conversation")
    names = [conversation.enterprise_name]
    answer = {"conversation": dispatch.seat_summary(conversation, session=session, now=aware_now(), viewer=staff),
              "messages": [message_wire(m, a, masker, names)
                           for m, a in service.transcript(conversation, session=session)]}
    session.commit()
    return answer


def _viewed(staff: StaffAccount, conversation, session, action: str) -> Masker:
    """The masker for what ``staff`` reads of the conversation; the unmasked view (it holds it) audited."""
    decision = conversation_view(staff, conversation)
    audit_view(staff, decision, action, f"conversation:{conversation.id}", session=session, now=aware_now(),
               fields=CONVERSATION_FIELDS, shown=[conversation.id])
    return decision.masker


@router.post("/conversations/{conversation_id}/claim", response_model=SeatConversation, summary="从队列接入会话")
def claim(conversation_id: Id, staff: CurrentStaff, session: SessionDep, rt: RuntimeDep) -> dict:
    conversation = service.seat_conversation(conversation_id, staff, session=session, for_update=True)
    note = service.claim(conversation, staff, session=session, now=aware_now())
    _viewed(staff, conversation, session, "claim_conversation")  # the answer shows it unmasked from now on
    session.commit()
    presence.mark_given_work(rt.redis, staff.id)
    _publish(rt, events.message_events(conversation, message_wire(note)) + events.change_events(conversation))
    return dispatch.seat_summary(conversation, session=session, now=aware_now(), viewer=staff)


@router.post("/conversations/{conversation_id}/messages", response_model=MessageOut, status_code=201, summary="回复企业")
def send(conversation_id: Id, body: SeatMessageRequest, staff: CurrentStaff, session: SessionDep,
         rt: RuntimeDep) -> dict:
    conversation = service.seat_conversation(conversation_id, staff, session=session)
    service.ensure_holder(conversation, staff)
    message = service.post(conversation, session=session, sender=staff.role, staff=staff, text=body.text,
                           client_id=body.client_id, now=aware_now())
    service.mark_read(conversation, message.id)
    session.commit()
    wire = message_wire(message)
    _publish(rt, events.message_events(conversation, wire))
    return wire


@router.get("/knowledge", response_model=list[KnowledgeHit], summary="检索知识库")
def knowledge(q: CleanStr, staff: CurrentStaff) -> list[dict]:
    kb = get_knowledge_base()
    today = china_date(aware_now())
    out = []
    for candidate in kb.retriever.rank(q[:200], limit=8):
        entry = candidate.entry
        out.append({"entry_id": entry.id, "topic": entry.topic, "title": entry.title,
                    "snippet": entry.answer[:120], "sources": [s.as_envelope() for s in entry.sources],
                    "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
                    "current": entry.is_current(today), "score": candidate.score})
    return out


@router.post("/conversations/{conversation_id}/cards", response_model=MessageOut, status_code=201,
             summary="把知识条目作为答复卡片发送")
def send_card(conversation_id: Id, body: CardRequest, staff: CurrentStaff, session: SessionDep,
              rt: RuntimeDep) -> dict:
    conversation = service.seat_conversation(conversation_id, staff, session=session)
    service.ensure_holder(conversation, staff)
    kb = get_knowledge_base()
    entry = kb.get(body.entry_id)
    if entry is None:
        raise NotFound(f"知识条目 {body.entry_id} 不存在")
    today = china_date(aware_now())
    message = service.post(conversation, session=session, sender=staff.role, staff=staff,
                           text=kb.render(entry, today), custom=kb.envelope(entry, today), now=aware_now())
    session.commit()
    wire = message_wire(message)
    _publish(rt, events.message_events(conversation, wire))
    return wire


@router.get("/conversations/{conversation_id}/picture", response_model=Picture, summary="企业全景信息")
def enterprise_picture(conversation_id: Id, staff: CurrentStaff, session: SessionDep) -> dict:
    conversation = service.seat_conversation(conversation_id, staff, session=session)
    answer = picture(conversation, session=session, masker=_viewed(staff, conversation, session, "view_picture"))
    session.commit()
    return answer


@router.post("/conversations/{conversation_id}/escalate", response_model=SeatConversation,
             summary="升级至专家坐席（附内部备注）；无专家在线时进入专家队列等待，企业会被如实告知")
def escalate(conversation_id: Id, body: NoteRequest, staff: CurrentStaff, session: SessionDep,
             rt: RuntimeDep) -> dict:
    conversation = service.seat_conversation(conversation_id, staff, session=session, for_update=True)
    now = aware_now()
    noted = service.escalate(conversation, staff, body.note, session=session, now=now)
    told = dispatch.tell_waiting(conversation, session=session, client=rt.redis,
                                 settings=rt.settings, now=now)
    posted = [noted] + ([told] if told else [])
    session.commit()
    _publish(rt, _to_holder(staff, conversation, posted) + events.change_events(conversation, staff.id))
    _assign_later(rt, conversation.unit_id)
    return dispatch.seat_summary(conversation, session=session, now=aware_now(), viewer=staff)


@router.post("/conversations/{conversation_id}/transfer", response_model=SeatConversation, summary="转交本单位同层级的同事")
def transfer(conversation_id: Id, body: TransferRequest, staff: CurrentStaff, session: SessionDep,
             rt: RuntimeDep) -> dict:
    conversation = service.seat_conversation(conversation_id, staff, session=session, for_update=True)
    colleague = get_or_404(session, StaffAccount, body.staff_id, "工作人员")
    service.ensure_holder(conversation, staff)
    if colleague.id != staff.id and colleague.role == staff.role and serves(colleague, conversation.unit_id,
                                                                           session=session):
        there = next((s for s in presence.present_seats(rt.redis, conversation.unit_id)
                      if s.staff_id == colleague.id), None)
        if there is None or there.status not in ("online", "busy"):  # never name a seat that is not there
            raise Conflict("该同事当前不在线，无法转交", code="colleague_offline")
    posted = service.transfer(conversation, staff, colleague, body.note, session=session, now=aware_now())
    session.commit()
    _publish(rt, _to_holder(staff, conversation, posted) + events.change_events(conversation, staff.id))
    return dispatch.seat_summary(conversation, session=session, now=aware_now(), viewer=staff)


@router.get("/conversations/{conversation_id}/petition-draft", response_model=PetitionDraft, summary="由会话生成诉求草稿")
def petition_draft(conversation_id: Id, staff: CurrentStaff, session: SessionDep) -> dict:
    conversation = service.seat_conversation(conversation_id, staff, session=session)
    masker, names = _viewed(staff, conversation, session, "petition_draft"), [conversation.enterprise_name]
    said = [m.text for m, _ in service.transcript(conversation, session=session) if m.sender == "user" and m.text]
    content = "\n".join(said)[-1500:]
    answer = {"content": masker.text(content, names), "category": suggest_category(content) if content else "纳税服务类",
              "taxpayer_name": masker.name(conversation.enterprise_name) or "",
              "uscc": masker.uscc(conversation.uscc) or "", "contact_phone": "",
              "transcript": masker.text(service.transcript_text(conversation, session=session, limit=1500), names)}
    session.commit()
    return answer


@router.post("/conversations/{conversation_id}/petition", response_model=PetitionFiled, status_code=201,
             summary="将会话转为诉求登记")
def to_petition(conversation_id: Id, body: SeatPetitionRequest, staff: CurrentStaff, session: SessionDep,
                rt: RuntimeDep) -> dict:
    conversation = service.seat_conversation(conversation_id, staff, session=session, for_update=True)
    # The seat that holds the conversation, with a role that may register petitions (the rule of
    # POST /api/petitions): a colleague, an expert or a seat that let it go may not file in its name.
    if not (conversation.mode == "human" and conversation.assigned_staff_id == staff.id):
        raise Forbidden("只有正在服务该会话的坐席可以将其登记为诉求", code="not_your_conversation")
    ensure_role("register", staff)
    now = aware_now()
    transcript = service.transcript_text(conversation, session=session, limit=1500)
    content = body.content + (f"\n\n【会话记录】\n{transcript}" if transcript else "")
    data = PetitionCreate(content=content[:4000], category=body.category, taxpayer_name=body.taxpayer_name,
                          uscc=body.uscc or conversation.uscc, contact_phone=body.contact_phone, channel=CHANNEL,
                          idempotency_key=f"conversation:{conversation.id}:seat:{staff.id}",
                          sender_id=f"conversation:{conversation.id}")
    petition = petitions.register(data, session=session, actor=staff, now=now)
    conversation.petition_ticket = petition.ticket
    due = promised_due(petition)
    note = service.post(conversation, session=session, sender="system", now=now,
                        text=f"已将您的诉求登记，受理编号{petition.ticket}" + (f"，预计{due:%Y-%m-%d}前办结。" if due else "。"))
    session.commit()
    _publish(rt, events.message_events(conversation, message_wire(note)))
    return {"ticket": petition.ticket, "category": petition.category, "due_date": str(due) if due else None}


@router.post("/conversations/{conversation_id}/handback", response_model=SeatConversation, summary="转回智能助手")
def handback(conversation_id: Id, staff: CurrentStaff, session: SessionDep, rt: RuntimeDep) -> dict:
    return _finish(conversation_id, staff, session, rt, lambda c, now: service.handback(
        c, staff, session=session, now=now))


@router.post("/conversations/{conversation_id}/close", response_model=SeatConversation, summary="结束会话（填写小结），企业可评价")
def close(conversation_id: Id, body: SummaryRequest, staff: CurrentStaff, session: SessionDep,
          rt: RuntimeDep) -> dict:
    return _finish(conversation_id, staff, session, rt, lambda c, now: service.close(
        c, staff, body.summary, session=session, now=now))


def _finish(conversation_id: Id, staff: StaffAccount, session, rt: Runtime, change) -> dict:
    conversation = service.seat_conversation(conversation_id, staff, session=session, for_update=True)
    posted = change(conversation, aware_now())
    session.commit()
    _publish(rt, _to_holder(staff, conversation, posted) + events.change_events(conversation, staff.id))
    _assign_later(rt, conversation.unit_id)  # the seat has room for the next one
    return dispatch.seat_summary(conversation, session=session, now=aware_now(), viewer=staff)


def _to_holder(staff: StaffAccount, conversation, posted: list) -> list:
    """The posted messages to the enterprise (not internal notes) and to the seat that acted, who may no
    longer hold the conversation (escalated, transferred, closed) but should see the line it caused."""
    out = []
    for message in posted:
        wire = {"type": "message", "message": message_wire(message)}
        if not message.internal:
            out.append((events.who(conversation.identity), wire))
        out.append((events.seat(staff.id), wire))
        if conversation.assigned_staff_id not in (None, staff.id):
            out.append((events.seat(conversation.assigned_staff_id), wire))
    return out


@router.post("/conversations/{conversation_id}/read", response_model=UnreadCount, summary="标记已读")
def read(conversation_id: Id, body: ReadRequest, staff: CurrentStaff, session: SessionDep) -> dict:
    conversation = service.seat_conversation(conversation_id, staff, session=session)
    service.mark_read(conversation, body.message_id)
    session.commit()
    return {"unread": service.unread_count(conversation, session=session)}
