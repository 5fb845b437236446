"""GET /api/widget/welcome: what the widget's welcome card offers — 常见问题 drawn from the knowledge base
(knowledge/welcome.py) — for the holder of a visitor token (enterprise or visitor alike)."""
from __future__ import annotations

from fastapi import APIRouter

from api.hub.schemas import Welcome
from api.hub.widget_router import WidgetIdentity
from knowledge.base import get_knowledge_base
from knowledge.welcome import suggestions

__all__ = ["router"]

router = APIRouter(prefix="/api/widget", tags=["widget"])


@router.get("/welcome", response_model=Welcome, summary="欢迎卡片：常见问题（取自知识库）")
def welcome(identity: WidgetIdentity) -> dict[str, list[dict[str, str]]]:
    return {"suggestions": suggestions(get_knowledge_base())}
