"""OpenCelliD cell lists read directly: cells, grouped into sites, carriers named.

OpenCelliD (opencellid.org, CC BY-SA 4.0) publishes one row per *cell* with the columns
``radio, mcc, net, area, cell, unit, lon, lat, range, samples, changeable, created,
updated, averageSignal``; the full and per-country downloads have no header line, other
copies have one (sometimes with other spellings: ``MNC``, ``LAC``/``TAC``, ``CID``,
``SAM`` …, and extra columns, which are kept).

* :func:`read_opencellid` — the cells, with ``mcc_mnc`` (``"452-04"``), ``carrier``
  (the operator's name from :data:`gisapp.carriers.MCC_MNC`, e.g. 452-04 Viettel,
  452-02 VinaPhone (VNPT), 452-01 MobiFone, 452-05 Vietnamobile; an operator not in that
  table keeps its MCC-MNC code as its name and ``carrier_is_code`` is True) and
  ``technology`` (2G/3G/4G/5G from ``radio``).
* :func:`assign_sites` / :func:`group_sites` — cells of one operator within
  ``tolerance_m`` of each other (chained) are one site: OpenCelliD positions are
  estimates from crowd-sourced samples, so the cells of one mast scatter by tens of metres.
* :func:`site_technologies` — one row per site × technology, the input of the
  propagation models.

OpenCelliD's ``range`` is an estimate from where the cell was heard, not a coverage radius,
and is unreliable; it is dropped unless ``use_range=True`` (then kept as ``range_m``).
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gisapp.carriers import MCC_MNC, carrier_from_code, mcc_mnc_code, normalise_technology
from gisapp.errors import InputError, MissingColumnError, UnreadableFileError

__all__ = ["OPENCELLID_COLUMNS", "read_opencellid", "assign_sites", "group_sites",
           "site_technologies"]

log = logging.getLogger(__name__)

#: OpenCelliD's columns, in the order of its header-less downloads
OPENCELLID_COLUMNS = ("radio", "mcc", "net", "area", "cell", "unit", "lon", "lat", "range",
                      "samples", "changeable", "created", "updated", "averageSignal")
#: other spellings met in copies of OpenCelliD data (lower-cased) → OpenCelliD's name
_ALIASES = {
    "mnc": "net", "lac": "area", "tac": "area", "cid": "cell", "ci": "cell",
    "long": "lon", "lng": "lon", "longitude": "lon", "latitude": "lat", "sam": "samples",
    "averagesignal": "averageSignal", "average_signal": "averageSignal",
    **{c.lower(): c for c in OPENCELLID_COLUMNS},
}
_REQUIRED = ("radio", "mcc", "net", "lon", "lat")
_EARTH_M_PER_DEG = 111_195.0


def _has_header(path: Path) -> bool:
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        first = next(csv.reader(f), [])
    names = {c.strip().lower() for c in first}
    return len(names & {"radio", "mcc", "lon", "lat", "long", "latitude"}) >= 2


def _read_table(path: Path) -> pd.DataFrame:
    try:
        if _has_header(path):
            raw = pd.read_csv(path, encoding="utf-8-sig", low_memory=False)
            return raw.rename(columns=lambda c: _ALIASES.get(str(c).strip().lower(), c))
        raw = pd.read_csv(path, header=None, low_memory=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise UnreadableFileError(f"cannot read it as an OpenCelliD CSV ({e}); export it "
                                  "again as comma-separated text", path=path,
                                  layer="towers", key="ocid_unreadable") from e
    if raw.shape[1] < len(_REQUIRED) + 3:
        raise InputError(f"it has no header and {raw.shape[1]} columns; an OpenCelliD file "
                         f"without a header has the {len(OPENCELLID_COLUMNS)} columns "
                         + ", ".join(OPENCELLID_COLUMNS), path=path, layer="towers",
                         key="ocid_no_header",
                         params=dict(n=raw.shape[1], expected=len(OPENCELLID_COLUMNS)))
    names = list(OPENCELLID_COLUMNS[:raw.shape[1]])
    names += [f"extra_{i}" for i in range(len(names), raw.shape[1])]
    raw.columns = names
    return raw


def read_opencellid(path: str | Path, *, use_range: bool = False) -> pd.DataFrame:
    """The cells of an OpenCelliD CSV (with or without header), carriers and technologies named.

    Rows whose coordinates are missing or outside ±180/±90 are dropped (counted in the log
    and in ``attrs["dropped_rows"]``). ``lon``/``lat`` are WGS 84 degrees.

    Raises
    ------
    UnreadableFileError
        The file cannot be read as CSV.
    MissingColumnError
        One of ``radio, mcc, net, lon, lat`` (or a known spelling of it) is missing.
    """
    path = Path(path)
    if not path.is_file():
        raise UnreadableFileError("the file does not exist; check the path in [towers]",
                                  path=path, layer="towers", key="file_missing")
    cells = _read_table(path)
    missing = [c for c in _REQUIRED if c not in cells.columns]
    if missing:
        raise MissingColumnError(
            f"the OpenCelliD columns {', '.join(missing)} are missing (found: "
            f"{', '.join(map(str, cells.columns[:20]))}); the file needs at least "
            f"{', '.join(_REQUIRED)}", path=path, layer="towers",
            key="ocid_columns",
            params=dict(missing=missing, found=list(map(str, cells.columns[:20]))))
    for col in ("mcc", "net", "area", "cell", "unit", "lon", "lat", "range", "samples",
                "averageSignal"):
        if col in cells:
            cells[col] = pd.to_numeric(cells[col], errors="coerce")
    ok = cells["lon"].between(-180, 180) & cells["lat"].between(-90, 90)
    ok &= cells["mcc"].notna() & cells["net"].notna()
    dropped = int((~ok).sum())
    if dropped:
        log.warning("%s: %d OpenCelliD rows without usable coordinates or MCC/MNC dropped",
                    path, dropped)
    cells = cells[ok].reset_index(drop=True)
    cells["mcc_mnc"] = [mcc_mnc_code(a, b) for a, b in zip(cells["mcc"], cells["net"])]
    cells["carrier"] = cells["mcc_mnc"].map(carrier_from_code)
    cells["carrier_is_code"] = ~cells["mcc_mnc"].isin(list(MCC_MNC))
    cells["technology"] = normalise_technology(cells["radio"])
    for col in ("created", "updated"):
        if col in cells:
            cells[col] = pd.to_datetime(pd.to_numeric(cells[col], errors="coerce"),
                                        unit="s", utc=True)
    if "range" in cells:
        if use_range:
            cells = cells.rename(columns={"range": "range_m"})
        else:
            cells = cells.drop(columns="range")
    cells.attrs["dropped_rows"] = dropped
    cells.attrs["source"] = str(path)
    return cells


def _components(xy: np.ndarray, tolerance_m: float) -> np.ndarray:
    """Labels of the groups of points chained within ``tolerance_m``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    pairs = cKDTree(xy).query_pairs(tolerance_m, output_type="ndarray")
    n = len(xy)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def assign_sites(cells: pd.DataFrame, tolerance_m: float = 100.0) -> pd.DataFrame:
    """A copy of the cells with ``site_id``: one operator's cells within ``tolerance_m``.

    Sites are numbered per operator from west to east (stable for the same input):
    ``"<mcc_mnc>-00001"`` …
    """
    out = cells.copy()
    out["site_id"] = ""
    for code, grp in out.groupby("mcc_mnc", sort=True):
        lat0 = np.deg2rad(grp["lat"].mean())
        xy = np.column_stack([grp["lon"] * np.cos(lat0), grp["lat"]]) * _EARTH_M_PER_DEG
        labels = _components(xy, tolerance_m) if len(grp) > 1 else np.zeros(1, int)
        west = pd.Series(grp["lon"].to_numpy()).groupby(labels).min()
        rank = {lab: i + 1 for i, lab in enumerate(west.sort_values(kind="stable").index)}
        out.loc[grp.index, "site_id"] = [f"{code}-{rank[lab]:05d}" for lab in labels]
    return out


