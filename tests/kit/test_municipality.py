"""The municipality's rules file is parsed once per process and content, anew when it changes."""

from __future__ import annotations

from pathlib import Path

from infohus.kit.municipality import DEFAULT_CONFIG_PATH, load_municipality_config


def test_the_same_content_is_parsed_once(tmp_path: Path) -> None:
    copy = tmp_path / "copy.toml"
    copy.write_text(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_municipality_config(copy) is load_municipality_config(str(copy))
    assert load_municipality_config() is load_municipality_config(DEFAULT_CONFIG_PATH)


def test_a_changed_file_is_read_anew(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    assert load_municipality_config(path).version == "ishoj-2026.1"
    path.write_text(text.replace('version = "ishoj-2026.1"', 'version = "ishoj-2026.2"'), encoding="utf-8")
    assert load_municipality_config(path).version == "ishoj-2026.2"
