"""Chinese business identifiers: 统一社会信用代码 (USCC) and contact phone numbers.

Pure Python, no third-party imports, so both the Rasa action server and the
FastAPI service can use it.

USCC (GB 32100-2015)
    18 characters from ``USCC_CHARSET`` (digits and upper-case letters without
    I, O, S, V, Z).  Character *i* (0-16) has the numeric value of its index in
    the charset and weight ``USCC_WEIGHTS[i]``; the 18th character is the check
    character ``USCC_CHARSET[(31 - sum % 31) % 31]``.  Because 31 is prime and
    every weight is in 1..30, changing any single character always changes the
    check character, so a one-character typo is always detected.

Phones
    Only numbers a person or company can be called back on count as a contact
    phone:

    * mainland mobile ``1[3-9]`` + 9 digits, optionally prefixed by ``+86``,
      ``0086`` or ``86``; spaces/dashes between the 3-4-4 groups are allowed.
      Normalised to the bare 11 digits, e.g. ``"13800138000"``.
    * landline with area code: ``010`` / ``02x`` + 8 digits, or a four digit
      area code ``0[3-9]xx`` + 7 or 8 digits (the local number never starts with
      0 or 1), area code optionally in parentheses, optional extension written
      ``-123``, ``转123``, ``分机123``, ``ext123``, ``x123`` or ``#123``.
      Normalised to ``"0755-23456789"`` or, with an extension,
      ``"0755-23456789-123"``.

    Decision: service numbers are **not** a user's contact phone.  The tax
    hotline 12366 and other 5-digit public-service numbers (123xx, 110, ...),
    bank/carrier short numbers (95xxx, 96xxx, 100xx) and the 400/800 corporate
    hotlines are rejected by :func:`normalize_phone` / :func:`is_valid_phone`;
    :func:`is_service_number` recognises them so a dialogue can say "12366 is
    the tax hotline, please leave your own number".

All functions first fold full-width ASCII (``１３８``, ``＋８６``, ``（０１０）``)
to half-width with :func:`to_halfwidth`, which never changes the length of a
string, so offsets found in the folded text are offsets in the original.
"""

from __future__ import annotations

import random
import re
import unicodedata

__all__ = [
    "USCC_CHARSET",
    "USCC_WEIGHTS",
    "MOBILE_PATTERN",
    "LANDLINE_PATTERN",
    "to_halfwidth",
    "uscc_check_digit",
    "is_valid_uscc",
    "normalize_uscc",
    "make_uscc",
    "normalize_phone",
    "is_valid_phone",
    "is_service_number",
]

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}

# Regex fragments (no anchors, no boundaries) shared with the NLU entity rules.
MOBILE_PATTERN = r"(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
_AREA = r"0(?:10|2[0-9]|[3-9][0-9]{2})"
LANDLINE_PATTERN = (
    rf"(?:\({_AREA}\)|{_AREA})[ -]?[2-9][0-9]{{6,7}}"
    r"(?: ?(?:-|转|分机|ext\.?|[xX#]) ?[0-9]{1,6})?"
)

_MOBILE_RE = re.compile(
    r"(?:(?:\+|00)?86[ -]?)?(?P<a>1[3-9][0-9])[ -]?(?P<b>[0-9]{4})[ -]?(?P<c>[0-9]{4})"
)
_LANDLINE_RE = re.compile(
    rf"(?:\((?P<area1>{_AREA})\)|(?P<area2>{_AREA}))[ -]?(?P<local>[2-9][0-9]{{6,7}})"
    r"(?: ?(?:-|转|分机|ext\.?|[xX#]) ?(?P<ext>[0-9]{1,6}))?"
)
_SERVICE_RE = re.compile(r"1[0-9]{2,4}|9[56][0-9]{3,4}|[48]00[0-9]{7}")

_USCC_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―]+")
_PHONE_STRIP = re.compile(r"[\s\-()]+")

# Real administrative-division codes used by make_uscc (Beijing, Haidian, Shanghai,
# Pudong, Guangzhou, Shenzhen, Hangzhou, Chengdu, Wuhan, Nanjing).
_DEMO_DIVISIONS = (
    "110000", "110108", "310000", "310115", "440100",
    "440300", "330100", "510100", "420100", "320100",
)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code check