def group_sites(cells: pd.DataFrame, tolerance_m: float = 100.0) -> gpd.GeoDataFrame:
    """One row per site: operator, technologies, cell count, mean position (EPSG:4326).

    ``height_m`` is NaN: OpenCelliD does not record antenna heights, so the models use
    their default mast height.
    """
    if "site_id" not in cells:
        cells = assign_sites(cells, tolerance_m)
    order = {"2G": 0, "3G": 1, "4G": 2, "5G": 3}
    agg = cells.groupby("site_id", sort=True).agg(
        carrier=("carrier", "first"), mcc_mnc=("mcc_mnc", "first"),
        carrier_is_code=("carrier_is_code", "first"),
        technologies=("technology", lambda t: ";".join(sorted(set(t), key=lambda v: (order.get(v, 9), v)))),
        n_cells=("technology", "size"), lon=("lon", "mean"), lat=("lat", "mean"),
    ).reset_index()
    agg["height_m"] = np.nan
    return gpd.GeoDataFrame(agg, geometry=gpd.points_from_xy(agg["lon"], agg["lat"]),
                            crs="EPSG:4326")


def site_technologies(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per site × technology (columns ``carrier``, ``technology``, ``site_id`` …)."""
    rows = sites.assign(technology=sites["technologies"].str.split(";")).explode("technology")
    return gpd.GeoDataFrame(rows.drop(columns="technologies").reset_index(drop=True),
                            geometry="geometry", crs=sites.crs)
