"""Hypothesis strategies for malformed and hostile inputs to intake's JSON API and its two forms (the public
form and the staff form for concerns received by phone, e-mail, letter or in person).

Every generator knows what the answer must be (``Expect``): valid concerns (with injection strings and odd
Unicode in their free text) must be accepted; concerns that break a rule of the contract or of intake, and
requests that are malformed (types, missing and extra fields, sizes, nesting, encodings, content types,
duplicate keys, numbers and dates out of range, forged CSRF tokens, missing sign-in) must be refused with a
4xx and leave nothing behind.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from contracts.concern import (
    LOCAL_TIME_ZONE,
    Acuteness,
    Channel,
    ConcernIn,
    PartnerAuthority,
    Person,
    Reporter,
    ReporterCategory,
    WarningSign,
)
from tests.fuzz.inputs import SID, Auth, Csrf, Expect, FuzzInput, Target
from tests.fuzz.values import (
    ANY_TEXT,
    HOSTILE_SNIPPET,
    INJECTIONS,
    NUMERIC_TEXT,
    OUT_OF_RANGE_NUMBERS,
    cpr,
    email,
    marked_text,
    marker,
    phone,
)

NOW = datetime(2026, 4, 5, 10, 0, tzinfo=UTC)
"""The intake clock during a fuzz run, so that dates relative to it are reproducible."""
TODAY = NOW.astimezone(LOCAL_TIME_ZONE).date()
MAX_BODY_BYTES = 1_000_000  # intake's default, which the fuzzed intake keeps

STAFF_FORM_CHANNELS = [Channel.PHONE, Channel.EMAIL, Channel.LETTER, Channel.IN_PERSON]
PUBLIC_CATEGORIES: list[ReporterCategory] = [c for c in ReporterCategory if c is not ReporterCategory.PARTNER_AUTHORITY]
STAFF_CATEGORIES = list(ReporterCategory)
SIGNS = [sign.value for sign in WarningSign]

Concern = dict[str, Any]


# ---------------------------------------------------------------------------------------------------------
# Valid concerns (the JSON shape of ConcernIn), with the personal values they carry.


class Drawn:
    """A concern being drawn and the personal values and markup put into it."""

    def __init__(self) -> None:
        self.personal: list[str] = []
        self.markup: list[str] = []

    def note(self, value: str) -> str:
        self.personal.append(value)
        if "<" in value and any(tag in value for tag in ("<script", "<img", "<svg", "<iframe", "</textarea")):
            self.markup.append(value)
        return value


def _text(draw: st.DrawFn, drawn: Drawn, max_size: int = 200) -> str:
    return drawn.note(draw(marked_text(max_size)))


def _reporter(draw: st.DrawFn, drawn: Drawn, categories: list[ReporterCategory]) -> dict[str, Any]:
    category = draw(st.sampled_from(categories))
    reporter: dict[str, Any] = {"category": category.value}
    if draw(st.booleans()):
        reporter["claims_professional"] = draw(st.booleans())
    if category is ReporterCategory.ANONYMOUS:
        return reporter
    optional: dict[str, Callable[[], str]] = {"name": lambda: _text(draw, drawn), "role": lambda: _text(draw, drawn),
                "workplace": lambda: _text(draw, drawn), "phone": lambda: drawn.note(draw(phone())),
                "email": lambda: drawn.note(draw(email()))}
    required = {ReporterCategory.PROF_PUBLIC: {"name", "workplace"}, ReporterCategory.PROF_BEK1602:
                {"name", "workplace"}, ReporterCategory.PARTNER_AUTHORITY: {"workplace"}}.get(category, set())
    if category is ReporterCategory.CITIZEN:  # a self-referral (SELF) may stay anonymous
        required = {draw(st.sampled_from(("name", "phone", "email")))}
    if category is ReporterCategory.PARTNER_AUTHORITY:
        reporter["authority"] = draw(st.sampled_from([a.value for a in PartnerAuthority]))
    for name, make in optional.items():
        if name in required or draw(st.booleans()):
            reporter[name] = make()
    return reporter


def _person(draw: st.DrawFn, drawn: Drawn, *, with_cpr: bool) -> dict[str, Any]:
    person: dict[str, Any] = {}
    if draw(st.booleans()):
        person["name"] = _text(draw, drawn)
    if with_cpr and draw(st.booleans()):
        person["cpr"] = drawn.note(draw(cpr()))
    if draw(st.booleans()):
        person["date_of_birth"] = draw(st.dates(date(1890, 1, 1), TODAY)).isoformat()
    if draw(st.booleans()):
        person["stated_age"] = draw(st.integers(0, 130))
    if draw(st.booleans()):
        person["municipality"] = draw(st.sampled_from(("Ishøj", "Brøndby", "København"))) if draw(
            st.booleans()) else _text(draw, drawn)
    return person


def _received_at(draw: st.DrawFn) -> datetime:
    """A moment the municipality may have received a call: between 2 hours and 30 days ago."""
    return NOW - timedelta(seconds=draw(st.integers(2 * 3600, 30 * 86400)))


@st.composite
def valid_concern(draw: st.DrawFn, *, channel: Channel = Channel.WEB, categories: list[ReporterCategory] | None = None,
                  with_cpr: bool = True, long_description: bool = True) -> tuple[Concern, Drawn]:
    drawn = Drawn()
    description = _text(draw, drawn, 20_000)
    if long_description and draw(st.integers(0, 9)) == 0:  # sometimes near the limit
        description = (description + " " + "x" * draw(st.integers(1_000, 19_000)))[:20_000]
    concern: Concern = {
        "submission_id": SID,
        "channel": channel.value,
        "reporter": _reporter(draw, drawn, categories or list(ReporterCategory)),
        "subjects": [_person(draw, drawn, with_cpr=with_cpr) for _ in range(draw(st.integers(1, 3)))],
        "description": description,
    }
    if draw(st.booleans()):
        concern["children_at_risk"] = [_person(draw, drawn, with_cpr=with_cpr)
                                       for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        concern["warning_signs"] = draw(st.lists(st.sampled_from(SIGNS), max_size=30))  # repeats are allowed
    if draw(st.booleans()):
        concern["acuteness"] = draw(st.sampled_from([a.value for a in Acuteness]))
    if draw(st.booleans()):
        concern["crime_suspicion"] = draw(st.booleans())
    if channel is not Channel.WEB:
        moment = _received_at(draw)
        style = draw(st.sampled_from(("utc", "offset", "local")))
        if style == "utc":
            concern["received_at"] = moment.isoformat().replace("+00:00", "Z")
        elif style == "offset":
            concern["received_at"] = moment.astimezone(LOCAL_TIME_ZONE).isoformat()
        else:  # Danish wall-clock time: never in a DST gap (it is a real moment), not in an overlap in spring
            concern["received_at"] = moment.astimezone(LOCAL_TIME_ZONE).replace(tzinfo=None).isoformat()
    return concern, drawn


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def api_input(kind: str, expect: Expect, concern: Any, drawn: Drawn | None = None, **options: Any) -> FuzzInput:
    body = options.pop("body", None)
    return FuzzInput(Target.API, kind, expect, body=_dump(concern) if body is None else body,
                     personal=list(drawn.personal) if drawn else [], markup=list(drawn.markup) if drawn else [],
                     **options)


def _stored_text(concern: Concern) -> dict[str, str]:
    """Free text that must be stored exactly as sent (after the contract's whitespace stripping)."""
    out = {"description": concern["description"].strip()}
    for key in ("name", "workplace", "role"):
        if key in concern["reporter"]:
            out[f"reporter.{key}"] = concern["reporter"][key].strip()
    return out


# ---------------------------------------------------------------------------------------------------------
# The JSON API


@st.composite
def api_valid(draw: st.DrawFn) -> FuzzInput:
    """Valid concerns: WEB from anyone, PHONE etc. from intake staff, PARTNER from a partner authority; injection
    strings in free text, hostile but harmless headers, sometimes sent twice."""
    channel = draw(st.sampled_from(list(Channel)))
    partner = [ReporterCategory.PARTNER_AUTHORITY] if channel is Channel.PARTNER else None  # the channel's own
    concern, drawn = draw(valid_concern(channel=channel, categories=partner))
    headers = draw(st.dictionaries(st.sampled_from(("traceparent", "tracestate", "x-forwarded-for", "accept",
                                                    "accept-language", "user-agent", "origin", "referer")),
                                   st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80),
                                   max_size=3))
    content_type = draw(st.sampled_from(("application/json", "application/json; charset=utf-8",
                                         "application/json;charset=UTF-8")))
    auth = Auth.NONE if channel is Channel.WEB else Auth.PARTNER if channel is Channel.PARTNER else Auth.INTAKE
    if channel is Channel.WEB and draw(st.booleans()):  # credentials on the public channel change nothing
        auth = draw(st.sampled_from((Auth.GARBAGE, Auth.OTHER_ROLE, Auth.INTAKE)))
    if draw(st.booleans()):  # duplicate names: the last one counts, here a valid one after an invalid one
        first_key = draw(st.sampled_from(("channel", "description", "reporter", "subjects")))
        body = b'{"' + first_key.encode() + b'": 12345, ' + _dump(concern)[1:]
        return api_input("valid:duplicate-keys", Expect.ACCEPT, concern, drawn, body=body, headers=headers,
                         content_type=content_type, auth=auth, stored_text=_stored_text(concern))
    return api_input(f"valid:{channel.value}", Expect.ACCEPT, concern, drawn, headers=headers, auth=auth,
                     content_type=content_type, repeat=draw(st.integers(0, 9)) == 0,
                     stored_text=_stored_text(concern))


