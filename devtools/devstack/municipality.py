"""Municipality rules for local runs: a copy of a municipality's file with one thing changed."""

from __future__ import annotations

import re
from pathlib import Path

from infohus.kit.municipality import DEFAULT_CONFIG_PATH, load_municipality_config

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def office_always_open(folder: Path, source: Path = DEFAULT_CONFIG_PATH) -> Path:
    """A copy of a municipality's rules whose office is open round the clock on every day of the year.

    A concern's route depends on when it arrives: in opening hours a concern about a minor is two mails (the
    infohus mailbox and Underretninger); in the evening, at night and at weekends also an out-of-hours notice
    and a "24-hour deadline at risk" mail, twice the messages and mail. A benchmark that takes the clock's
    word measures a different workload depending on when it runs, so the bench pins the office-hours one, as
    do the tests that follow that route end to end.
    """
    text = source.read_text(encoding="utf-8")
    always = "".join(f'{day} = {{ opens = "00:00", closes = "23:59:59.999999" }}\n' for day in _WEEKDAYS)
    replacements = ((r"^version = \"(.*)\"$", r'version = "\1+bench-always-open"'),
                    (r"^extra_office_closed_days = .*$", "extra_office_closed_days = []"),
                    (r"^office_closed_on_public_holidays = .*$", "office_closed_on_public_holidays = false"),
                    (r"^\[office_hours\]\n(?:[a-z]+ = .*\n)+", f"[office_hours]\n{always}"))
    for pattern, replacement in replacements:
        text, found = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
        if not found:
            raise ValueError(f"{source}: no line matches {pattern!r}")
    target = folder / "municipality-always-open.toml"
    target.write_text(text, encoding="utf-8")
    load_municipality_config(target)  # refuses a file the services would refuse
    return target
