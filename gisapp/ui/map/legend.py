"""The map's legend: a Leaflet control with static, already escaped HTML.

:class:`LegendBuilder` collects one entry per layer drawn (gap classes, towers per
carrier, clustered towers, facilities, grid, fibre, coverage kinds, proposed sites), so
the legend explains every layer shown and nothing else.
"""

from __future__ import annotations

import html

from branca.element import MacroElement
from jinja2 import Template

from gisapp.i18n import gap_label, t
from gisapp.ui.map.geojson import _dumps
from gisapp.ui.map.style import _GAPS, CLUSTER_CORE, CLUSTER_FILL, GAP_COLOURS, SITE_STYLE


class _Legend(MacroElement):
    """A Leaflet control with static (already escaped) HTML."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = L.control({position: 'bottomright'});"
        "{{ this.get_name() }}.onAdd = function () {"
        " var d = L.DomUtil.create('div', 'gisapp-legend');"
        " d.style.cssText = 'background:#fff;padding:6px 8px;border-radius:4px;max-height:60vh;"
        "overflow-y:auto;max-width:190px;font:12px sans-serif;line-height:16px;box-shadow:0 0 4px rgba(0,0,0,.3)';"
        " d.innerHTML = {{ this.html_json }}; return d; };"
        "{{ this.get_name() }}.addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html_json = _dumps(html_text)


_BOX = "display:inline-block;width:14px;height:12px;margin-right:6px;vertical-align:middle;"


def _swatch(kind: str, colour: str, *, dash: str | None = None, text: str = "") -> str:
    """A small sample of a layer: ``box`` (area), ``dot`` (point), ``line`` (solid or
    dashed), ``outline`` (a coverage outline of a kind), ``badge`` (a numbered site),
    ``cluster`` (a group of towers)."""
    if kind == "box":
        return f'<span style="{_BOX}background:{colour};border:1px solid #333"></span>'
    if kind == "dot":
        return (f'<span style="{_BOX}width:10px;height:10px;border-radius:50%;background:{colour};'
                f'border:1px solid #222"></span>')
    if kind in ("line", "outline"):
        style = "dashed" if dash and dash.startswith(("6", "8")) else ("dotted" if dash else "solid")
        height = "0" if kind == "line" else "9px"
        return (f'<span style="{_BOX}height:{height};border:0;border-top:2px {style} {colour};'
                + (f"border:2px {style} {colour};" if kind == "outline" else "") + '"></span>')
    if kind == "badge":
        return (f'<span style="{_BOX}width:16px;height:16px;border-radius:50%;text-align:center;'
                f'line-height:16px;font-size:10px;font-weight:bold;background:{SITE_STYLE["background"]};'
                f'color:{SITE_STYLE["color"]};border:{SITE_STYLE["border"]}">{html.escape(text)}</span>')
    if kind == "cluster":
        return (f'<span style="{_BOX}width:16px;height:16px;border-radius:50%;text-align:center;'
                f'line-height:16px;font-size:9px;background:{CLUSTER_CORE};color:#fff;'
                f'box-shadow:0 0 0 3px {CLUSTER_FILL}">n</span>')
    raise ValueError(kind)


class LegendBuilder:
    """Sections of ``(title, [(swatch html, escaped label)])`` in the order added."""

    def __init__(self) -> None:
        self.sections: list[tuple[str, list[tuple[str, str]]]] = []

    def add(self, title: str, swatch: str, label: str) -> None:
        entry = (swatch, html.escape(label))
        for name, items in self.sections:
            if name == title:
                if entry not in items:          # one entry per kind of thing drawn
                    items.append(entry)
                return
        self.sections.append((title, [(swatch, html.escape(label))]))

    def html(self) -> str:
        parts = []
        for title, items in self.sections:
            parts.append(f"<b>{html.escape(title)}</b>")
            parts.extend(f"{sw}{label}" for sw, label in items)
        return "<br>".join(parts)


def gap_entries(legend: LegendBuilder, lang: str) -> None:
    for g in _GAPS:
        legend.add(t("legend", lang), _swatch("box", GAP_COLOURS[g]), gap_label(g, lang))


def _legend_rows(title: str, items: list[tuple[str, str]], *, dot: bool = False) -> str:
    rows = [f"<b>{html.escape(title)}</b>"]
    radius = "50%" if dot else "0"
    for colour, label in items:
        rows.append(
            f'<span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
            f'border-radius:{radius};background:{colour}"></span>{html.escape(label)}')
    return "<br>".join(rows)


def _legend_html(lang: str) -> str:
    legend = LegendBuilder()
    gap_entries(legend, lang)
    return legend.html()