def _break_rule(draw: st.DrawFn, concern: Concern, drawn: Drawn) -> tuple[str, Auth]:
    """Turns a valid WEB concern into one that is well-formed but breaks one rule; returns the rule."""
    reporter = concern["reporter"]
    rule = draw(st.sampled_from((
        "anonymous-with-identity", "professional-without-workplace", "partner-without-workplace",
        "citizen-without-contact", "web-with-received_at", "phone-without-received_at", "received_at-future",
        "received_at-too-old", "received_at-far-future", "received_at-dst-gap", "received_at-dst-overlap",
        "date_of_birth-future", "date_of_birth-before-1890", "no-subjects", "too-many-subjects",
        "too-many-children", "description-blank", "description-too-long", "name-too-long", "age-out-of-range",
        "submission_id-bad", "phone-without-sign-in", "phone-other-role", "phone-garbage-credentials",
        "too-many-signs", "unknown-sign")))
    auth = Auth.NONE
    staff_times = {"received_at-future": (NOW + timedelta(minutes=draw(st.integers(6, 10 ** 6)))).isoformat(),
                   "received_at-too-old": (NOW - timedelta(days=draw(st.integers(32, 10 ** 5)))).isoformat(),
                   "received_at-far-future": draw(st.sampled_from(("9999-12-31T23:59:59+14:00",
                                                                   "3000-01-01T00:00:00Z"))),
                   "received_at-dst-gap": "2026-03-29T02:30:00", "received_at-dst-overlap": "2025-10-26T02:30:00"}
    if rule == "anonymous-with-identity":
        reporter.clear()
        reporter.update(category="ANONYMOUS", **{draw(st.sampled_from(("name", "workplace", "role"))):
                                                 drawn.note(draw(marked_text()))})
    elif rule in ("professional-without-workplace", "partner-without-workplace"):
        category = "PARTNER_AUTHORITY" if rule.startswith("partner") else draw(
            st.sampled_from(("PROF_PUBLIC", "PROF_BEK1602")))
        reporter.clear()
        reporter.update(category=category, name=drawn.note(draw(marked_text())))
        if category == "PARTNER_AUTHORITY":
            reporter["authority"] = "POLICE"
            concern["channel"], concern["received_at"], auth = "PARTNER", staff_times["received_at-too-old"], \
                Auth.PARTNER
            concern["received_at"] = (NOW - timedelta(days=1)).isoformat()
    elif rule == "citizen-without-contact":
        reporter.clear()
        reporter.update(category="CITIZEN", workplace=drawn.note(draw(marked_text())))
    elif rule == "web-with-received_at":
        concern["received_at"] = (NOW - timedelta(hours=3)).isoformat()
    elif rule == "phone-without-received_at":
        concern["channel"], auth = draw(st.sampled_from(("PHONE", "PARTNER", "EMAIL", "LETTER", "IN_PERSON"))), \
            Auth.INTAKE
    elif rule in staff_times:
        concern["channel"], concern["received_at"], auth = "PHONE", staff_times[rule], Auth.INTAKE
    elif rule == "date_of_birth-future":
        concern["subjects"][0]["date_of_birth"] = (TODAY + timedelta(days=draw(st.integers(1, 10 ** 5)))).isoformat()
    elif rule == "date_of_birth-before-1890":
        concern["subjects"][0]["date_of_birth"] = draw(st.dates(date(1, 1, 1), date(1889, 12, 31))).isoformat()
    elif rule == "no-subjects":
        concern["subjects"] = []
    elif rule == "too-many-subjects":
        concern["subjects"] = [{}] * draw(st.integers(21, 500))
    elif rule == "too-many-children":
        concern["children_at_risk"] = [{"stated_age": 3}] * draw(st.integers(21, 500))
    elif rule == "description-blank":
        concern["description"] = draw(st.text(st.sampled_from(" \t\r\n\u00a0\u2003\u3000"), max_size=20))
    elif rule == "description-too-long":
        concern["description"] = drawn.note(draw(marker())) + "y" * draw(st.integers(20_000, 400_000))
    elif rule == "name-too-long":
        concern["subjects"][0]["name"] = drawn.note(draw(marker())) + "n" * draw(st.integers(200, 5_000))
    elif rule == "age-out-of-range":
        concern["subjects"][0]["stated_age"] = draw(OUT_OF_RANGE_NUMBERS)
    elif rule == "submission_id-bad":
        concern["submission_id"] = draw(st.one_of(st.text(max_size=7), st.sampled_from(INJECTIONS),
                                                  st.just("a" * 65), st.just("fuzz-id with space")))
    elif rule.startswith("phone-"):
        concern["channel"], concern["received_at"] = "PHONE", (NOW - timedelta(hours=3)).isoformat()
        auth = {"phone-without-sign-in": Auth.NONE, "phone-other-role": Auth.OTHER_ROLE,
                "phone-garbage-credentials": Auth.GARBAGE}[rule]
    elif rule == "too-many-signs":
        concern["warning_signs"] = draw(st.lists(st.sampled_from(SIGNS), min_size=31, max_size=10_000))
    elif rule == "unknown-sign":
        concern["warning_signs"] = [draw(st.text(max_size=30).filter(lambda s: s not in SIGNS))]
    return rule, auth


