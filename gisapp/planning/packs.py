"""What ``gisapp plan`` writes: costs, sites, and one carrier pack per carrier.

A carrier pack is that carrier's priority list: the signal-gap villages assigned to it
(:func:`gisapp.planning.plan`), by priority rank, in Excel, GeoJSON, KML and GeoPackage
with a manifest. :func:`carrier_pack_bytes` builds it; :func:`write_carrier_packs`
(the CLI) and the app both call it, so the same settings give the same file.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gisapp import schema as S
from gisapp.analysis import costs as C
from gisapp.io import export
from gisapp.names import slug
from gisapp.pipeline import Result
from gisapp.planning.disputes import DISPUTE_FILES, carrier_disputes, dispute_summary
from gisapp.planning.plan import CARRIER, POP_UNSERVED, SIGNAL_GAP, SITE_RANK, Plan

__all__ = ["PACK_FILES", "carrier_pack_bytes", "pack_carrier", "pack_file_name",
           "write_carrier_packs", "write_plan"]

#: files in every carrier pack (``<slug>`` replaced by the carrier's slug)
PACK_FILES = ("<slug>_villages.xlsx", "<slug>_villages.geojson", "<slug>_villages.kml",
              "<slug>.gpkg", *DISPUTE_FILES, "columns.csv", "manifest.json")
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)        # fixed entry times: identical packs, identical bytes


def _title(result: Result) -> str:
    """The run's name, labelled when its data are synthetic."""
    title = result.config.options.name
    if result.config.options.synthetic and "synthetic" not in title.lower():
        title += " (synthetic data)"
    return title


def _commune_summary(villages: pd.DataFrame) -> pd.DataFrame:
    """Per commune: villages, people, unserved people, cost (USD), new sites serving them."""
    cols = ["commune", "villages", "pop", POP_UNSERVED, "cost_usd", "cost_signal_usd",
            "cost_power_usd", "villages_with_new_site"]
    if len(villages) == 0:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame({
        "commune": villages[S.COMMUNE].astype(object).where(villages[S.COMMUNE].notna(), "(none)"),
        "villages": 1,
        "pop": pd.to_numeric(villages[S.POP], errors="coerce"),
        POP_UNSERVED: villages[POP_UNSERVED],
        "cost_usd": villages[C.COST_USD],
        "cost_signal_usd": villages[C.SIGNAL_COST_USD],
        "cost_power_usd": villages[C.POWER_COST_USD],
        "villages_with_new_site": villages[SITE_RANK].notna().astype(int),
    })
    out = df.groupby("commune", sort=True).sum(min_count=1).reset_index()
    total = df.drop(columns="commune").sum(min_count=1).to_frame().T
    total.insert(0, "commune", "(all)")
    return pd.concat([out, total], ignore_index=True)[cols]


def _gap_rows(p: Plan) -> gpd.GeoDataFrame:
    """Villages with a gap to close (anything but served), by priority rank."""
    v = p.villages
    rows = v[v[S.GAP_CLASS].astype(str) != S.GapClass.SERVED.value]
    if S.PRIORITY_RANK in rows.columns:
        rows = rows.sort_values(S.PRIORITY_RANK, na_position="last", kind="stable")
    return rows



def pack_carrier(p: Plan, carrier: str) -> tuple[str, str]:
    """``(slug, display name)`` of a carrier of the plan, given either (or any spelling
    whose slug matches); a carrier without villages in the plan keeps its own name."""
    for cslug, name in p.carriers.items():
        if carrier in (cslug, name) or slug(carrier) == slug(name):
            return cslug, name
    return slug(carrier), carrier


def pack_file_name(p: Plan, carrier: str) -> str:
    """File name of the carrier's pack, as ``gisapp plan`` writes it (``<slug>.zip``)."""
    cslug, name = pack_carrier(p, carrier)
    return f"{slug(name) or cslug}.zip"


