"""Masking of personal data: how a phone, a USCC, an ID number or a name looks when masked.

Who sees what masked is decided by :mod:`api.privacy.policy`; this module only knows the forms. Applied to
every free text (messages, questions, summaries, petition demands) and to personal fields:

* mobile numbers → ``138****8000`` (also written ``+86 138-0013-8000``); landlines → ``028-****5678``;
* USCCs (18 characters of the GB 32100 alphabet, valid check digit or not) → ``9151************6X``:
  first 4 and last 2 kept;
* ID numbers (身份证号, 18 digits or 17 + X, and the old 15-digit form) → ``510***********123X``: first 3,
  last 4 kept; bank cards (16–19 digits) → first 4, last 4;
* names: the conversation's enterprise name (and the name without its legal form, 有限公司 …) → first 2 and
  last 2 characters kept (``成都****公司``); a person's name after 我叫 / 姓名 / 联系人 / 法人 / 经办人 →
  ``王**``.

Matching runs on the half-width form of the text (``common.identifiers.to_halfwidth`` keeps offsets), so
full-width digits are caught too, and replaces the spans in the original.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, overload

from common.identifiers import USCC_CHARSET, to_halfwidth

__all__ = ["mask_text", "mask_uscc", "mask_name", "mask_person", "mask_phone", "Masker", "LEGAL_FORMS"]

_USCC_SET = set(USCC_CHARSET)
_CODE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{15,19}(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(?:(?:\+|00)?86[ -]?)?(1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})(?![0-9])")
_AREA = r"0(?:10|2[0-9]|[3-9][0-9]{2})"
_LANDLINE = re.compile(rf"(?<![0-9])(?:\(({_AREA})\)|({_AREA}))[ -]?([2-9][0-9]{{6,7}})(?![0-9])")
_PERSON = re.compile(r"(我叫|我的名字是|名字叫|姓名[:：]?\s*|联系人[:：]?\s*|法定代表人[:：是]?\s*|法人(?:代表)?[:：是]?\s*|"
                     r"经办人[:：]?\s*|纳税人姓名[:：]?\s*)([\u4e00-\u9fff]{2,3})")
LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "分公司", "公司", "个体工商户", "合作社", "工作室", "经营部",
               "商行", "门市部", "店", "厂")


def _stars(n: int) -> str:
    return "*" * max(n, 1)


@overload
def mask_uscc(code: str) -> str: ...
@overload
def mask_uscc(code: str | None) -> str | None: ...
def mask_uscc(code: str | None) -> str | None:
    if not code:
        return code
    return code[:4] + _stars(len(code) - 6) + code[-2:] if len(code) > 6 else _stars(len(code))


@overload
def mask_name(name: str) -> str: ...
@overload
def mask_name(name: str | None) -> str | None: ...
def mask_name(name: str | None) -> str | None:
    """An enterprise name: first 2 and last 2 characters (short names: the first character)."""
    if not name:
        return name
    if len(name) <= 4:
        return name[0] + _stars(len(name) - 1)
    return name[:2] + _stars(len(name) - 4) + name[-2:]


def mask_person(name: str) -> str:
    return name[0] + _stars(len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    """A contact-phone field: a mobile or landline as in :func:`mask_text`; anything else that is not
    recognised (a short number, an extension) keeps its first 3 and last 2 characters, never whole."""
    if not phone:
        return phone
    masked = mask_text(phone)
    if masked != phone:
        return masked
    return phone[:3] + _stars(len(phone) - 5) + phone[-2:] if len(phone) > 6 else _stars(len(phone))


def _code(token: str) -> str | None:
    """The masked form of a 15–19 character code, None when it is not one we mask."""
    n = len(token)
    if token.isdigit():
        if n in (15, 18):
            return token[:3] + _stars(n - 7) + token[-4:]  # ID number (old 15-digit form too)
        return token[:4] + _stars(n - 8) + token[-4:]  # 16, 17, 19 digits: a bank card
    if n == 18 and token[:17].isdigit() and token[17] in "Xx":
        return token[:3] + _stars(11) + token[-4:]
    upper = token.upper()
    if n == 18 and set(upper) <= _USCC_SET and any(ch.isdigit() for ch in upper):
        return mask_uscc(token)
    return None


def _name_variants(names: Iterable[str | None]) -> list[str]:
    out: set[str] = set()
    for name in names:
        name = (name or "").strip()
        if len(name) < 2:
            continue
        out.add(name)
        for form in LEGAL_FORMS:
            if name.endswith(form) and len(name) - len(form) >= 4:
                out.add(name[: -len(form)])
                break
    return sorted(out, key=len, reverse=True)  # longest first: the full name before its core


@overload
def mask_text(text: str, names: Iterable[str | None] = ()) -> str: ...
@overload
def mask_text(text: str | None, names: Iterable[str | None] = ()) -> str | None: ...
def mask_text(text: str | None, names: Iterable[str | None] = ()) -> str | None:
    """``text`` with phones, USCCs, ID and card numbers, the given (enterprise) names and introduced person
    names masked."""
    if not text:
        return text
    folded = to_halfwidth(text)
    spans: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in spans)

    for match in _CODE.finditer(folded):
        masked = _code(match.group())
        if masked is not None:
            spans.append((match.start(), match.end(), masked))
    for match in _MOBILE.finditer(folded):
        if free(match.start(), match.end()):
            spans.append((match.start(), match.end(), f"{match[1]}****{match[3]}"))
    for match in _LANDLINE.finditer(folded):
        if free(match.start(), match.end()):
            area, local = match[1] or match[2], match[3]
            spans.append((match.start(), match.end(), f"{area}-****{local[-4:]}"))
    for name in _name_variants(names):
        start = folded.find(name)
        while start != -1:
            if free(start, start + len(name)):
                spans.append((start, start + len(name), mask_name(name)))
            start = folded.find(name, start + len(name))
    for match in _PERSON.finditer(folded):
        start, end = match.start(2), match.end(2)
        if free(start, end):
            spans.append((start, end, mask_person(match[2])))
    if not spans:
        return text
    out, last = [], 0
    for start, end, replacement in sorted(spans):
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return "".join(out)


class Masker:
    """What a route applies to its output: masking on (the default) or off (an unmasked view that
    :mod:`api.privacy.policy` allowed and audited)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    @overload
    def text(self, text: str, names: Iterable[str | None] = ()) -> str: ...
    @overload
    def text(self, text: str | None, names: Iterable[str | None] = ()) -> str | None: ...
    def text(self, text: str | None, names: Iterable[str | None] = ()) -> str | None:
        return mask_text(text, names) if self.enabled else text

    @overload
    def uscc(self, code: str) -> str: ...
    @overload
    def uscc(self, code: str | None) -> str | None: ...
    def uscc(self, code: str | None) -> str | None:
        return mask_uscc(code) if self.enabled else code

    def name(self, name: str | None) -> str | None:
        return mask_name(name) if self.enabled else name

    def phone(self, phone: str | None) -> str | None:
        return mask_phone(phone) if self.enabled else phone

    def value(self, value: Any, names: Iterable[str | None] = ()) -> Any:
        """Strings inside a JSON value (an envelope) masked; other values unchanged."""
        if not self.enabled:
            return value
        names = list(names)
        if isinstance(value, str):
            return mask_text(value, names)
        if isinstance(value, list):
            return [self.value(v, names) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v, names) for k, v in value.items()}
        return value
