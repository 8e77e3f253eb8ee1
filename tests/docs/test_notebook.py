"""Notebook display: ``docs/notebook.ipynb`` runs in a real Jupyter kernel (nbclient +
ipykernel) and every report shows itself as HTML tables with the right shapes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = ROOT / "docs" / "notebook.ipynb"


def html_outputs(cell: Any) -> list[str]:
    return [
        output["data"]["text/html"]
        for output in cell.get("outputs", [])
        if "text/html" in output.get("data", {})
    ]


@pytest.fixture(scope="module")
def executed() -> Any:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "docs")}},
    )
    client.execute()
    return notebook


def report_html(notebook: Any, kind: str) -> str:
    for cell in notebook.cells:
        for html in html_outputs(cell):
            if f'data-report="{kind}"' in html:
                return html
    raise AssertionError(f"no HTML output of a {kind} report in {NOTEBOOK.name}")


def cells_text(html: str) -> list[str]:
    """The text of every table cell, tags removed."""
    return [
        re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)
    ]


def test_every_code_cell_ran_without_error(executed: Any) -> None:
    for cell in executed.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            assert not errors, errors


def test_explain_shows_its_tensor_table(executed: Any) -> None:
    cells = cells_text(report_html(executed, "explain"))
    for shape in ("(3, 7, 10)", "(4, 3, 20)", "(3, 7, 40)"):
        assert shape in cells
    assert "(D*num_layers, N, H_out)" in cells


def test_variants_check_and_myths_display(executed: Any) -> None:
    variants = report_html(executed, "variants")
    assert "(7, 3, 40)" in re.sub(r"<[^>]+>", "", variants)
    check = report_html(executed, "check")
    assert "FAILED" in check and "D*num_layers = 2*2 = 4" in check
    myths = report_html(executed, "myths")
    assert "batch_first=True" in myths


def test_trace_shows_every_layer(executed: Any) -> None:
    cells = cells_text(report_html(executed, "trace"))
    assert "(32, 50, 64)" in cells  # the LSTM's input, from the embedding
    assert "(32, 50, 256)" in cells  # its output, both directions


def test_inspect_shows_the_inferred_module(executed: Any) -> None:
    html = report_html(executed, "inspect")
    assert "nn.GRU(input_size=8, hidden_size=16, num_layers=2, bidirectional=True)" in html
    assert "(4, 4, 16)" in cells_text(html)  # hn: D*num_layers=4, N=4, H_out=16


def test_the_html_is_self_contained(executed: Any) -> None:
    for kind in ("explain", "variants", "check", "trace", "inspect", "myths"):
        html = report_html(executed, kind)
        assert "<script" not in html and "http" not in html.split("</style>")[0]
        assert "color: inherit" in html  # the theme's own text colour, light or dark