def carrier_pack_bytes(p: Plan, result: Result, carrier: str, *, lang: str = "vi") -> bytes:
    """The carrier's priority list as one zip (bytes): the signal-gap villages of ``p``
    assigned to ``carrier``, by priority rank.

    The zip holds (:data:`PACK_FILES`): ``<slug>_villages.xlsx`` (Summary per commune,
    Ranked, one sheet per commune), ``<slug>_villages.geojson`` (RFC 7946),
    ``<slug>_villages.kml`` (one folder per commune), ``<slug>.gpkg`` (layers
    ``villages`` and ``proposed_sites``: the chosen new sites credited to the carrier)
    the dispute list ``<slug>_disputes.xlsx`` / ``.csv`` (its villages where declared
    coverage and sufficient measurements disagree, with the evidence:
    :func:`gisapp.planning.disputes.carrier_disputes`) and ``manifest.json`` (the run's
    manifest, the plan's totals, the carrier, its village ids, its disputed village ids
    and the SHA-256 of the other files), with fixed entry times.

    Parameters
    ----------
    p
        From :func:`gisapp.planning.plan`.
    result
        The result planned (for its title and synthetic label).
    carrier
        The carrier's display name or slug (see :func:`pack_carrier`).
    lang
        Language of the Excel headers and the KML (``"vi"`` / ``"en"``); the column
        dictionary ``columns.csv`` has both.
    """
    cslug, name = pack_carrier(p, carrier)
    v = p.villages
    gap = v[SIGNAL_GAP].to_numpy(bool)
    mine = v[gap & (v[CARRIER].astype(str) == name).to_numpy()]
    if S.PRIORITY_RANK in mine.columns:
        mine = mine.sort_values(S.PRIORITY_RANK, na_position="last", kind="stable")
    sites = p.sites[p.sites[CARRIER].astype(str) == name]
    disputed = carrier_disputes(result.villages, name)
    stem = slug(name) or cslug
    title = _title(result)
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix=f"gisapp-pack-{stem}-") as tmp:
        d = Path(tmp)
        files = {
            "xlsx": export.write_xlsx(mine, _commune_summary(mine), d / f"{stem}_villages.xlsx",
                                      title=f"{title} — villages for {name}", lang=lang),
            "geojson": export.write_geojson(mine, d / f"{stem}_villages.geojson"),
            "kml": export.write_kml(mine, d / f"{stem}_villages.kml", folder_col=S.COMMUNE,
                                    document_name=f"{name}: villages without signal", lang=lang),
            "gpkg": _write_pack_gpkg(mine, sites, d / f"{stem}.gpkg"),
            "disputes_xlsx": export.write_xlsx(
                disputed, dispute_summary(disputed, name), d / f"{stem}_disputes.xlsx",
                title=f"{title} — declared vs measured coverage, {name}", lang=lang),
            "disputes_csv": export.write_csv(disputed, d / f"{stem}_disputes.csv"),
            "columns": export.write_dictionary({"villages": mine.columns, "sites": sites.columns,
                                                "disputes": disputed.columns},
                                               d / export.DICTIONARY_FILE),
        }
        manifest = dict(p.manifest)
        manifest["carrier"] = name
        manifest["carrier_villages"] = [str(x) for x in mine[S.ID]]
        manifest["carrier_sites"] = int(len(sites))
        manifest["carrier_disputed_villages"] = [str(x) for x in disputed[S.ID]]
        manifest["column_dictionary"] = export.DICTIONARY_FILE
        manifest["outputs"] = {f.name: export.file_sha256(f) for f in files.values()}
        files["manifest"] = export.write_manifest(manifest, d / "manifest.json")
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for f in files.values():
                info = zipfile.ZipInfo(f.name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, f.read_bytes())
    return buf.getvalue()


