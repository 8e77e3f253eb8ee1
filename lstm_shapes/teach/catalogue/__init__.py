"""Every prose string of the teaching pages, by language.

A language is one module here with a ``MESSAGES`` dict (same keys and placeholders as
``en``); add its code to :data:`LANGS`. Missing keys fall back to English.
"""

from __future__ import annotations

import importlib

LANGS = ("en", "zh")


class Messages:
    def __init__(self, lang: str) -> None:
        from lstm_shapes.teach.catalogue.en import MESSAGES as english

        self.lang = lang
        module = importlib.import_module(f"lstm_shapes.teach.catalogue.{lang}")
        self._messages: dict[str, str] = {**english, **module.MESSAGES}
        #: code comments, English -> this language (none for English)
        self.comments: dict[str, str] = dict(getattr(module, "COMMENTS", {}))

    def __call__(self, key: str, **values: object) -> str:
        return self._messages[key].format(**values)


def messages(lang: str) -> Messages:
    """The catalogue for ``lang`` (one of :data:`LANGS`; the caller validates)."""
    return Messages(lang)
