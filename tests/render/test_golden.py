"""Renderers against reviewed golden files (``make golden`` rewrites them; review the diff)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lstm_shapes import explain, make_spec
from lstm_shapes.render.console import render_to_text
from lstm_shapes.render.json_ import explain_json, variants_json
from lstm_shapes.render.markdown import explain_markdown, variants_markdown
from lstm_shapes.render.table import explain_renderable, variants_renderable
from lstm_shapes.report.variants import variants

REFERENCE = {
    # nn.LSTM(5, 6, 2) on a (1, 3, 5) input: L=1, N=3 (sequence-first)
    "lstm_5_6_2": dict(input_size=5, hidden_size=6, num_layers=2, seq_len=1, batch=3),
    # a 2-layer batch_first LSTM 100 -> 128 on (32, 50, 100)
    "lstm_100_128_batch_first": dict(
        input_size=100, hidden_size=128, num_layers=2, batch_first=True, batch=32, seq_len=50
    ),
    # everything at once: bidirectional, projection, dropout with layers
    "lstm_bidir_proj": dict(
        input_size=10,
        hidden_size=20,
        num_layers=2,
        batch_first=True,
        bidirectional=True,
        proj_size=5,
        dropout=0.25,
        batch=3,
        seq_len=7,
    ),
    # one unbatched sequence through a GRU
    "gru_unbatched": dict(input_size=4, hidden_size=6, kind="gru", unbatched=True, seq_len=5),
    # the cells: one time step, no layers, no directions, no L
    "lstmcell": dict(input_size=10, hidden_size=20, kind="lstmcell", batch=3),
    "grucell_unbatched": dict(input_size=4, hidden_size=6, kind="grucell", unbatched=True),
    "rnncell_relu_no_bias": dict(
        input_size=5, hidden_size=7, kind="rnncell", nonlinearity="relu", bias=False, batch=2
    ),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_explain_renderers(name: str, golden: Callable[[str, str], None]) -> None:
    report = explain(device="cpu", **REFERENCE[name])  # type: ignore[arg-type]
    golden(f"explain_{name}.txt", render_to_text(explain_renderable(report)))
    golden(f"explain_{name}.md", explain_markdown(report))
    golden(f"explain_{name}.json", explain_json(report))


def test_variants_renderers(golden: Callable[[str, str], None]) -> None:
    reports = variants(make_spec(input_size=10, hidden_size=20, num_layers=2, device="cpu"))
    golden("variants_lstm_10_20_2.txt", render_to_text(variants_renderable(reports)))
    golden("variants_lstm_10_20_2.md", variants_markdown(reports))
    golden("variants_lstm_10_20_2.json", variants_json(reports))