def to_halfwidth(text: str) -> str:
    """Fold full-width ASCII (and other NFKC compatibility forms) to half-width.

    Each character is folded on its own and only when its NFKC form is exactly
    one character, so ``len(to_halfwidth(s)) == len(s)`` always holds and
    offsets are interchangeable between the two strings.  CJK ideographs and
    Chinese punctuation such as ``。`` or ``、`` are unchanged; ``，`` becomes
    ``,``, ``（`` becomes ``(``, U+3000 becomes a space.
    """
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def uscc_check_digit(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters.

    Lower-case input is accepted.  Raises ``ValueError`` unless ``first17`` has
    exactly 17 characters from ``USCC_CHARSET``.
    """
    body = first17.upper()
    if len(body) != 17 or any(ch not in _USCC_VALUE for ch in body):
        raise ValueError(f"expected 17 characters from {USCC_CHARSET!r}, got {first17!r}")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def normalize_uscc(text: str) -> str:
    """Fold full-width, drop spaces and dashes, upper-case.  Does not validate."""
    return _USCC_SEPARATORS.sub("", to_halfwidth(text)).upper()


def is_valid_uscc(code: object) -> bool:
    """True when ``code`` (after :func:`normalize_uscc`) is a valid 18-char USCC.

    Non-string input returns ``False`` instead of raising.
    """
    if not isinstance(code, str):
        return False
    norm = normalize_uscc(code)
    if len(norm) != 18 or any(ch not in _USCC_VALUE for ch in norm):
        return False
    return uscc_check_digit(norm[:17]) == norm[17]


def _org_code(rng: random.Random) -> str:
    """A 9-char GB 11714 organisation code whose characters stay in USCC_CHARSET."""
    body = "".join(rng.choice(USCC_CHARSET) for _ in range(8))
    total = sum(int(ch, 36) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(seed: int) -> str:
    """Deterministically build a valid, realistic-looking USCC for demos and tests.

    Layout: ``9`` (market regulator) + ``1``/``2``/``3`` (company / sole
    proprietorship / farmers' cooperative) + a real 6-digit division code + a
    GB 11714 organisation code + the USCC check character.  The same seed
    always yields the same code on every platform.
    """
    rng = random.Random(seed)
    first17 = "9" + rng.choice("123") + rng.choice(_DEMO_DIVISIONS) + _org_code(rng)
    return first17 + uscc_check_digit(first17)


def is_service_number(text: str) -> bool:
    """True for hotline/short numbers that are not a personal contact phone.

    Covers 12366 and other 3-5 digit ``1xxxx`` public-service numbers, bank and
    carrier numbers ``95xxx(x)`` / ``96xxx(x)``, and ``400``/``800`` + 7 digits.
    """
    digits = _PHONE_STRIP.sub("", to_halfwidth(text).strip())
    return bool(_SERVICE_RE.fullmatch(digits))


def normalize_phone(text: object) -> str | None:
    """Normalise a mainland contact phone, or return ``None`` if it is not one.

    ``"+86 138-0013-8000"`` -> ``"13800138000"``;
    ``"（0755）23456789 转 801"`` -> ``"0755-23456789-801"``;
    ``"12366"``, ``"400-810-1234"`` or anything else -> ``None``.
    """
    if not isinstance(text, str):
        return None
    s = to_halfwidth(text).strip()
    mobile = _MOBILE_RE.fullmatch(s)
    if mobile:
        return mobile["a"] + mobile["b"] + mobile["c"]
    land = _LANDLINE_RE.fullmatch(s)
    if not land:
        return None
    area = land["area1"] or land["area2"]
    local = land["local"]
    if len(area) == 3 and len(local) != 8:  # 010 and 02x cities all use 8 digits
        return None
    value = f"{area}-{local}"
    return f"{value}-{land['ext']}" if land["ext"] else value


def is_valid_phone(text: object) -> bool:
    """True when :func:`normalize_phone` accepts ``text``."""
    return normalize_phone(text) is not None
