"""Offline PNG pictures for the report, drawn with Pillow: the village map and the burn-down.

No tiles, no network: the map is the villages themselves (polygons filled, points as
dots) coloured by gap class (:data:`gisapp.schema.GAP_COLOURS`), on an equirectangular
projection scaled by the cosine of the mid latitude. Text uses DejaVu Sans when the
system has it (Vietnamese diacritics), else Pillow's own font.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp import schema as S

__all__ = ["map_png", "burndown_png"]

_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
          "/usr/share/fonts/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf")
_LINE_COLOURS = ("#1f4e9c", "#c0392b", "#7d3c98", "#117a65")


def _font(size: int):
    from PIL import ImageFont

    for path in _FONTS:
        if path.startswith("/") and not Path(path).exists():
            continue
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def map_png(villages: gpd.GeoDataFrame, labels: dict[str, str], *, title: str = "",
            size: tuple[int, int] = (1400, 1000)) -> bytes:
    """The villages coloured by gap class, with a legend of ``labels`` (class → words)."""
    from PIL import Image, ImageDraw

    w, h = size
    v = villages.to_crs(4326) if villages.crs is not None else villages
    geoms = np.asarray(v.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    font = _font(26)
    legend_w = 60 + max(int(font.getlength(labels.get(str(g), str(g)))) for g in S.GAP_ORDER)
    top = 60 if title else 20
    if ok.any():
        x0, y0, x1, y1 = shapely.total_bounds(geoms[ok])
        k = math.cos(math.radians((y0 + y1) / 2))
        span_x, span_y = max((x1 - x0) * k, 1e-6), max(y1 - y0, 1e-6)
        scale = min((w - legend_w - 40) / span_x, (h - top - 20) / span_y)
        w = int(span_x * scale) + legend_w + 60      # no blank band beside the map
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    if ok.any():

        def to_px(xy: np.ndarray) -> list[tuple[float, float]]:
            return [(20 + (x - x0) * k * scale, top + (y1 - y) * scale) for x, y in xy]

        classes = v[S.GAP_CLASS].astype(str).to_numpy()
        order = {str(g): i for i, g in enumerate(reversed(S.GAP_ORDER))}   # gaps drawn last
        for i in sorted(np.flatnonzero(ok), key=lambda i: order.get(classes[i], 0)):
            colour = S.GAP_COLOURS.get(S.GapClass(classes[i]) if classes[i] in order else
                                       S.GapClass.UNKNOWN, "#999999")
            _draw_geom(draw, geoms[i], to_px, colour)
    if title:
        draw.text((20, 15), title, fill="black", font=_font(26))
    lx, ly = w - legend_w, top + 10
    for g in S.GAP_ORDER:
        draw.rectangle([lx, ly, lx + 30, ly + 30], fill=S.GAP_COLOURS[g], outline="black")
        draw.text((lx + 42, ly), labels.get(str(g), str(g)), fill="black", font=font)
        ly += 46
    return _png(img)


def _draw_geom(draw, geom, to_px: Callable, colour: str) -> None:
    kind = geom.geom_type
    if kind in ("Polygon", "MultiPolygon"):
        for part in getattr(geom, "geoms", [geom]):
            pts = to_px(np.asarray(part.exterior.coords))
            draw.polygon(pts, fill=colour, outline="#333333")
    elif kind in ("Point", "MultiPoint"):
        for part in getattr(geom, "geoms", [geom]):
            (x, y), = to_px(np.asarray(part.coords))
            draw.ellipse([x - 5, y - 5, x + 5, y + 5], fill=colour, outline="#333333")
    elif kind in ("LineString", "MultiLineString"):
        for part in getattr(geom, "geoms", [geom]):
            draw.line(to_px(np.asarray(part.coords)), fill=colour, width=2)
    else:
        for part in getattr(geom, "geoms", []):
            _draw_geom(draw, part, to_px, colour)


def burndown_png(bd: pd.DataFrame, series: Sequence[str], names: dict[str, str], *,
                 size: tuple[int, int] = (1400, 800)) -> bytes:
    """Remaining villages per series (solid, dots at snapshots) and the plan (dashed)."""
    from PIL import Image, ImageDraw

    w, h = size
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font, small = _font(22), _font(18)
    rows = bd[bd["series"].isin(series)]
    left, right, top, bottom = 110, 40, 30, 150
    if rows.empty:
        return _png(img)
    days = [d.toordinal() for d in rows["date"]]
    dmin, dmax = min(days), max(days)
    if dmax == dmin:
        dmax = dmin + 1
    vals = pd.concat([rows["remaining"], rows["target"]]).dropna()
    ymax = max(float(vals.max()) if len(vals) else 1.0, 1.0) * 1.1

    def px(day: _dt.date, y: float) -> tuple[float, float]:
        return (left + (day.toordinal() - dmin) / (dmax - dmin) * (w - left - right),
                top + (1 - y / ymax) * (h - top - bottom))

    draw.line([(left, top), (left, h - bottom), (w - right, h - bottom)], fill="black", width=2)
    for k in range(6):
        y = ymax * k / 5
        _, yy = px(_dt.date.fromordinal(dmin), y)
        draw.line([(left - 6, yy), (w - right, yy)], fill="#dddddd")
        draw.text((10, yy - 11), f"{y:,.0f}", fill="black", font=small)
    last_x = -1e9
    for d in sorted(set(rows["date"])):
        x, _ = px(d, 0)
        if x - last_x < 130:      # labels would overlap
            continue
        last_x = x
        draw.line([(x, h - bottom), (x, h - bottom + 6)], fill="black", width=2)
        draw.text((min(x - 50, w - 130), h - bottom + 8), d.isoformat(), fill="black",
                  font=small)
    for i, s in enumerate(series):
        colour = _LINE_COLOURS[i % len(_LINE_COLOURS)]
        mine = rows[rows["series"] == s].sort_values("date")
        got = mine.dropna(subset=["remaining"])
        pts = [px(d, r) for d, r in zip(got["date"], got["remaining"])]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=4)
        for x, y in pts:
            draw.ellipse([x - 6, y - 6, x + 6, y + 6], fill=colour)
        plan = mine.dropna(subset=["target"])
        ppts = [px(d, r) for d, r in zip(plan["date"], plan["target"])]
        for a, b in zip(ppts, ppts[1:]):
            _dashed(draw, a, b, colour)
        ly = h - bottom + 45 + 32 * i
        draw.line([(left, ly + 11), (left + 40, ly + 11)], fill=colour, width=4)
        draw.text((left + 50, ly), names.get(s, s), fill="black", font=font)
    return _png(img)


def _dashed(draw, a, b, colour, dash: float = 12.0) -> None:
    (x0, y0), (x1, y1) = a, b
    n = max(int(math.hypot(x1 - x0, y1 - y0) / dash), 1)
    for k in range(0, n, 2):
        t0, t1 = k / n, min((k + 1) / n, 1.0)
        draw.line([(x0 + (x1 - x0) * t0, y0 + (y1 - y0) * t0),
                   (x0 + (x1 - x0) * t1, y0 + (y1 - y0) * t1)], fill=colour, width=3)
