from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from infohus.kit.municipality import DEFAULT_CONFIG_PATH, load_municipality_config
from rules.config import ConfigError, Weekday, parse_municipality_config

ISHOJ_TOML = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")


def test_default_config_is_ishoj() -> None:
    config = load_municipality_config()
    assert config.version == "ishoj-2026.1"
    assert config.office_hours[Weekday.THURSDAY].closes == time(17, 0)
    assert Weekday.SATURDAY not in config.office_hours
    assert config.transition_window_days == 30
    assert config.near_duplicate_window_hours == 72
    assert config.contacts.hotline_phone == "41 74 90 90"
    assert config.is_home_municipality("Ishøj Kommune")
    assert not config.is_home_municipality("Brøndby")


def test_explicit_path_as_string(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text(ISHOJ_TOML.replace('version = "ishoj-2026.1"', 'version = "other-1"'), encoding="utf-8")
    assert load_municipality_config(str(path)).version == "other-1"


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ('version = "ishoj-2026.1"', 'version = ""', "version"),
        ('timezone = "Europe/Copenhagen"', 'timezone = "Europe/Atlantis"', "unknown time zone"),
        ('monday = { opens = "08:00", closes = "15:00" }', 'monday = { opens = "15:00", closes = "08:00" }',
         "must be before"),
        ('"06-05", "12-24"', '"06-31", "12-24"', "not a month-day"),
        ("transition_window_days = 30", "transition_window_days = -1", "transition_window_days"),
        ('feb29_policy = "MARCH_1"', 'feb29_policy = "MARCH_2"', "feb29_policy"),
        ("warning_fraction = 0.75", "warning_fraction = 1.5", "warning_fraction"),
        ("Dit referencenummer er {reference}.", "Dit referencenummer er {ref}.", "unknown placeholder"),
        ("Dit referencenummer er {reference}.", "Dit referencenummer er.", "missing placeholder"),
        ("Dit referencenummer er {reference}.", "Dit referencenummer er {0}.", "plain name"),
        ('M_12B = "', 'M_13B = "', "M_13B"),
        ('straxen_phone = "43 57 75 78"\n', "", "straxen_phone"),
        ("near_duplicate_window_hours = 72", "near_duplicate_window_hours = 72\nsurprise = 1", "surprise"),
    ],
)  # fmt: skip
def test_invalid_values_are_refused_with_a_clear_error(
    tmp_path: Path, old: str, new: str, complaint: str
) -> None:
    assert old in ISHOJ_TOML
    path = tmp_path / "broken.toml"
    path.write_text(ISHOJ_TOML.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=complaint) as raised:
        load_municipality_config(path)
    assert str(path) in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_municipality_config(tmp_path / "absent.toml")


def test_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("version = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_municipality_config(path)


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


def test_the_text_is_parsed_without_a_file() -> None:
    assert parse_municipality_config(ISHOJ_TOML, source="ishoj").version == "ishoj-2026.1"
    with pytest.raises(ConfigError, match="invalid municipality config elsewhere"):
        parse_municipality_config(ISHOJ_TOML.replace('version = "ishoj-2026.1"', 'version = ""'), source="elsewhere")