@st.composite
def api_rule_broken(draw: st.DrawFn) -> FuzzInput:
    concern, drawn = draw(valid_concern(long_description=False))
    rule, auth = _break_rule(draw, concern, drawn)
    return api_input(f"rule:{rule}", Expect.REJECT, concern, drawn, auth=auth)


_SCALAR_FIELDS = {("submission_id",), ("channel",), ("description",), ("acuteness",), ("crime_suspicion",),
                  ("reporter", "category"), ("reporter", "name"), ("reporter", "email"), ("reporter", "phone"),
                  ("reporter", "claims_professional"), ("subjects", 0, "stated_age"), ("subjects", 0, "cpr"),
                  ("subjects", 0, "date_of_birth"), ("subjects", 0, "name")}
_CONTAINER_FIELDS = {("reporter",), ("subjects",), ("children_at_risk",), ("warning_signs",), ("subjects", 0)}
_REQUIRED = [("submission_id",), ("channel",), ("reporter",), ("subjects",), ("description",),
             ("reporter", "category")]
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
                           max_leaves=12)
CONTAINERS = st.one_of(st.lists(JSON_VALUES, min_size=1, max_size=4),
                       st.dictionaries(ANY_TEXT, JSON_VALUES, min_size=1, max_size=4))
NON_NULL_SCALARS = st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT


