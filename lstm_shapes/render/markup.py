"""A :class:`~lstm_shapes.teach.doc.Page` as Markdown or as one self-contained HTML file
(inline CSS and SVG, MathML equations, one small inline script for the time-step stepper,
no network, laid out for A4 paper). Without script the page shows everything. No torch."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable

from lstm_shapes.render import mathml
from lstm_shapes.render.pictures import draw
from lstm_shapes.teach.doc import Bullets, Equations, Figure, Page, Para, Pre, Stepper, Table

#: how Markdown shows a figure: a link to a file beside it, or None for the text picture
PictureLink = Callable[[Figure], str | None]

_CODE = re.compile(r"`([^`]+)`")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_code_cell(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`" if text else ""


def picture_files(stem: str) -> PictureLink:
    """Link each figure to ``<stem>.<name>.svg`` beside the Markdown file."""
    return lambda figure: f"{stem}.{figure.name}.svg"


def embedded(figure: Figure) -> str:
    """A figure as a ``data:`` URI, for a Markdown page that travels alone."""
    data = base64.b64encode(draw(figure).encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{data}"


def figures_of(page: Page) -> list[Figure]:
    return [b for sec in page.sections for b in sec.blocks if isinstance(b, Figure)]


def page_markdown(page: Page, link: PictureLink | None = None) -> str:
    """``link`` turns each figure into an image; without it the text pictures are shown."""
    lines = [f"# {page.title}", "", f"`{page.subtitle}`", ""]
    for sec in page.sections:
        if sec.title:
            lines += [f"## {sec.title}", ""]
        for block in sec.blocks:
            if isinstance(block, Para):
                lines += [block.text, ""]
            elif isinstance(block, Bullets):
                marks = [f"{k + 1}." if block.ordered else "-" for k in range(len(block.items))]
                lines += [f"{mark} {item}" for mark, item in zip(marks, block.items, strict=True)]
                lines.append("")
            elif isinstance(block, Pre):
                fence = "python" if block.kind == "code" else "text"
                lines += [f"```{fence}", block.text.rstrip("\n"), "```", ""]
            elif isinstance(block, Figure):
                target = link(block) if link is not None else None
                if target is not None:
                    lines += [f"![{_md_cell(block.title)}]({target})", "", f"*{block.desc}*", ""]
                elif block.text:
                    lines += ["```text", block.text.rstrip("\n"), "```", ""]
                else:
                    lines += [f"*{block.title}: {block.desc}*", ""]
            elif isinstance(block, Equations):
                lines += ["```text", block.text.rstrip("\n"), "```", ""]
            elif isinstance(block, Table):
                align = block.align or ("l",) * len(block.header)
                lines.append("| " + " | ".join(_md_cell(h) for h in block.header) + " |")
                lines.append("| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |")
                for row in block.rows:
                    cells = [
                        _md_code_cell(c) if k in block.code_columns else _md_cell(c)
                        for k, c in enumerate(row)
                    ]
                    lines.append("| " + " | ".join(cells) + " |")
                lines.append("")
    if page.footer:
        lines += ["---", "", page.footer, ""]
    return "\n".join(lines)


CSS = """
@page { size: A4; margin: 14mm 13mm; }
:root { --ink: #1b1f24; --muted: #57606a; --rule: #d0d7de; --accent: #0b5cad; --bad: #b42318;
        --good: #1a7f37; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC",
       "Microsoft YaHei", Arial, sans-serif; color: var(--ink); margin: 0 auto;
       max-width: 190mm; padding: 8mm 6mm; font-size: 10.5pt; line-height: 1.45; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 7mm 0 2mm; padding-bottom: 1mm; border-bottom: 1px solid var(--rule);
     break-after: avoid; page-break-after: avoid; }
