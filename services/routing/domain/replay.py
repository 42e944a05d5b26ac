"""A stored decision replayed: with the configuration it was made under (does it come out the same?) and with
today's (what would differ?). Pure: the read side hands in the stored decision and both replays.

Only the configuration can be replayed exactly. The rules code that runs is always today's: when its
fingerprint differs from the one stored with the decision, a difference may come from the code, and the
report says so rather than pretending to run the old code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rules.decision import Decision
from rules.fingerprint import RulesVersion


@dataclass(frozen=True)
class Difference:
    field: str
    then: Any  # JSON values, as Decision.model_dump(mode="json") gives them
    now: Any

    def describe(self) -> str:
        text = f"{self.field}: {_text(self.then)} -> {_text(self.now)}"
        if isinstance(self.then, list) and isinstance(self.now, list) and all(
                isinstance(v, str) for v in [*self.then, *self.now]):
            added = [v for v in self.now if v not in self.then]
            removed = [v for v in self.then if v not in self.now]
            changes = [f"+{v}" for v in added] + [f"-{v}" for v in removed]
            text += f" ({', '.join(changes)})" if changes else " (order)"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "then": self.then, "now": self.now}


def _text(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "[" + ", ".join(value) + "]"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def differences(then: Decision, now: Decision) -> list[Difference]:
    """The fields of the two decisions that differ (instants compared as instants), in the model's order."""
    before, after = then.model_dump(mode="json"), now.model_dump(mode="json")
    return [Difference(name, before[name], after[name]) for name in type(then).model_fields
            if getattr(then, name) != getattr(now, name)]


@dataclass(frozen=True)
class ReplayReport:
    decision_id: str
    reference: str
    received_at: datetime
    decided_at: datetime
    stored: Decision
    config_version: str
    rules_fingerprint: str | None  # None: decided before the rules were fingerprinted
    code_fingerprint: str | None
    config_fingerprint: str | None
    today: RulesVersion
    problem: str | None = None  # why the decision cannot be replayed
    replay_differences: list[Difference] = field(default_factory=list)  # stored vs replayed
    today_differences: list[Difference] = field(default_factory=list)  # stored vs today's configuration

    @property
    def replayed(self) -> bool:
        return self.problem is None

    @property
    def replay_equals_stored(self) -> bool:
        return self.replayed and not self.replay_differences

    @property
    def code_changed(self) -> bool | None:
        return None if self.code_fingerprint is None else self.code_fingerprint != self.today.code_fingerprint

    @property
    def config_changed(self) -> bool | None:
        return None if self.config_fingerprint is None else self.config_fingerprint != self.today.config_fingerprint

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id, "reference": self.reference,
            "received_at": self.received_at.isoformat(), "decided_at": self.decided_at.isoformat(),
            "made_under": {"config_version": self.config_version, "rules_fingerprint": self.rules_fingerprint,
                           "code_fingerprint": self.code_fingerprint,
                           "config_fingerprint": self.config_fingerprint},
            "today": {"config_version": self.today.label, "rules_fingerprint": self.today.fingerprint,
                      "code_fingerprint": self.today.code_fingerprint,
                      "config_fingerprint": self.today.config_fingerprint},
            "code_changed": self.code_changed, "config_changed": self.config_changed,
            "replayed": self.replayed, "problem": self.problem, "replay_equals_stored": self.replay_equals_stored,
            "replay_differences": [d.as_dict() for d in self.replay_differences],
            "today_differences": [d.as_dict() for d in self.today_differences],
            "stored": self.stored.model_dump(mode="json"),
        }

    def describe(self) -> str:
        lines = [f"Decision {self.decision_id} for {self.reference} (received {self.received_at.isoformat()}, "
                 f"decided {self.decided_at.isoformat()})",
                 f"Made under: configuration {self.config_version}, rules {_short(self.rules_fingerprint)}",
                 f"Today:      configuration {self.today.label}, rules {self.today.short}"]
        if self.problem is not None:
            return "\n".join([*lines, f"Cannot replay: {self.problem}"])
        if self.code_changed:
            lines.append("The rules code has changed since this decision (its fingerprint differs). Only the "
                         "configuration is replayed exactly: both replays run today's rules code, so a difference "
                         "below may come from the code rather than the configuration.")
        else:
            lines.append("The rules code is unchanged since this decision.")
        if self.replay_equals_stored:
            lines.append("Replayed under the configuration it was made under: equals the stored decision.")
        else:
            lines.append("Replayed under the configuration it was made under: DIFFERS from the stored decision:")
            lines += [f"  {d.describe()}" for d in self.replay_differences]
        if not self.config_changed:
            lines.append("Today's configuration is the one it was made under.")
        if self.today_differences:
            lines.append("Under today's configuration it would differ:")
            lines += [f"  {d.describe()}" for d in self.today_differences]
        else:
            lines.append("Under today's configuration it would be the same.")
        return "\n".join(lines)


def _short(fingerprint: str | None) -> str:
    return "unknown (decided before the rules were fingerprinted)" if fingerprint is None else fingerprint[:12]