def _get(concern: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        concern = concern[part]
    return concern


def _set(concern: Any, path: tuple[Any, ...], value: Any) -> None:
    _get(concern, path[:-1])[path[-1]] = value


def _fill_identity(concern: Concern) -> None:
    """Every field present, so that any of them can be mutated."""
    concern["reporter"] = {"category": "PROF_PUBLIC", "name": concern["reporter"].get("name", "Zqxbbbbbbb"),
                           "workplace": "Zqxccccccc", "email": "zqxddddddd@example.org",
                           "phone": "91234567", "claims_professional": True}
    concern["subjects"][0].update(stated_age=16, cpr="0101101234", date_of_birth="2010-01-01", name="Zqxfffffff")
    concern.setdefault("children_at_risk", [])
    concern.setdefault("warning_signs", [])
    concern.setdefault("acuteness", "ROUTINE")
    concern.setdefault("crime_suspicion", False)


@st.composite
def api_structure_broken(draw: st.DrawFn) -> FuzzInput:
    """Wrong types, missing, null and extra fields, values of no enum, bad formats, out-of-range numbers."""
    concern, drawn = draw(valid_concern(long_description=False))
    _fill_identity(concern)
    drawn.personal += ["Zqxbbbbbbb", "Zqxccccccc", "zqxddddddd", "91234567", "0101101234", "Zqxfffffff"]
    path: tuple[Any, ...]
    how = draw(st.sampled_from(("missing", "null", "wrong-type-scalar", "wrong-type-container", "extra-field",
                                "bad-enum", "bad-format", "body-not-object")))
    if how == "missing":
        path = draw(st.sampled_from(_REQUIRED))
        del _get(concern, path[:-1])[path[-1]]
    elif how == "null":
        nullable = [*_REQUIRED, ("children_at_risk",), ("warning_signs",), ("acuteness",), ("crime_suspicion",)]
        _set(concern, draw(st.sampled_from(nullable)), None)
    elif how == "wrong-type-scalar":
        _set(concern, draw(st.sampled_from(sorted(_SCALAR_FIELDS, key=str))), draw(CONTAINERS))
    elif how == "wrong-type-container":
        _set(concern, draw(st.sampled_from(sorted(_CONTAINER_FIELDS, key=str))), draw(NON_NULL_SCALARS))
    elif how == "extra-field":
        where = draw(st.sampled_from(((), ("reporter",), ("subjects", 0))))
        name = draw(st.one_of(st.sampled_from(("__proto__", "constructor", "$where", "is_admin", "recorded_by",
                                               "reference", "concern_id", "id", "Channel", "")), ANY_TEXT))
        target = _get(concern, where)
        known = {(): set(ConcernIn.model_fields), ("reporter",): set(Reporter.model_fields),
                 ("subjects", 0): set(Person.model_fields)}[where]
        while name in target or name in known:
            name += "_extra"
        target[name] = draw(JSON_VALUES)
    elif how == "bad-enum":
        path = draw(st.sampled_from((("channel",), ("reporter", "category"), ("acuteness",))))
        valid = {c.value for c in (*Channel, *ReporterCategory, *Acuteness)}
        _set(concern, path, draw(st.one_of(st.sampled_from(("web", "Web", " WEB", "WEB ", "EMAIL", "citizen",
                                                             "acute", "ROUTINE\u0000")),
                                           ANY_TEXT).filter(lambda s: s not in valid)))
    elif how == "bad-format":
        path, value = draw(st.sampled_from((
            (("reporter", "email"), st.sampled_from(("not-an-email", "a@", "@b.dk", "a@b", "a b@c.dk",
                                                     "x@y.dk\r\nBcc: z@evil.example", "a" * 250 + "@b.dk",
                                                     "<script>@x.dk"))),
            (("reporter", "phone"), st.sampled_from(("12345", "+45 12a45678", "1" * 21, "phone", "+45\r\n1234567",
                                                     "+", "+45 12 34 56 78 90 12 34 56"))),
            (("subjects", 0, "cpr"), st.sampled_from(("010110-12345", "0101101", "01011o1234", "010110--1234",
                                                      "0101 101234", "010110-123"))),
            (("subjects", 0, "date_of_birth"), st.sampled_from(("2010-02-30", "10000-01-01", "-0001-01-01",
                                                                "2010/01/01", "yesterday", "0000-00-00",
                                                                "2010-01-01T25:00"))),
            (("subjects", 0, "stated_age"), st.sampled_from(("sixteen", "16 years", "", "١٦x", "1e400"))),
            (("crime_suspicion",), st.sampled_from(("maybe", "2", "ja", "", "nul"))),
        )).map(lambda pair: (pair[0], pair[1])))
        _set(concern, path, draw(value))
        how += ":" + ".".join(str(part) for part in path)
    else:
        return api_input("structure:body-not-object", Expect.REJECT, draw(st.one_of(
            st.lists(JSON_VALUES, max_size=3), NON_NULL_SCALARS, st.none(), st.just([concern]))), drawn)
    return api_input(f"structure:{how}", Expect.REJECT, concern, drawn)


def _nested(depth: int, opener: str) -> str:
    closer = {"[": "]", "{\"a\":": "}"}[opener]
    return opener * depth + "1" + closer * depth


@st.composite
def api_raw_broken(draw: st.DrawFn) -> FuzzInput:
    """Bodies no JSON parser should take as a concern: broken syntax, invalid UTF-8, surrogates, NUL bytes,
    deep nesting, huge numbers, NaN, wrong content types, oversized bodies, random bytes."""
    concern, drawn = draw(valid_concern(long_description=False))
    text = _dump(concern)
    how = draw(st.sampled_from(("truncated", "invalid-utf8", "lone-surrogate", "raw-control-char", "deep-nesting",
                                "huge-number", "nan", "duplicate-key-last-invalid", "wrong-content-type",
                                "no-content-type", "empty", "oversized", "oversized-streamed", "random-bytes",
                                "random-json", "utf16", "trailing-garbage")))
    content_type: str | None = "application/json"
    stream = False
    kind = f"raw:{how}"
    if how == "truncated":
        body = text[:draw(st.integers(0, len(text) - 1))]
    elif how == "invalid-utf8":
        bad = draw(st.sampled_from((b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80",
                                    b"\xe2\x82", b"\xc0\xaf")))
        at = text.index(b'"description": "') + len(b'"description": "')
        body = text[:at] + bad + text[at:]
    elif how == "lone-surrogate":
        escape = draw(st.sampled_from((b"\\ud800", b"\\udfff", b"\\udc00\\ud800", b"\\ud83d")))
        field = draw(st.sampled_from((b'"description": "', b'"submission_id": "', b'"category": "')))
        at = text.index(field) + len(field)
        body = text[:at] + escape + text[at:]
    elif how == "raw-control-char":  # unescaped control characters are not allowed inside JSON strings
        at = text.index(b'"description": "') + len(b'"description": "')
        body = text[:at] + bytes([draw(st.integers(0, 0x1F))]) + text[at:]
    elif how == "deep-nesting":
        depth = draw(st.sampled_from((100, 1_000, 10_000, 100_000)))
        nested = _nested(depth, draw(st.sampled_from(("[", "{\"a\":"))))
        body = nested.encode() if draw(st.booleans()) else text.replace(
            b'"subjects": ', b'"subjects": ' + nested.encode() + b', "x": ', 1)
    elif how == "huge-number":
        number = draw(st.sampled_from(("1e400", "-1e400", "9" * 5000, "1" + "0" * 4301, "1.0e99999999999",
                                       "123456789012345678901234567890")))
        body = b'{"submission_id": "' + SID.encode() + b'", "channel": "WEB", "reporter": {"category": ' \
            b'"ANONYMOUS"}, "subjects": [{"stated_age": ' + number.encode() + b'}], "description": "Zqxkkkkkkk"}'
        drawn.personal.append("Zqxkkkkkkk")
    elif how == "nan":
        number = draw(st.sampled_from(("NaN", "Infinity", "-Infinity")))
        body = text.replace(b'"subjects": [', b'"subjects": [{"stated_age": ' + number.encode() + b'}, ', 1)
    elif how == "duplicate-key-last-invalid":
        key, bad = draw(st.sampled_from((("channel", b'"TELEPATHY"'), ("subjects", b"[]"), ("description", b'""'),
                                         ("reporter", b'{"category": "ANONYMOUS", "name": "Zqxhhhhhhh"}'))))
        body = text[:-1] + b', "' + key.encode() + b'": ' + bad + b"}"
    elif how == "wrong-content-type":
        body = text
        content_type = draw(st.sampled_from(("text/plain", "text/html", "application/xml",
                                             "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                             "application/octet-stream", "application/jsonp", "json",
                                             "application/json-patch", "*/*", "text/json\r\nX-Injected: 1")))
    elif how == "no-content-type":
        body, content_type = text, None
    elif how == "empty":
        body = b""
    elif how in ("oversized", "oversized-streamed"):
        padding = draw(st.integers(MAX_BODY_BYTES, 3 * MAX_BODY_BYTES))
        body = text.replace(b'"description": "', b'"description": "' + b"z" * padding, 1)
        stream = how == "oversized-streamed"
    elif how == "random-bytes":
        body = draw(st.binary(max_size=2000))
        content_type = draw(st.sampled_from(("application/json", None, "application/octet-stream")))
    elif how == "random-json":
        body = _dump(draw(JSON_VALUES))
    elif how == "utf16":  # not UTF-8; and the body is not a concern either way
        body = json.dumps({k: v for k, v in concern.items() if k != "description"}).encode("utf-16")
    else:
        body = text + draw(st.sampled_from((b"}", b",", b" x", b"\x00", b"{}", b"]")))
    return api_input(kind, Expect.REJECT, concern, drawn, body=body, content_type=content_type, stream=stream)


def api_inputs() -> st.SearchStrategy[FuzzInput]:
    return st.one_of(api_valid(), api_rule_broken(), api_structure_broken(), api_raw_broken())


# ---------------------------------------------------------------------------------------------------------
# The forms


# A time of day as the staff form takes it: H:MM, HH:MM, H.MM or HH.MM in ASCII digits, 00:00-23:59 (after
# the form strips surrounding white space). Written apart from the form's parser: this is the oracle.
TIME_FORMATS = ("%H:%M", "%H.%M", "%-H:%M", "%-H.%M")


def is_time_of_day(text: str) -> bool:
    text = text.strip()
    if not text.isascii() or len(text) not in (4, 5) or text[-3] not in ":.":
        return False
    hours, minutes = text[:-3], text[-2:]
    return hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60


NOT_TIMES = ("25:00", "12:60", "noon", "12", "1205", "-1:00", "²:00", "١٢:٠٠", "24:00", "14:3", "14,30",
             "14:30:00", "1 4:30", "+1:00", "𝟙𝟚:𝟘𝟘", "１２:００", "12:0٠")
"""Times the staff form must refuse: out of range, not a time, signs, Unicode digits and superscripts."""
TIME_LIKE = st.one_of(
    st.sampled_from(NOT_TIMES),
    st.text(st.sampled_from("0123456789:.-+ ,²³¹١٢٠۱۲𝟙𝟘１２"), min_size=1, max_size=6),
    st.from_regex(r"\A[0-9]{1,3}[:.][0-9]{1,3}\Z"),
)


def to_form(concern: Concern, *, staff: bool, drawn: Drawn, time_format: str = "%H:%M") -> list[tuple[str, str]]:
    """A concern as the form's fields (the inverse of services/intake/entrypoints/forms.py)."""
    fields: list[tuple[str, str]] = [("submission_id", SID), ("handling", "send")]
    reporter = concern["reporter"]
    fields.append(("reporter-category", reporter["category"]))
    if reporter.get("claims_professional"):
        fields.append(("reporter-claims_professional", "ja"))
    for name in ("name", "role", "workplace", "phone", "email", *(("authority",) if staff else ())):
        if name in reporter:
            fields.append((f"reporter-{name}", reporter[name]))
    for kind in ("subjects", "children_at_risk"):
        people = concern.get(kind, [])
        fields.append(("subject_count" if kind == "subjects" else "child_count", str(len(people))))
        for index, person in enumerate(people):
            for name, value in person.items():
                if name == "date_of_birth":
                    value = date.fromisoformat(value).strftime("%d.%m.%Y")
                fields.append((f"{kind}-{index}-{name}", str(value)))
    fields.append(("description", concern["description"]))
    fields += [("warning_signs", sign) for sign in concern.get("warning_signs", [])]
    if "acuteness" in concern:
        fields.append(("acuteness", concern["acuteness"]))
    if concern.get("crime_suspicion"):
        fields.append(("crime_suspicion", "ja"))
    if staff:
        moment = datetime.fromisoformat(concern["received_at"].replace("Z", "+00:00"))
        local = (moment if moment.tzinfo is None else moment.astimezone(LOCAL_TIME_ZONE))
        fields += [("channel", concern["channel"]), ("received_at-date", local.strftime("%d.%m.%Y")),
                   ("received_at-time", local.strftime(time_format))]
    return fields


def _replace(fields: list[tuple[str, str]], name: str, value: str | None) -> list[tuple[str, str]]:
    """``fields`` with every ``name`` replaced by one ``value`` (or removed for None)."""
    kept = [(k, v) for k, v in fields if k != name]
    return kept if value is None else [*kept, (name, value)]


def _form_valid(staff: bool) -> st.SearchStrategy[tuple[Concern, Drawn]]:
    if not staff:
        return valid_concern(channel=Channel.WEB, categories=PUBLIC_CATEGORIES, with_cpr=False)
    return st.sampled_from(STAFF_FORM_CHANNELS).flatmap(
        lambda channel: valid_concern(channel=channel, categories=STAFF_CATEGORIES, with_cpr=True))


def form_input(target: Target, kind: str, expect: Expect, fields: list[tuple[str, str]], drawn: Drawn,
               **options: Any) -> FuzzInput:
    auth = options.pop("auth", Auth.INTAKE if target is Target.STAFF_FORM else Auth.NONE)
    return FuzzInput(target, kind, expect, form=fields, content_type=None, personal=list(drawn.personal),
                     markup=list(drawn.markup), auth=auth, **options)


@st.composite
def form_valid(draw: st.DrawFn, target: Target) -> FuzzInput:
    staff = target is Target.STAFF_FORM
    concern, drawn = draw(_form_valid(staff))
    fields = to_form(concern, staff=staff, drawn=drawn, time_format=draw(st.sampled_from(TIME_FORMATS)))
    never_stored = []
    if not staff and draw(st.booleans()):  # the public form has no CPR field: a CPR number sent anyway is dropped
        value = drawn.note(draw(cpr()))
        fields.append(("subjects-0-cpr", value))
        never_stored.append("".join(ch for ch in value if ch.isdigit()))
    if draw(st.booleans()):  # unknown fields are ignored
        fields += draw(st.lists(st.tuples(ANY_TEXT.filter(lambda k: "-" not in k and k not in {
            "submission_id", "handling", "description", "acuteness", "crime_suspicion", "warning_signs",
            "subject_count", "child_count", "csrf_token"}), HOSTILE_SNIPPET), max_size=5))
    if staff and draw(st.booleans()):  # an explicit offset that fits the moment is fine
        moment = datetime.fromisoformat(concern["received_at"].replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            offset = moment.astimezone(LOCAL_TIME_ZONE).strftime("%z")
            fields.append(("received_at-offset", f"{offset[:3]}:{offset[3:]}"))
    return form_input(target, "valid", Expect.ACCEPT, fields, drawn, multipart=draw(st.booleans()),
                      repeat=draw(st.integers(0, 9)) == 0, never_stored=never_stored)


@st.composite
def form_rule_broken(draw: st.DrawFn, target: Target) -> FuzzInput:
    staff = target is Target.STAFF_FORM
    concern, drawn = draw(_form_valid(staff))
    fields = to_form(concern, staff=staff, drawn=drawn)
    rules: dict[str, Callable[[], list[tuple[str, str]]]] = {
        "anonymous-with-identity": lambda: _replace(_replace(fields, "reporter-category", "ANONYMOUS"),
                                                    "reporter-name", drawn.note(draw(marked_text()))),
        "professional-without-workplace": lambda: _replace(_replace(fields, "reporter-category", "PROF_PUBLIC"),
                                                           "reporter-workplace", None),
        "citizen-without-contact": lambda: [(k, v) for k, v in _replace(fields, "reporter-category", "CITIZEN")
                                            if k not in ("reporter-name", "reporter-phone", "reporter-email")],
        "description-missing": lambda: _replace(fields, "description", draw(st.sampled_from(("", " ", None)))),
        "description-too-long": lambda: _replace(fields, "description",
                                                 drawn.note(draw(marker())) + "d" * draw(st.integers(20_000, 200_000))),
        "age-out-of-range": lambda: _replace(fields, "subjects-0-stated_age", str(draw(st.integers(131, 10 ** 6)))),
        "age-not-a-number": lambda: _replace(fields, "subjects-0-stated_age",
                                             draw(st.sampled_from(("seksten", "16 år", "-1", "16.5", "0x10")))),
        "date_of_birth-future": lambda: _replace(fields, "subjects-0-date_of_birth", (TODAY + timedelta(
            days=draw(st.integers(1, 10 ** 5)))).strftime("%d.%m.%Y")),
        "date_of_birth-invalid": lambda: _replace(fields, "subjects-0-date_of_birth", draw(st.sampled_from((
            "31.02.2010", "00.00.0000", "1.1.1889", "01.01.0001", "i går", "2010-13-01", "99.99.99999")))),
        "email-invalid": lambda: _replace(fields, "reporter-email", draw(st.sampled_from((
            "not-an-email", "a@b", "x@y.dk\r\nBcc: z@evil.example", "<svg/onload=alert(1)>@x.dk")))),
        "phone-invalid": lambda: _replace(fields, "reporter-phone", draw(st.sampled_from(("12", "tlf 12345678",
                                                                                          "1" * 25)))),
        "category-unknown": lambda: _replace(fields, "reporter-category", draw(ANY_TEXT.filter(
            lambda s: s.strip() and s.strip() not in {c.value for c in ReporterCategory}))),
        "acuteness-unknown": lambda: _replace(fields, "acuteness", draw(ANY_TEXT.filter(
            lambda s: s.strip() and s.strip() not in {a.value for a in Acuteness}))),
        "sign-unknown": lambda: [*fields, ("warning_signs", draw(ANY_TEXT.filter(
            lambda s: s.strip() and s.strip() not in SIGNS)))],
        "too-many-signs": lambda: fields + [("warning_signs", SIGNS[i % len(SIGNS)]) for i in range(31)],
        "public-partner-authority-without-workplace": lambda: _replace(
            _replace(fields, "reporter-category", "PARTNER_AUTHORITY"), "reporter-workplace", None),
    }
    if staff:
        rules |= {
            "call-time-missing": lambda: _replace(fields, draw(st.sampled_from(("received_at-date",
                                                                                "received_at-time"))), None),
            "call-time-invalid": lambda: _replace(fields, "received_at-time", draw(st.sampled_from(NOT_TIMES))),
            "call-time-not-a-time": lambda: _replace(fields, "received_at-time", draw(
                TIME_LIKE.filter(lambda text: not is_time_of_day(text)))),
            "channel-unknown": lambda: _replace(fields, "channel", draw(st.one_of(st.sampled_from((
                "WEB", "PARTNER", "phone", "TELEPATHY")), ANY_TEXT).filter(
                lambda s: s.strip() and s.strip() not in {c.value for c in STAFF_FORM_CHANNELS}))),
            "call-date-invalid": lambda: _replace(fields, "received_at-date", draw(st.sampled_from((
                "30.02.2026", "2026-02-30", "i dag", "01.13.2026", "1.1.10000")))),
            "call-in-future": lambda: _replace(fields, "received_at-date", (TODAY + timedelta(
                days=draw(st.integers(1, 10 ** 5)))).strftime("%d.%m.%Y")),
            "call-too-old": lambda: _replace(fields, "received_at-date", (TODAY - timedelta(
                days=draw(st.integers(32, 10 ** 5)))).strftime("%d.%m.%Y")),
            "call-far-out": lambda: _replace(fields, "received_at-date", draw(st.sampled_from((
                "31.12.9999", "01.01.0001", "01.01.1000")))),
            "call-in-dst-gap": lambda: _replace(_replace(_replace(
                fields, "received_at-date", "29.03.2026"), "received_at-time", "02:30"), "received_at-offset", None),
        }
    # Times are where the staff form went wrong (make fuzz, 10,000 inputs): every fourth broken rule is one.
    time_rules = sorted(name for name in rules if name.startswith("call-time"))
    rule = draw(st.sampled_from(time_rules if staff and draw(st.integers(0, 3)) == 0 else sorted(rules)))
    return form_input(target, f"rule:{rule}", Expect.REJECT, rules[rule](), drawn, multipart=draw(st.booleans()))


@st.composite
def form_request_broken(draw: st.DrawFn, target: Target) -> FuzzInput:
    """CSRF and sign-in failures, add-a-person, odd counts and numbers, bad encodings, oversized bodies."""
    staff = target is Target.STAFF_FORM
    concern, drawn = draw(_form_valid(staff))
    fields = to_form(concern, staff=staff, drawn=drawn)
    hows = ["csrf", "add-person", "count", "number", "urlencoded-garbage", "only-garbage", "multipart-broken",
            "multipart-file", "wrong-content-type", "oversized", "many-fields", "repeated-fields"]
    if staff:
        hows += ["not-signed-in", "other-role"]
    how = draw(st.sampled_from(hows))
    if how == "csrf":
        csrf = draw(st.sampled_from([c for c in Csrf if c is not Csrf.VALID]))
        return form_input(target, f"csrf:{csrf.value}", Expect.REJECT, fields, drawn, csrf=csrf,
                          multipart=draw(st.booleans()))
    if how == "add-person":  # re-shows the form with one more block; no CSRF needed, nothing stored
        action = draw(st.sampled_from(("tilfoej-person", "tilfoej-barn")))
        csrf = draw(st.sampled_from(list(Csrf)))
        # The public form re-shows itself whatever the token; a signed-in session posts only with a valid token
        # (the kit checks it before the form sees the request; the form's own Origin check comes later).
        expect = Expect.NOOP if not staff or csrf in (Csrf.VALID, Csrf.CROSS_SITE) else Expect.REJECT
        return form_input(target, f"noop:{action}", expect, _replace(fields, "handling", action), drawn, csrf=csrf)
    if how == "count":
        name = draw(st.sampled_from(("subject_count", "child_count")))
        return form_input(target, f"odd:{name}", Expect.CONSISTENT, _replace(fields, name, draw(NUMERIC_TEXT)), drawn)
    if how == "number":
        return form_input(target, "odd:stated_age", Expect.CONSISTENT,
                          _replace(fields, "subjects-0-stated_age", draw(NUMERIC_TEXT)), drawn)
    if how in ("not-signed-in", "other-role"):
        return form_input(target, f"auth:{how}", Expect.REJECT, fields, drawn,
                          auth=Auth.NONE if how == "not-signed-in" else Auth.OTHER_ROLE)
    if how == "repeated-fields":  # the first value of a repeated name counts
        name = draw(st.sampled_from(("description", "reporter-category", "acuteness", "subject_count")))
        return form_input(target, "odd:repeated-field", Expect.CONSISTENT,
                          [*fields, (name, draw(HOSTILE_SNIPPET))], drawn)
    encoded = urllib.parse.urlencode(fields).encode()
    urlencoded = "application/x-www-form-urlencoded"
    if how == "urlencoded-garbage":  # with the CSRF token added at send time: validity depends on the parser
        garbage = draw(st.sampled_from((b"&%ZZ=%FF", b"&&&", b"&=", b"&%", b"&a=%00", b"&\xff\xfe=\xff",
                                        b";x=1", b"&description=%ED%A0%80", b"&%E2%82=1", b"+" * 100)))
        return FuzzInput(target, "encoding:urlencoded-garbage", Expect.CONSISTENT, body=encoded + garbage,
                         content_type=urlencoded, personal=drawn.personal,
                         auth=Auth.INTAKE if staff else Auth.NONE)
    if how == "only-garbage":  # no CSRF token either
        body = draw(st.one_of(st.binary(max_size=500), st.sampled_from((b"%", b"=", b"&", b"%ZZ", b"\x00" * 10,
                                                                        b"a=" + b"%FF" * 200))))
        return FuzzInput(target, "encoding:only-garbage", Expect.REJECT, body=body, csrf=Csrf.MISSING,
                         content_type=draw(st.sampled_from((urlencoded, urlencoded + "; charset=latin-1",
                                                            "multipart/form-data; boundary=zz",
                                                            "multipart/form-data"))),
                         auth=Auth.INTAKE if staff else Auth.NONE)
    if how == "multipart-broken":
        boundary = "fuzzboundary"
        body = draw(st.sampled_from((
            b"--fuzzboundary\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nx",  # never closed
            b"--otherboundary\r\n\r\n--otherboundary--", b"--fuzzboundary--", b"garbage",
            b"--fuzzboundary\r\nContent-Disposition: form-data\r\n\r\nx\r\n--fuzzboundary--\r\n",
            b"--fuzzboundary\r\nContent-Disposition: form-data; name=\"a\r\n\r\n\r\n--fuzzboundary--\r\n")))
        return FuzzInput(target, "encoding:multipart-broken", Expect.REJECT, body=body, csrf=Csrf.MISSING,
                         content_type=f"multipart/form-data; boundary={boundary}",
                         auth=Auth.INTAKE if staff else Auth.NONE)
    if how == "multipart-file":  # the description arrives as a file: it is not text, so it is missing
        return form_input(target, "encoding:multipart-file", Expect.REJECT, _replace(fields, "description", None),
                          drawn, multipart=True, headers={"x-fuzz-file-field": "description"})
    if how == "wrong-content-type":  # the form cannot be read: no CSRF token
        return FuzzInput(target, "encoding:wrong-content-type", Expect.REJECT, body=encoded,
                         content_type=draw(st.sampled_from(("application/json", "text/plain", None,
                                                            "application/xml"))),
                         personal=drawn.personal, auth=Auth.INTAKE if staff else Auth.NONE)
    if how == "oversized":
        return form_input(target, "size:oversized", Expect.REJECT, _replace(
            fields, "description", "z" * draw(st.integers(MAX_BODY_BYTES, 2 * MAX_BODY_BYTES))), drawn,
            multipart=draw(st.booleans()))
    # many fields: the parser's limits, and the answer, must hold
    count = draw(st.sampled_from((1_001, 5_000, 20_000)))
    return form_input(target, "size:many-fields", Expect.CONSISTENT, fields + [("x", "1")] * count, drawn)


def explicit_inputs(target: Target) -> list[FuzzInput]:
    """Inputs every run sends, the short one in ``make test`` too: the staff form's times and channels."""
    if target is not Target.STAFF_FORM:
        return []
    received = (NOW - timedelta(hours=3)).astimezone(LOCAL_TIME_ZONE)
    concern: Concern = {"submission_id": SID, "channel": Channel.PHONE.value, "reporter": {"category": "ANONYMOUS"},
                        "subjects": [{}], "description": "Zqxtmmmmmm siger, at han vil gøre noget voldsomt.",
                        "received_at": received.replace(tzinfo=None).isoformat()}
    drawn = Drawn()
    drawn.note("Zqxtmmmmmm")
    fields = to_form(concern, staff=True, drawn=drawn)
    inputs = [form_input(target, "rule:call-time-invalid", Expect.REJECT,
                         _replace(fields, "received_at-time", text), drawn) for text in NOT_TIMES]
    inputs += [form_input(target, "valid", Expect.ACCEPT, _replace(fields, "received_at-time", received.strftime(f)),
                          drawn) for f in TIME_FORMATS]
    inputs += [form_input(target, "valid", Expect.ACCEPT, _replace(fields, "channel", channel.value), drawn)
               for channel in STAFF_FORM_CHANNELS]
    inputs.append(form_input(target, "rule:call-date-invalid", Expect.REJECT,
                             _replace(fields, "received_at-date", "31.02.2026"), drawn))
    return inputs


def form_inputs(target: Target) -> st.SearchStrategy[FuzzInput]:
    return st.one_of(form_valid(target), form_rule_broken(target), form_request_broken(target))


def inputs_for(target: Target) -> st.SearchStrategy[FuzzInput]:
    return api_inputs() if target is Target.API else form_inputs(target)