p { margin: 1.5mm 0; }
code, pre { font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace; }
code { font-size: 92%; background: #f3f5f7; padding: 0 0.25em; border-radius: 3px; }
.subtitle { color: var(--accent); font-size: 11pt; margin: 0 0 3mm; }
pre { font-size: 8pt; line-height: 1.25; background: #f6f8fa; border: 1px solid var(--rule);
      padding: 2.5mm 3mm; overflow-x: auto; white-space: pre; break-inside: avoid;
      page-break-inside: avoid; }
pre.picture { background: #fbfdff; border-color: #9cc3ea; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 3mm; font-size: 9pt;
        break-inside: auto; }
th, td { border: 1px solid var(--rule); padding: 1mm 1.6mm; text-align: left;
         vertical-align: top; overflow-wrap: anywhere; }
th { background: #eef2f6; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.r, th.r { text-align: right; }
td.nw { white-space: nowrap; }
td.holds { color: var(--good); font-weight: bold; white-space: nowrap; }
td.fails { color: var(--bad); font-weight: bold; white-space: nowrap; }
ul, ol { margin: 1.5mm 0; padding-left: 6mm; }
footer { margin-top: 8mm; color: var(--muted); font-size: 8.5pt; border-top: 1px solid var(--rule);
         padding-top: 2mm; }
figure { margin: 3mm 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 8.5pt; margin-top: 1mm; }
.equations { border: 1px solid #9cc3ea; background: #fbfdff; padding: 1mm 3mm;
             break-inside: avoid; page-break-inside: avoid; }
.eq { display: grid; grid-template-columns: minmax(0, 1fr) 7.5em 9em; align-items: center;
      column-gap: 2mm; border-bottom: 1px dotted var(--rule); }
.eq:last-of-type { border-bottom: 0; }
.eq math { font-size: 11.5pt; margin: 1mm 0; overflow-wrap: anywhere; }
.eq .shape { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; }
.eq .name { color: var(--muted); font-size: 9pt; }
.eq-step { font-size: 9pt; margin: 1mm 0; }
.stepper { position: sticky; top: 0; z-index: 2; background: #fff8e1; border: 1px solid #d4a72c;
           padding: 1.5mm 3mm; margin: 2mm 0; display: flex; gap: 3mm; align-items: center; }
.stepper[hidden] { display: none; }
.stepper output { font-family: "DejaVu Sans Mono", monospace; font-weight: bold; min-width: 3em; }
.now { outline: 2px solid #d4a72c; }
svg .now { outline: none; }
ol li { margin: 1mm 0; }
/* the answers start a page of their own: the exercises print as a worksheet */
#answers { break-before: page; page-break-before: always; }
@media print { body { padding: 0; max-width: none; } pre { overflow: visible; font-size: 7.4pt; }
               a { color: inherit; text-decoration: none; } .stepper { display: none; } }
"""

#: The stepper: moves the highlight to every element of step t (``data-t``) and rewrites
#: the labels that name the step (``data-step-label``). Without script nothing is hidden.
SCRIPT = """
(function () {
  var bar = document.getElementById("stepper");
  if (!bar) { return; }
  var input = bar.querySelector("input");
  var shown = bar.querySelector("output");
  function show(t) {
    shown.textContent = "t=" + t;
    document.querySelectorAll(".now").forEach(function (el) { el.classList.remove("now"); });
    document.querySelectorAll('[data-t="' + t + '"]').forEach(function (el) {
      el.classList.add("now");
    });
    document.querySelectorAll("[data-step-label]").forEach(function (el) {
      el.textContent = el.getAttribute("data-step-label").split("{t}").join(String(t));
    });
    document.body.setAttribute("data-step", String(t));
  }
  input.addEventListener("input", function () { show(input.value); });
  bar.hidden = false;
  show(input.value);
})();
"""


def _inline(text: str) -> str:
    """Escape, then show `code` spans as <code> and line breaks as <br>."""
    escaped = _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", html.escape(text, quote=False))
    return escaped.replace("\n", "<br>")


def page_html(page: Page, verdicts: tuple[str, str] = ("", "")) -> str:
    """``verdicts``: the words for "holds" / "does not hold", coloured when found in a cell."""
    lang = "zh-Hans" if page.lang == "zh" else page.lang
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(page.title)}: {html.escape(page.subtitle)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(page.title)}</h1>",
        f'<p class="subtitle"><code>{html.escape(page.subtitle)}</code></p>',
    ]
    for sec in page.sections:
        anchor = f' id="{sec.anchor}"' if sec.anchor else ""
        out.append(f"<section{anchor}>")
        if sec.title:
            out.append(f"<h2>{html.escape(sec.title)}</h2>")
        for block in sec.blocks:
            if isinstance(block, Para):
                out.append(f"<p>{_inline(block.text)}</p>")
            elif isinstance(block, Bullets):
                items = "".join(f"<li>{_inline(item)}</li>" for item in block.items)
                tag = "ol" if block.ordered else "ul"
                out.append(f"<{tag}>{items}</{tag}>")
            elif isinstance(block, Figure):
                out.append(_figure_html(block))
            elif isinstance(block, Equations):
                out.append(_equations_html(block))
            elif isinstance(block, Stepper):
                out.append(_stepper_html(block))
            elif isinstance(block, Pre):
                name = f' data-name="{block.name}"' if block.name else ""
                role = ' role="img"' if block.kind == "picture" else ""
                text = html.escape(block.text.rstrip())
                out.append(f'<pre class="{block.kind}"{name}{role}>{text}</pre>')
            elif isinstance(block, Table):
                out.append(_table_html(block, verdicts))
        out.append("</section>")
    if page.footer:
        out.append(f"<footer>{_inline(page.footer)}</footer>")
    if any(isinstance(b, Stepper) for sec in page.sections for b in sec.blocks):
        out.append(f"<script>{SCRIPT}</script>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _table_html(table: Table, verdicts: tuple[str, str]) -> str:
    align = table.align or ("l",) * len(table.header)
    name = f' data-name="{table.name}"' if table.name else ""
    head = "".join(
        f'<th class="{a}" scope="col">{html.escape(h)}</th>'
        for h, a in zip(table.header, align, strict=True)
    )
    rows = []
    for row in table.rows:
        cells = []
        for k, text in enumerate(row):
            classes = [align[k]]
            if align[k] == "r":  # numbers: never broken across lines
                classes.append("nw")
            if verdicts[0] and text == verdicts[0]:
                classes.append("holds")
            elif verdicts[1] and text == verdicts[1]:
                classes.append("fails")
            if k in table.code_columns and text:
                body = f"<code>{html.escape(text)}</code>"
                if len(text) <= 26:  # a shape or a name: keep it on one line
                    classes.append("nw")
            else:
                body = _inline(text)
            cells.append(f'<td class="{" ".join(classes)}">{body}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table{name}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _figure_html(figure: Figure) -> str:
    # inline SVG needs no namespace declaration: the HTML parser knows <svg>
    svg = draw(figure).replace(' xmlns="http://www.w3.org/2000/svg"', "", 1)
    return (
        f'<figure data-name="{figure.name}">{svg}'
        f"<figcaption>{_inline(figure.title)}</figcaption></figure>"
    )


def _equations_html(eq: Equations) -> str:
    rows = []
    letters = {f"{g}_t": name for g, (name, _) in eq.names.items()}
    for line in eq.text.strip().splitlines():
        lhs = line.split(" = ")[0]
        shape = html.escape(eq.shapes.get(lhs, ""))
        name = html.escape(letters.get(lhs, ""))
        rows.append(
            f'<div class="eq" data-eq="{html.escape(lhs)}">{mathml.math(line)}'
            f'<span class="shape">{shape}</span><span class="name">{name}</span></div>'
        )
    first = eq.step_expr.replace("{t}", "0")
    step = (
        f'<p class="eq-step"><code>x_t</code> = <code data-t-label data-step-label='
        f'"{html.escape(eq.step_expr)}">{html.escape(first)}</code></p>'
    )
    return f'<div class="equations" data-name="equations">{"".join(rows)}{step}</div>'


def _stepper_html(stepper: Stepper) -> str:
    last = stepper.seq_len - 1
    label = html.escape(stepper.label)
    return (
        f'<div class="stepper" id="stepper" hidden><label for="step">{label}</label>'
        f'<input id="step" type="range" min="0" max="{last}" value="0" step="1">'
        f"<output>t=0</output></div>"
    )
