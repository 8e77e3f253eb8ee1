"""The notebook HTML, without a kernel: escaping, both trace JSON layouts, the IPython hook."""

from __future__ import annotations

from typing import Any

import pytest

from lstm_shapes import api
from lstm_shapes.render import notebook


def test_explain_html_escapes_and_names_every_dimension() -> None:
    html = notebook.explain_html(api.explain(input_size=3, hidden_size=4, device="cpu"))
    assert html.startswith('<div class="lstm-shapes" data-report="explain">')
    assert "<td><code>(1, 3, 4)</code></td>" in html  # hn
    assert "<script" not in html


def test_explain_html_draws_the_handout_pictures() -> None:
    report = api.explain(input_size=10, hidden_size=20, bidirectional=True, device="cpu")
    html = notebook.explain_html(report)
    names = [name for name in ("cube", "unrolled", "halves") if f'data-name="{name}"' in html]
    assert names == ["cube", "unrolled", "halves"]
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
    assert "hn[-2]" in html  # the halves picture names where hn sits in output
    cell = notebook.explain_html(api.explain(input_size=10, hidden_size=20, kind="lstmcell"))
    assert "<svg" not in cell


def test_text_is_escaped() -> None:
    result = api.check(input_size=3, hidden_size=4, expect={"hn": (2, 3, 4)}, device="cpu")
    html = notebook.check_html(result)
    assert "&lt;- differs" in html and "<- differs" not in html


LAYER_V1 = {
    "name": "lstm",
    "call": 1,
    "constructor": "nn.LSTM(4, 8)",
    "tensors": {"output": {"shape": [5, 2, 8], "given": True, "dims": None}},
}
LAYER_V2 = {
    "name": "lstm",
    "constructor": "nn.LSTM(4, 8)",
    "calls": 3,
    "shapes": [
        {"calls": 2, "tensors": {"output": {"shape": [5, 2, 8], "dims": None}}},
        {"calls": 1, "tensors": {"output": {"shape": [9, 2, 8], "dims": None}}},
    ],
}


@pytest.mark.parametrize("layer", [LAYER_V1, LAYER_V2], ids=["tensors", "shape sets"])
def test_trace_html_reads_either_layout(layer: dict[str, Any]) -> None:
    html = notebook.trace_html({"model": "Net", "layers": [layer], "error": None, "notes": []})
    assert "<td><code>(5, 2, 8)</code></td>" in html
    assert ("(9, 2, 8)" in html) is ("shapes" in layer)


def test_the_display_is_registered_with_a_running_ipython() -> None:
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    try:
        assert api.register_notebook_display()
        formatter = shell.display_formatter.formatters["text/html"]
        report = api.check(input_size=3, hidden_size=4, input_shape=(2, 5, 3), device="cpu")
        html = formatter(report)
        assert 'data-report="check"' in html and "passed" in html
    finally:
        interactiveshell.InteractiveShell.clear_instance()


def test_without_ipython_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert not api.register_notebook_display()


def test_spec_results_html_summarises_then_shows_each_failure(tmp_path: Any) -> None:
    path = tmp_path / "two.shapes.toml"
    path.write_text(
        '[[case]]\nname = "fine"\nlstm = { input_size = 3, hidden_size = 4 }\n\n'
        '[[case]]\nname = "wrong"\nlstm = { input_size = 3, hidden_size = 4 }\n'
        "expect = { hn = [2, 3, 4] }\n"
    )
    html = notebook.spec_results_html(api.run_spec(path))
    assert "two.shapes.toml: 2 cases, 1 passed, 1 failed" in html
    assert html.count('<span class="fails">FAILED</span> wrong') == 1


def test_trace_html_shows_the_model_error_and_its_diagnosis() -> None:
    problem = {"what": "h0 is (2, 3, 8)", "why": "it must be (4, 3, 8)", "fix": ["h0 = ..."]}
    error = {
        "layer": "lstm",
        "error_type": "RuntimeError",
        "message": "bad",
        "diagnosis": [problem],
    }
    html = notebook.trace_html({"model": "Net", "layers": [], "error": error, "notes": []})
    assert "the model raised RuntimeError in lstm: bad" in html
    assert "- h0 is (2, 3, 8)\n  it must be (4, 3, 8)\n  fix: h0 = ..." in html
