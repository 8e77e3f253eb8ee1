"""The SVG pictures and the MathML equations: well-formed, labelled from the run, elided."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from lstm_shapes import api
from lstm_shapes.render.markup import figures_of
from lstm_shapes.render.mathml import expression, math
from lstm_shapes.render.picture_names import PICTURES
from lstm_shapes.render.pictures import DRAWERS, draw
from lstm_shapes.teach.doc import Figure
from lstm_shapes.teach.pages import EQUATIONS

SVG = "{http://www.w3.org/2000/svg}"


def test_every_picture_name_has_its_drawing() -> None:
    """The names the CLI lists (kept apart so that ``--help`` need not import the drawing
    code) are the pictures drawn, in order."""
    assert tuple(DRAWERS) == PICTURES


def _pictures(**options: object) -> dict[str, ET.Element]:
    built = api.diagram(**options)
    return {f.name: ET.fromstring(draw(f)) for f in figures_of(built.page)}


def _texts(svg: ET.Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    "options",
    [
        {
            "input_size": 10,
            "hidden_size": 20,
            "num_layers": 2,
            "batch_first": True,
            "bidirectional": True,
        },
        {"input_size": 3, "hidden_size": 4, "seq_len": 1, "batch": 1},
        {"input_size": 3, "hidden_size": 4, "num_layers": 6, "seq_len": 40, "batch": 2},
        {"input_size": 5, "hidden_size": 6, "proj_size": 2, "bidirectional": True},
        {"kind": "gru", "input_size": 5, "hidden_size": 6, "num_layers": 2},
        {"kind": "rnn", "nonlinearity": "relu", "input_size": 5, "hidden_size": 6},
    ],
)
def test_every_picture_is_titled_and_labelled(options: dict[str, object]) -> None:
    pictures = _pictures(**options)
    assert set(pictures) == set(PICTURES)
    for name, svg in pictures.items():
        assert svg.get("role") == "img" and svg.get("data-name") == name
        assert (svg.findtext(f"{SVG}title") or "").strip()
        assert (svg.findtext(f"{SVG}desc") or "").strip()
        width, height = (float(v) for v in svg.get("viewBox", "").split()[2:])
        assert 50 < width < 760 and height > 40, (name, width, height)
    num_layers = int(str(options.get("num_layers", 1)))
    seq_len = int(str(options.get("seq_len", 7)))
    d = 2 if options.get("bidirectional") else 1
    unrolled = _texts(pictures["unrolled"])
    last = d * num_layers - 1
    assert any(text.startswith(f"hn[{last}]") for text in unrolled)
    assert ("⋮" in unrolled) == (num_layers > 3)
    assert ("…" in unrolled) == (seq_len > 5)
    assert f"dim 2: H_in={options['input_size']}" in _texts(pictures["cube"])


def test_reduced_run_says_so() -> None:
    figure = Figure(
        "halves",
        "t",
        "d",
        {"seq_len": 3, "D": 1, "H_out": 4, "batch_first": False, "reduced": True},
        {"forward": "forward", "backward": "backward", "reduced": "reduced run: sizes"},
    )
    assert "reduced run: sizes" in _texts(ET.fromstring(draw(figure)))


@pytest.mark.parametrize("kind", sorted(EQUATIONS))
def test_equations_typeset_without_fallback(kind: str) -> None:
    for line in EQUATIONS[kind]:
        mathml = expression(line)
        assert "<mtext>" not in mathml, line
        ET.fromstring(math(line))  # well-formed


def test_subscripts_and_transpose() -> None:
    assert expression("h_{t-1} W_hiᵀ") == (
        "<mrow><msub><mi>h</mi><mrow><mi>t</mi><mo>\u2212</mo><mn>1</mn></mrow></msub>"
        '<msup><msub><mi>W</mi><mi>hi</mi></msub><mi mathvariant="normal">T</mi></msup></mrow>'
    )
