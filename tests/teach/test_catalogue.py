"""Every language has every message, with the same placeholders."""

from __future__ import annotations

import importlib
import re
import string

import pytest

from lstm_shapes.probe.myths import MYTHS, run_myths
from lstm_shapes.teach.catalogue import LANGS

_KEY_USE = re.compile(r"""\bt\(\s*f?["']([a-z_.{}-]+)["']""")


def _catalogue(lang: str) -> dict[str, str]:
    module = importlib.import_module(f"lstm_shapes.teach.catalogue.{lang}")
    return module.MESSAGES  # type: ignore[no-any-return]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", LANGS)
def test_same_keys_and_placeholders(lang: str) -> None:
    english, other = _catalogue("en"), _catalogue(lang)
    assert set(other) == set(english)
    for key, text in english.items():
        assert _fields(other[key]) == _fields(text), key


def test_every_myth_has_words() -> None:
    english = _catalogue("en")
    assert len(MYTHS) >= 10
    for myth in run_myths():
        assert f"myth.{myth.id}.claim" in english
        assert _fields(english[f"myth.{myth.id}.evidence"]) == set(myth.values), myth.id


def test_keys_used_in_code_exist() -> None:
    from pathlib import Path

    english = _catalogue("en")
    source = "".join(
        p.read_text(encoding="utf-8")
        for p in Path(__file__).resolve().parents[2].joinpath("lstm_shapes", "teach").glob("*.py")
    )
    for key in _KEY_USE.findall(source):
        if "{" in key:
            prefix = key.split("{")[0]
            assert any(k.startswith(prefix) for k in english), key
        else:
            assert key in english, key
