"""``GET /api/vocabulary``: the Chinese names every page shows for the server's keys (statuses, kinds, roles,
intents, fields). Open to everyone, staff or enterprise or visitor: it carries labels only, never data.

Cacheable: the answer carries ``ETag: "<version>"``; a request with that ETag in ``If-None-Match`` gets 304.
``?groups=petition_status,intent`` narrows it to some groups (an unknown name: 422 naming it).
"""
from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from api.core.errors import Invalid
from api.inputs import CleanStr
from api.vocabulary.catalog import DESCRIPTIONS, GROUPS, VERSION, pick

__all__ = ["router", "Vocabulary"]

router = APIRouter(prefix="/api", tags=["vocabulary"])
CACHE_CONTROL = "public, max-age=300"


class Vocabulary(BaseModel):
    version: str  # changes whenever any label changes
    groups: dict[str, dict[str, str]]  # group → key → 中文
    descriptions: dict[str, str]  # group → what it names, in Chinese


def _names(groups: str | None) -> list[str]:
    names = [name.strip() for name in (groups or "").split(",") if name.strip()]
    unknown = [name for name in names if name not in GROUPS]
    if unknown:
        raise Invalid(f"没有名为“{'、'.join(unknown)}”的词表分组，可用的分组：{'、'.join(GROUPS)}",
                      code="unknown_vocabulary_group")
    return names


@router.get("/vocabulary", response_model=Vocabulary, summary="界面词表：状态、类型、角色、意图与字段的中文名称（无需登录）",
            responses={304: {"description": "词表未变（If-None-Match 与当前版本一致）"}})
def vocabulary(request: Request, response: Response,
               groups: CleanStr | None = Query(None, max_length=1000,
                                                  description="只要这些分组，逗号分隔；不填则返回全部")) -> Vocabulary | Response:
    names = _names(groups)
    etag = f'"{VERSION}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    asked = [tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")]
    if etag in asked or "*" in asked:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    chosen = pick(names)
    return Vocabulary(version=VERSION, groups=chosen, descriptions={name: DESCRIPTIONS[name] for name in chosen})
