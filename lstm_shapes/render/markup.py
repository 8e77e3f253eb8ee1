"""A :class:`~lstm_shapes.teach.doc.Page` as Markdown or as one self-contained HTML file
(inline CSS, no script, no network, laid out for A4 paper). No torch, no rich."""

from __future__ import annotations

import html
import re

from lstm_shapes.teach.doc import Bullets, Page, Para, Pre, Table

_CODE = re.compile(r"`([^`]+)`")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_code_cell(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`" if text else ""


def page_markdown(page: Page) -> str:
    lines = [f"# {page.title}", "", f"`{page.subtitle}`", ""]
    for sec in page.sections:
        if sec.title:
            lines += [f"## {sec.title}", ""]
        for block in sec.blocks:
            if isinstance(block, Para):
                lines += [block.text, ""]
            elif isinstance(block, Bullets):
                lines += [f"- {item}" for item in block.items] + [""]
            elif isinstance(block, Pre):
                fence = "python" if block.kind == "code" else "text"
                lines += [f"```{fence}", block.text.rstrip("\n"), "```", ""]
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
ul { margin: 1.5mm 0; padding-left: 6mm; }
footer { margin-top: 8mm; color: var(--muted); font-size: 8.5pt; border-top: 1px solid var(--rule);
         padding-top: 2mm; }
@media print { body { padding: 0; max-width: none; } pre { overflow: visible; font-size: 7.4pt; }
               a { color: inherit; text-decoration: none; } }
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
                out.append(f"<ul>{items}</ul>")
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