def write_carrier_packs(p: Plan, result: Result, out_dir: str | Path, *,
                        lang: str = "vi") -> dict[str, Path]:
    """One zip per carrier of the plan (:func:`carrier_pack_bytes`), written atomically
    as ``<carrier slug>.zip`` in ``out_dir`` (created).

    Returns
    -------
    dict
        Carrier display name → zip path. Every signal-gap village is in exactly one
        pack; villages of a run without towers go to the ``unassigned`` pack.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for _, name in sorted(p.carriers.items()):
        target = out / pack_file_name(p, name)
        data = carrier_pack_bytes(p, result, name, lang=lang)
        with export.atomic_path(target) as ztmp:
            Path(ztmp).write_bytes(data)
        paths[name] = target
    return paths


def _write_pack_gpkg(villages: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, path: Path) -> Path:
    import pyogrio

    export.write_gpkg(villages, path, layer="villages")
    frame = sites.copy()
    if len(frame) == 0:
        frame = gpd.GeoDataFrame({c: pd.Series([], dtype="float64" if c in ("pop_served", "cost_usd")
                                               else object) for c in ("site_rank", "villages_served",
                                                                      "pop_served", "cost_usd")},
                                 geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    for c in frame.columns:
        if c != frame.geometry.name and frame[c].dtype == object:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None).map(
                lambda x: x if x is None else str(x))
    pyogrio.write_dataframe(frame, path, layer="proposed_sites", driver="GPKG",
                            geometry_type="Point")
    return path



def write_plan(p: Plan, result: Result, out_dir: str | Path, *,
               lang: str = "vi") -> dict[str, Path]:
    """Write every output of ``gisapp plan``.

    ``costs.csv`` / ``costs.xlsx`` (villages with a gap, by priority rank, with their
    cheapest option and cost; the workbook has a summary per commune and one sheet per
    commune), ``sites.gpkg`` / ``sites.geojson`` / ``sites.csv`` (chosen new sites),
    one ``<carrier>.zip`` per carrier (:func:`write_carrier_packs`) and
    ``columns.csv`` (the column dictionary of costs and sites, both languages) and
    ``manifest.json`` (the run's manifest, the plan settings and totals, SHA-256 of
    every file written). Excel headers and KML in ``lang``.

    Returns
    -------
    dict
        Output name (``costs_csv``, ``costs_xlsx``, ``sites_gpkg``, ``sites_geojson``,
        ``sites_csv``, ``pack:<carrier>``, ``manifest``) → path.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = _gap_rows(p)
    title = _title(result)
    paths: dict[str, Path] = {
        "costs_csv": export.write_csv(rows, out / "costs.csv"),
        "costs_xlsx": export.write_xlsx(rows, _commune_summary(rows), out / "costs.xlsx",
                                        title=f"{title} — cost of closing each gap (USD)",
                                        lang=lang),
        "sites_gpkg": _write_sites_gpkg(p.sites, out / "sites.gpkg"),
        "sites_geojson": export.write_geojson(p.sites, out / "sites.geojson"),
        "sites_csv": export.write_csv(p.sites, out / "sites.csv"),
    }
    paths["columns"] = export.write_dictionary({"costs": rows.columns, "sites": p.sites.columns},
                                               out / export.DICTIONARY_FILE)
    for name, path in write_carrier_packs(p, result, out, lang=lang).items():
        paths[f"pack:{name}"] = path
    manifest = dict(p.manifest)
    manifest["column_dictionary"] = export.DICTIONARY_FILE
    manifest["outputs"] = {Path(f).name: export.file_sha256(f) for f in paths.values()}
    paths["manifest"] = export.write_manifest(manifest, out / "manifest.json")
    return paths


def _write_sites_gpkg(sites: gpd.GeoDataFrame, path: Path) -> Path:
    with export.atomic_path(path) as tmp:
        _write_pack_gpkg_sites_only(sites, tmp)
    return path


def _write_pack_gpkg_sites_only(sites: gpd.GeoDataFrame, path: Path) -> None:
    import pyogrio

    frame = sites.copy()
    for c in frame.columns:
        if c != frame.geometry.name and frame[c].dtype == object:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None).map(
                lambda x: x if x is None else str(x))
    pyogrio.write_dataframe(frame, path, layer="sites", driver="GPKG", geometry_type="Point")

