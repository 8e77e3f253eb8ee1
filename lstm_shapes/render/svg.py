"""A small SVG writer on :mod:`xml.etree`: boxes, labels, lines and arrows.

The pictures need a dozen shapes and a text-width estimate, so a drawing library would not
earn its dependency. Every drawing carries ``<title>`` and ``<desc>`` (screen readers and
file browsers show them) and one ``<style>``, so a file written alone looks the same as
the copy inlined in a handout.
"""

from __future__ import annotations

import math
import unicodedata
import xml.etree.ElementTree as ET
from typing import Any

NS = "http://www.w3.org/2000/svg"
FONT = '"DejaVu Sans Mono", "Noto Sans Mono CJK SC", "Noto Sans CJK SC", monospace'
#: the width of one Latin character, in font sizes (DejaVu Sans Mono: 0.602)
CHAR = 0.61

STYLE = f"""
text {{ font-family: {FONT}; font-size: 12px; fill: #1b1f24; }}
text.small {{ font-size: 10.5px; }}
text.title {{ font-size: 13px; font-weight: bold; }}
text.muted {{ fill: #4d5661; }}
text.bad {{ fill: #a3161a; font-weight: bold; }}
text.note {{ fill: #8a4b00; font-weight: bold; }}
.box {{ fill: #eef5fc; stroke: #0b5cad; stroke-width: 1.2; }}
.box.top {{ fill: #dff0e4; stroke: #1a7f37; }}
.box.pad {{ fill: #e3e6ea; stroke: #8c959f; stroke-dasharray: 3 2; }}
.box.gate {{ fill: #fff4d6; stroke: #9a6700; }}
.box.state {{ fill: #f3e8ff; stroke: #6f42c1; }}
.box.back {{ fill: #fde9e7; stroke: #b42318; }}
.box.plain {{ fill: #ffffff; stroke: #57606a; }}
.face {{ fill: #eef5fc; stroke: #0b5cad; stroke-width: 1.2; }}
.face.side {{ fill: #d6e6f6; }}
.face.top {{ fill: #e6f0fa; }}
.slice {{ fill: #0b5cad; fill-opacity: 0.08; stroke: #0b5cad; stroke-width: 0.8; }}
.lifted {{ fill: #fff4d6; stroke: #9a6700; stroke-width: 1.4; }}
.arrow {{ stroke: #1b1f24; stroke-width: 1.3; fill: none; }}
.head {{ fill: #1b1f24; }}
.head.back {{ fill: #b42318; }}
.head.c {{ fill: #6f42c1; }}
.arrow.c {{ stroke: #6f42c1; stroke-dasharray: 5 3; }}
.arrow.back {{ stroke: #b42318; }}
.line {{ stroke: #57606a; stroke-width: 1; fill: none; }}
.cross {{ stroke: #a3161a; stroke-width: 2; }}
rect.now, polygon.now {{ stroke: #d4a72c; stroke-width: 3; }}
polygon.slice.now {{ fill: #d4a72c; fill-opacity: 0.35; }}
text.now {{ fill: #8a4b00; font-weight: bold; }}
"""


def text_width(text: str, size: float = 12.0) -> float:
    """The drawn width of ``text``: wide (CJK) characters take two Latin columns."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
    return columns * CHAR * size


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class Drawing:
    """One SVG picture. Coordinates are pixels at 96 dpi; ``finish`` sets the size."""

    def __init__(self, name: str, title: str, desc: str) -> None:
        ET.register_namespace("", NS)
        self.name = name
        self.root = ET.Element(
            "svg", {"xmlns": NS, "role": "img", "data-name": name, "class": "picture"}
        )
        ET.SubElement(self.root, "title").text = title
        ET.SubElement(self.root, "desc").text = desc
        ET.SubElement(self.root, "style").text = STYLE
        self.width = 0.0
        self.height = 0.0
        self._boxes = 0

    def _grow(self, x: float, y: float) -> None:
        self.width = max(self.width, x)
        self.height = max(self.height, y)

    def _el(self, tag: str, attrs: dict[str, Any], parent: ET.Element | None = None) -> ET.Element:
        values = {
            k.rstrip("_").replace("_", "-"): _num(v) if isinstance(v, float) else str(v)
            for k, v in attrs.items()
            if v is not None and v != ""
        }
        return ET.SubElement(self.root if parent is None else parent, tag, values)

    def rect(self, x: float, y: float, w: float, h: float, cls: str = "box", **attrs: Any) -> str:
        """A box; returns its id, for the labels that must fit inside it."""
        self._boxes += 1
        box_id = f"{self.name}-box-{self._boxes}"
        self._el(
            "rect",
            {"id": box_id, "x": x, "y": y, "width": w, "height": h, "rx": 3.0, "class": cls}
            | attrs,
        )
        self._grow(x + w, y + h)
        return box_id

    def text(
        self,
        x: float,
        y: float,
        text: str,
        cls: str = "",
        anchor: str = "middle",
        inside: str = "",
        size: float = 12.0,
        **attrs: Any,
    ) -> ET.Element:
        """A label with its baseline at ``y``; ``inside`` names the box it must fit in."""
        el = self._el(
            "text",
            {
                "x": x,
                "y": y,
                "text-anchor": anchor,
                "class": cls,
                "data-inside": inside,
            }
            | attrs,
        )
        el.text = text
        width = text_width(text, size)
        left = {"middle": x - width / 2, "end": x - width}.get(anchor, x)
        self._grow(left + width, y + size * 0.3)
        return el

    def line(self, points: list[tuple[float, float]], cls: str = "arrow", **attrs: Any) -> None:
        d = "M " + " L ".join(f"{_num(x)} {_num(y)}" for x, y in points)
        self._el("path", {"d": d, "class": cls} | attrs)
        for x, y in points:
            self._grow(x, y)
        if "arrow" in cls.split():
            self._head(points[-2], points[-1], cls.replace("arrow", "head"))

    def _head(self, start: tuple[float, float], tip: tuple[float, float], cls: str) -> None:
        """An arrowhead drawn as a triangle (no marker: nothing for the page to look up)."""
        dx, dy = tip[0] - start[0], tip[1] - start[1]
        length = math.hypot(dx, dy) or 1.0
        ux, uy = dx / length, dy / length
        base = (tip[0] - 7 * ux, tip[1] - 7 * uy)
        left = (base[0] - 3.5 * uy, base[1] + 3.5 * ux)
        right = (base[0] + 3.5 * uy, base[1] - 3.5 * ux)
        self.polygon([tip, left, right], cls)

    def polygon(self, points: list[tuple[float, float]], cls: str, **attrs: Any) -> None:
        text = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
        self._el("polygon", {"points": text, "class": cls} | attrs)
        for x, y in points:
            self._grow(x, y)

    def finish(self, margin: float = 8.0) -> str:
        width, height = self.width + margin, self.height + margin
        self.root.set("viewBox", f"0 0 {_num(width)} {_num(height)}")
        self.root.set("width", _num(width))
        self.root.set("height", _num(height))
        ET.indent(self.root, space=" ")
        return ET.tostring(self.root, encoding="unicode")
