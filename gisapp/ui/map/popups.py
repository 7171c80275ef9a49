"""Tooltips and popups: village tooltips, field tables, and the popups of a plan's sites."""

from __future__ import annotations

import html
import math

import folium
import geopandas as gpd
import numpy as np
import shapely

from gisapp import schema as S
from gisapp.i18n import gap_label, t
from gisapp.ui.map.geojson import PRECISION, FastGeoJson, _dumps, features_json
from gisapp.ui.map.style import _GAPS, SITE_STYLE

__all__ = ["add_sites"]


def _fields_tooltip_js(fields: list[tuple[str, str]]) -> str:
    """A tooltip of ``(property, escaped label)`` rows; the values are escaped in Python."""
    rows = "+".join(
        f"'<tr><th style=\"text-align:left;padding-right:6px\">' + {_dumps(label)} + '</th><td>' + "
        f"(p[{_dumps(key)}] == null ? '' : p[{_dumps(key)}]) + '</td></tr>'"
        for key, label in fields)
    return f"function (l) {{ var p = l.feature.properties; return '<table>' + {rows or repr('')} + '</table>'; }}"


def _village_tooltip_js(lang: str, communes: list[str], *, extra_labels: list[str] | None = None) -> str:
    labels = [html.escape(t(k, lang)) for k in ("t_name", "t_commune", "t_people", "t_gap", "t_why")]
    gaps = [html.escape(gap_label(g, lang)) for g in _GAPS]
    locale = "vi-VN" if lang == "vi" else "en-US"
    row = ("'<tr><th style=\"text-align:left;padding-right:6px;vertical-align:top\">' + L[{i}] + "
           "'</th><td>' + ({v}) + '</td></tr>'")
    rows = [row.format(i=0, v="p.n"), row.format(i=1, v="C[p.c]"),
            row.format(i=2, v=f"p.p == null ? '' : p.p.toLocaleString({_dumps(locale)})"),
            row.format(i=3, v="G[p.gap]")]
    extra = ""
    if extra_labels is not None:
        labels.append(html.escape(t("t_change", lang)))
        rows.append(row.format(i=5, v="X[p.x]"))
        extra = f"var X = {_dumps(extra_labels)};"
    rows.append(row.format(i=4, v="p.w"))
    return (
        f"(function () {{ var L = {_dumps(labels)}, G = {_dumps(gaps)}, C = {_dumps(communes)}; {extra}"
        " return function (l) { var p = l.feature.properties;"
        " return '<table style=\"width:320px;white-space:normal\">' + "
        + " + ".join(rows) + " + '</table>'; }; })()"
    )


def _money(x: object, lang: str) -> str:
    text = _fmt_num(x, lang)
    return text if text == "–" else text + " USD"


def add_sites(m: folium.Map, sites: gpd.GeoDataFrame, *, lang: str = "vi",
              max_listed: int = 40) -> FastGeoJson | None:
    """Add the chosen new sites of a plan as numbered markers with a popup.

    The popup lists the site's rank, carrier, candidate village, the villages it would
    serve (ids, at most ``max_listed`` then "+ n more"), people served, cost and cost
    per person, and the cost breakdown — every value HTML-escaped.

    Returns
    -------
    FastGeoJson or None
        The layer added (None for no sites).
    """
    if sites is None or not len(sites):
        return None
    pts = sites.to_crs("EPSG:4326")
    geoms = shapely.transform(pts.geometry.to_numpy(), lambda xy: np.round(xy, PRECISION))
    props = []
    for row in pts.drop(columns=pts.geometry.name).to_dict("records"):
        served = [s.strip() for s in str(row.get("villages_served") or "").split(",") if s.strip()]
        listed = ", ".join(served[:max_listed]) + (
            f" {t('and_more', lang, n=len(served) - max_listed)}" if len(served) > max_listed else "")
        items = [
            (t("s_rank", lang), str(row.get("site_rank", ""))),
            (t("carrier", lang), str(row.get("carrier") or "–")),
            (t("s_candidate", lang), str(row.get(S.ID) or row.get("source") or "–")),
            (t("s_n_villages", lang), str(row.get("n_villages", len(served)))),
            (t("s_villages", lang), listed or "–"),
            (t("s_people", lang), _fmt_num(row.get("pop_served"), lang)),
            (t("s_cost", lang), _money(row.get("cost_usd"), lang)),
            (t("s_cost_person", lang), _money(row.get("cost_per_person_usd"), lang)),
            (t("s_breakdown", lang), str(row.get("cost_breakdown") or "–")),
        ]
        body = "".join(
            f'<tr><th style="text-align:left;padding-right:8px;vertical-align:top;white-space:nowrap">'
            f"{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in items)
        props.append({"r": int(row.get("site_rank") or 0),
                      "h": f'<table style="white-space:normal;width:300px">{body}</table>'})
    layer = FastGeoJson(
        features_json(geoms, props), name=html.escape(t("sites_layer", lang)),
        # a round badge with the site's rank, the number in the sites table
        point_js=_badge_js(),
        # the same table on hover and, on click, in a popup (see _FocusWithoutScroll)
        tooltip_js="function (l) { return l.feature.properties.h; }",
        popup_js="function (f) { return f.properties.h; }",
    )
    layer.add_to(m)
    return layer


def _badge_js() -> str:
    css = (f"width:22px;height:22px;border-radius:50%;box-sizing:border-box;text-align:center;"
           f"line-height:18px;font:bold 11px sans-serif;background:{SITE_STYLE['background']};"
           f"color:{SITE_STYLE['color']};border:{SITE_STYLE['border']}")
    return ("function (f, ll) { return L.marker(ll, {icon: L.divIcon({className: 'gisapp-site', "
            f"iconSize: [22, 22], html: '<div style=\"{css}\">' + f.properties.r + '</div>'}})}}); }}")


def _fmt_num(x: object, lang: str) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(v):
        return "–"
    text = f"{v:,.0f}"
    return text.replace(",", ".") if lang == "vi" else text
