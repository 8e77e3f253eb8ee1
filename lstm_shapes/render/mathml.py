"""Equations as MathML (browsers render it natively: no script, no fonts to fetch).

The page keeps each equation as plain text (``i_t = σ(x_t W_iiᵀ + b_ii + ...)``); this
module reads that spelling back into MathML tokens: names with ``_sub`` or ``_{sub}``
subscripts and a ``ᵀ`` transpose, function names, numbers and operators.
"""

from __future__ import annotations

import html
import re

_TOKEN = re.compile(
    r"(?P<name>[A-Za-zσ]+)(?:_(?P<sub>\{[^}]*\}|[A-Za-z0-9]+))?(?P<t>ᵀ)?"
    r"|(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<op>[()=+\-−⊙·,…])"
    r"|(?P<space>\s+)"
)
FUNCTIONS = {"tanh", "relu", "σ"}


def _mi(text: str, normal: bool = False) -> str:
    variant = ' mathvariant="normal"' if normal or len(text) > 1 else ""
    return f"<mi{variant}>{html.escape(text)}</mi>"


def _sub(text: str) -> str:
    """A subscript: ``t-1`` becomes t − 1."""
    text = text.strip("{}")
    parts = re.split(r"([\-−+])", text)
    out = []
    for part in parts:
        if part in ("-", "−", "+"):
            out.append(f"<mo>{'−' if part in '-−' else '+'}</mo>")
        elif part.isdigit():
            out.append(f"<mn>{part}</mn>")
        elif part:
            out.append(_mi(part) if len(part) == 1 else f"<mi>{html.escape(part)}</mi>")
    return out[0] if len(out) == 1 else "<mrow>" + "".join(out) + "</mrow>"


def expression(text: str) -> str:
    """The MathML ``<mrow>`` of one equation written in the page's plain spelling."""
    out: list[str] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:  # anything else is shown as it is
            out.append(f"<mtext>{html.escape(text[pos])}</mtext>")
            pos += 1
            continue
        pos = match.end()
        if match.group("name"):
            name = match.group("name")
            base = _mi(name, normal=name in FUNCTIONS)
            if match.group("sub"):
                base = f"<msub>{base}{_sub(match.group('sub'))}</msub>"
            if match.group("t"):
                base = f'<msup>{base}<mi mathvariant="normal">T</mi></msup>'
            out.append(base)
        elif match.group("num"):
            out.append(f"<mn>{match.group('num')}</mn>")
        elif match.group("op"):
            op = "−" if match.group("op") == "-" else match.group("op")
            out.append(f"<mo>{html.escape(op)}</mo>")
    return "<mrow>" + "".join(out) + "</mrow>"


def math(text: str, label: str = "") -> str:
    """One block equation; ``label`` is its plain spelling for screen readers."""
    alt = f' alttext="{html.escape(label or text)}"'
    return f'<math display="block"{alt}>{expression(text)}</math>'
