"""Match villages across two snapshots: by id, then by name within the commune, then by shape.

Surveys rename villages ("Thôn Nà Xạ" → "Bản Nà Xạ"), renumber them, and since the 2025
reform (two-tier local government, communes merged under new codes) whole communes
have new codes and names while the villages' boundaries stay. Matching runs three
passes, each only over what the previous left unmatched:

1. **id** — equal village ids (compared as text);
2. **name** — equal normalised name (:func:`gisapp.names.name_key`: case, diacritics,
   spacing and prefixes like "Thôn", "Bản" ignored) within the same normalised commune,
   when the pair is unique on both sides;
3. **geometry** — polygons whose intersection over union (IoU, areas in the metric CRS
   of the data, :func:`gisapp.crs.metric_crs`) is at least ``iou_min``; points within
   ``point_tolerance_m`` of each other. With ``iou_min`` ≥ 0.5 and villages that do not
   overlap within a snapshot, a match is unique on both sides.

What is left is reported as unmatched on each side. All geometry work is vectorised
(STRtree queries and shapely 2 array functions).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp import schema as S
from gisapp.crs import metric_crs
from gisapp.names import name_keys

__all__ = ["Matching", "match_villages", "MATCH_METHODS", "PAIR_COLUMNS"]

log = logging.getLogger(__name__)

MATCH_METHODS = ("id", "name", "geometry")
#: columns of :attr:`Matching.pairs`
PAIR_COLUMNS = ("pos_old", "pos_new", "id_old", "id_new", "method", "iou")

@dataclass(frozen=True)
class Matching:
    """Result of :func:`match_villages`.

    Attributes
    ----------
    pairs : DataFrame
        One row per matched village: ``pos_old``, ``pos_new`` (row positions in the two
        frames), ``id_old``, ``id_new`` (as text), ``method`` (``id`` / ``name`` /
        ``geometry``), ``iou`` (intersection over union of the two shapes, NaN when
        either is a point or missing).
    unmatched_old, unmatched_new : ndarray of int
        Row positions in the old / new frame that found no partner.
    """

    pairs: pd.DataFrame
    unmatched_old: np.ndarray
    unmatched_new: np.ndarray

    def counts(self) -> dict[str, int]:
        """Matches per method and unmatched per side."""
        out = {m: int((self.pairs["method"] == m).sum()) for m in MATCH_METHODS}
        out["unmatched_old"] = len(self.unmatched_old)
        out["unmatched_new"] = len(self.unmatched_new)
        return out


def _text(values: pd.Series) -> np.ndarray:
    return np.array([None if pd.isna(v) else str(v) for v in values.astype(object)],
                    dtype=object)


def _pairs(pos_old: np.ndarray, pos_new: np.ndarray, ids_old: np.ndarray, ids_new: np.ndarray,
           method: str, iou: np.ndarray | None = None) -> pd.DataFrame:
    return pd.DataFrame({
        "pos_old": pos_old.astype("int64"), "pos_new": pos_new.astype("int64"),
        "id_old": pd.array(ids_old[pos_old], dtype="str"),
        "id_new": pd.array(ids_new[pos_new], dtype="str"),
        "method": pd.array([method] * len(pos_old), dtype="str"),
        "iou": np.full(len(pos_old), np.nan) if iou is None else iou.astype("float64"),
    })


def _unique_join(ko: pd.Series, kn: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Positions of equal keys that are unique on both sides (empty keys never match)."""
    ko = ko[(ko != "") & ko.notna()]
    kn = kn[(kn != "") & kn.notna()]
    ko = ko[~ko.duplicated(keep=False)]
    kn = kn[~kn.duplicated(keep=False)]
    m = pd.merge(pd.DataFrame({"k": ko.to_numpy(), "po": ko.index.to_numpy()}),
                 pd.DataFrame({"k": kn.to_numpy(), "pn": kn.index.to_numpy()}), on="k")
    return m["po"].to_numpy(dtype="int64"), m["pn"].to_numpy(dtype="int64")


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    inter = shapely.area(shapely.intersection(a, b))
    union = shapely.area(a) + shapely.area(b) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, np.nan)


def _fill_iou(pairs: pd.DataFrame, old: gpd.GeoDataFrame, new: gpd.GeoDataFrame,
              crs: str | None) -> None:
    """Shape agreement of the id and name pairs too (in place); NaN where either is a point."""
    need = pairs["method"] != "geometry"
    if not need.any():
        return
    sub = pairs[need]
    go = old.geometry.iloc[sub["pos_old"].to_numpy()]
    gn = new.geometry.iloc[sub["pos_new"].to_numpy()]
    nonempty = new[~(new.geometry.isna() | new.geometry.is_empty)]
    if not len(nonempty):
        return
    target = metric_crs(nonempty, override=crs)
    a = np.asarray(go.to_crs(target).values, dtype=object)
    b = np.asarray(gn.to_crs(target).values, dtype=object)
    polys = np.isin(shapely.get_type_id(a), (3, 6)) & np.isin(shapely.get_type_id(b), (3, 6))
    vals = np.full(len(sub), np.nan)
    vals[polys] = _iou(a[polys], b[polys])
    pairs.loc[need, "iou"] = vals


