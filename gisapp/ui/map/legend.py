"""The map's legend: a Leaflet control with static, already escaped HTML."""

from __future__ import annotations

import html

from branca.element import MacroElement
from jinja2 import Template

from gisapp.i18n import gap_label, t
from gisapp.ui.map.geojson import _dumps
from gisapp.ui.map.style import _GAPS, GAP_COLOURS


class _Legend(MacroElement):
    """A Leaflet control with static (already escaped) HTML."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = L.control({position: 'bottomright'});"
        "{{ this.get_name() }}.onAdd = function () {"
        " var d = L.DomUtil.create('div', 'gisapp-legend');"
        " d.style.cssText = 'background:#fff;padding:6px 8px;border-radius:4px;"
        "font:12px sans-serif;line-height:18px;box-shadow:0 0 4px rgba(0,0,0,.3)';"
        " d.innerHTML = {{ this.html_json }}; return d; };"
        "{{ this.get_name() }}.addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html_json = _dumps(html_text)


def _legend_rows(title: str, items: list[tuple[str, str]], *, dot: bool = False) -> str:
    rows = [f"<b>{html.escape(title)}</b>"]
    radius = "50%" if dot else "0"
    for colour, label in items:
        rows.append(
            f'<span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
            f'border-radius:{radius};background:{colour}"></span>{html.escape(label)}')
    return "<br>".join(rows)


def _legend_html(lang: str) -> str:
    return _legend_rows(t("legend", lang), [(GAP_COLOURS[g], gap_label(g, lang)) for g in _GAPS])