def match_villages(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    iou_min: float = 0.5,
    point_tolerance_m: float = 100.0,
    crs: str | None = None,
) -> Matching:
    """Pair the villages of two snapshots (id, then name in commune, then shape).

    Parameters
    ----------
    old, new
        Village tables with ``village_id``, ``name``, ``commune`` and a geometry (any
        CRS, reprojected to one metric CRS for the shape pass). Not changed.
    iou_min
        Least intersection over union for a shape match (0.5 keeps matches one to one).
    point_tolerance_m
        Points (villages without polygons) match when this close.
    crs
        Metric CRS for areas; default the UTM zone of the new villages.

    Returns
    -------
    Matching
        Pairs with the method that matched them, and the unmatched positions of each side.
    """
    if not 0.0 < iou_min <= 1.0:
        raise ValueError(f"iou_min must be in (0, 1], not {iou_min}")
    n_old, n_new = len(old), len(new)
    ids_old = _text(old[S.ID]) if S.ID in old.columns else np.full(n_old, None, dtype=object)
    ids_new = _text(new[S.ID]) if S.ID in new.columns else np.full(n_new, None, dtype=object)
    free_old = np.ones(n_old, bool)
    free_new = np.ones(n_new, bool)
    parts: list[pd.DataFrame] = []

    # 1. by id
    po, pn = _unique_join(pd.Series(ids_old), pd.Series(ids_new))
    parts.append(_pairs(po, pn, ids_old, ids_new, "id"))
    free_old[po] = False
    free_new[pn] = False

    # 2. by normalised name within the normalised commune
    if {S.NAME, S.COMMUNE} <= set(old.columns) and {S.NAME, S.COMMUNE} <= set(new.columns):
        def key(frame: gpd.GeoDataFrame, free: np.ndarray) -> pd.Series:
            # keys only for the villages the id pass left (normalising is the slow part)
            pos = np.flatnonzero(free)
            name = name_keys(frame[S.NAME].iloc[pos])
            commune = name_keys(frame[S.COMMUNE].iloc[pos])
            k = pd.Series("", index=range(len(frame)), dtype=object)
            k.iloc[pos] = np.where(name == "", "", commune + "\x1f" + name)
            return k

        po, pn = _unique_join(key(old, free_old), key(new, free_new))
        parts.append(_pairs(po, pn, ids_old, ids_new, "name"))
        free_old[po] = False
        free_new[pn] = False

    # 3. by geometry, in a metric CRS
    rest_old = np.flatnonzero(free_old)
    rest_new = np.flatnonzero(free_new)
    if len(rest_old) and len(rest_new) and old.crs is not None and new.crs is not None:
        go = old.geometry.iloc[rest_old]
        gn = new.geometry.iloc[rest_new]
        valid_n = ~(gn.isna() | gn.is_empty).to_numpy()
        valid_o = ~(go.isna() | go.is_empty).to_numpy()
        if valid_n.any() and valid_o.any():
            target = metric_crs(new[~(new.geometry.isna() | new.geometry.is_empty)],
                                override=crs)
            a = np.asarray(go.to_crs(target).values, dtype=object)
            b = np.asarray(gn.to_crs(target).values, dtype=object)
            tree = shapely.STRtree(np.where(valid_n, b, None))
            qa = np.where(valid_o, a, None)
            poly_a = np.isin(shapely.get_type_id(qa), (3, 6))
            poly_b = np.isin(shapely.get_type_id(b), (3, 6))
            cand = tree.query(np.where(poly_a, qa, None), predicate="intersects")
            i, j = cand
            keep = poly_b[j]
            i, j = i[keep], j[keep]
            iou = _iou(a[i], b[j])
            ok = iou >= iou_min
            poly = pd.DataFrame({"i": i[ok], "j": j[ok], "iou": iou[ok]})
            pt_a = ~poly_a & valid_o
            pi, pj = tree.query(np.where(pt_a, qa, None), predicate="dwithin",
                                distance=point_tolerance_m)
            keep = ~poly_b[pj]
            pts = pd.DataFrame({"i": pi[keep], "j": pj[keep],
                                "d": shapely.distance(a[pi[keep]], b[pj[keep]])})
            pts = pts.sort_values("d", kind="stable").drop_duplicates("i").drop_duplicates("j")
            both = pd.concat([poly.sort_values("iou", ascending=False, kind="stable"),
                              pts.assign(iou=np.nan)[["i", "j", "iou"]]], ignore_index=True)
            both = both.drop_duplicates("i").drop_duplicates("j")
            po = rest_old[both["i"].to_numpy(dtype="int64")]
            pn = rest_new[both["j"].to_numpy(dtype="int64")]
            parts.append(_pairs(po, pn, ids_old, ids_new, "geometry",
                                both["iou"].to_numpy(dtype="float64")))
            free_old[po] = False
            free_new[pn] = False

    pairs = pd.concat(parts, ignore_index=True)
    if len(pairs) and old.crs is not None and new.crs is not None:
        _fill_iou(pairs, old, new, crs)
    pairs = pairs.sort_values("pos_new", kind="stable", ignore_index=True)
    m = Matching(pairs, np.flatnonzero(free_old), np.flatnonzero(free_new))
    log.info("matched villages: %s", m.counts())
    return m
