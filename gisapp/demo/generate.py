"""Generating the demo province from one seed, and the cached copy the app and tests reuse."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np

from gisapp import __version__
from gisapp.config import (
    ComplaintLayer,
    CoverageLayer,
    ElectricityLayers,
    LineLayer,
    MeasurementLayer,
    PointLayer,
    RasterLayer,
    RunConfig,
    RunOptions,
    SignalRaster,
    TowerLayer,
    VillagesLayer,
    load_config,
    save_config,
)
from gisapp.demo.drive import complaints, drive_tests
from gisapp.demo.electricity import electricity_list, night_lights, no_power
from gisapp.demo.folder import _readme, _write_tif, _write_vector, _write_xlsx
from gisapp.demo.grid import (
    COVERAGE_DATE, LIST_DATE, PROVINCE_NAME, SOURCE, VN2000_UTM, WGS84, WORK_CRS, _dem_transform,
)
from gisapp.demo.lines import make_lines
from gisapp.demo.people import population_raster, wgs_box
from gisapp.demo.places import facilities, make_places
from gisapp.demo.terrain import make_terrain
from gisapp.demo.towers import make_towers, write_coverage

log = logging.getLogger("gisapp.demo")

Progress = Callable[[float, str], None]

_MARKER = ".demo-complete"


def generate_demo(out_dir: str | Path, *, seed: int = 2025, n_villages: int = 1500,
                  n_communes: int = 15, progress: Progress | None = None) -> Path:
    """Write the synthetic demo province into ``out_dir`` and return its ``config.toml``.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing; files of an earlier demo are replaced).
    seed
        Seed of the ``numpy.random.Generator``: the same seed gives the same data.
    n_villages
        Number of villages, 50–4,000.
    n_communes
        Number of communes tiling the province, 2–60.
    progress
        Optional ``progress(fraction, message)`` callback.

    Returns
    -------
    Path
        The ``config.toml`` beside the data; :func:`gisapp.config.load_config` reads it.
        Paths inside are relative, so the folder can be moved.

    Raises
    ------
    ValueError
        ``n_villages`` or ``n_communes`` out of range.
    """
    if not 50 <= n_villages <= 4000:
        raise ValueError(f"n_villages must be between 50 and 4000, not {n_villages}")
    if not 2 <= n_communes <= 60:
        raise ValueError(f"n_communes must be between 2 and 60, not {n_communes}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    def step(frac: float, msg: str) -> None:
        log.info("demo: %s", msg)
        if progress is not None:
            progress(frac, msg)

    step(0.0, "terrain and valleys")
    land = make_terrain(rng)
    _write_tif(out / "dem.tif", land.dem, _dem_transform(), WORK_CRS, nodata=None,
               description="elevation_m")

    step(0.15, "roads, grid and fibre")
    lines = make_lines(rng, land)

    step(0.25, "communes and villages")
    places = make_places(rng, land, lines, n_villages=n_villages, n_communes=n_communes)
    villages = places.villages

    step(0.4, "population and night lights")
    box = wgs_box()
    popr, pop_t = population_raster(places, box)
    _write_tif(out / "population.tif", popr, pop_t, WGS84, nodata=None,
               description="people per pixel")
    # electricity: who has power (decided before the lights, which follow it)
    dark = no_power(rng, places, lines.grid)
    lights, lights_t = night_lights(rng, places, dark, lines, box)
    _write_tif(out / "lights.tif", lights, lights_t, WGS84, nodata=None,
               description="radiance nW/cm2/sr")

    step(0.5, "towers and coverage")
    towers = make_towers(rng, land, lines, n_villages)
    coverage_files = write_coverage(out, land, towers)

    step(0.8, "writing layers")
    _write_vector(villages.to_crs(VN2000_UTM), out / "villages.gpkg", layer="villages")
    _write_vector(places.communes.to_crs(WGS84), out / "communes.gpkg", layer="communes")
    _write_vector(lines.roads, out / "roads.gpkg", layer="roads")
    _write_vector(lines.grid.to_crs(VN2000_UTM), out / "grid.gpkg", layer="mv_lines")
    _write_vector(lines.fibre, out / "fibre.geojson")

    tlon, tlat = box.to_wgs.transform(towers.x.to_numpy(), towers.y.to_numpy())
    towers_out = towers.drop(columns=["x", "y"]).assign(lon=np.round(tlon, 6),
                                                        lat=np.round(tlat, 6), source=SOURCE)
    towers_out.to_csv(out / "towers.csv", index=False, encoding="utf-8", lineterminator="\n")

    _write_vector(facilities(villages, places.pts), out / "facilities.gpkg", layer="facilities")
    _write_xlsx(electricity_list(villages, dark, rng), out / "evn_thon_chua_dien.xlsx")
    # drive tests and complaints (issue 14) draw on their own generators: the rest is unchanged
    declared = dict(((c, t), p) for c, t, p in coverage_files)[("Viettel", "4G")]
    drive_tests(seed, villages, gpd.read_file(declared)).to_csv(
        out / "drive_tests_viettel.csv", index=False, encoding="utf-8", lineterminator="\n")
    complaints(seed, villages).to_csv(out / "complaints.csv", index=False, encoding="utf-8",
                                      lineterminator="\n")
    (out / "README.txt").write_text(_readme(seed, n_villages, n_communes), encoding="utf-8")

    step(0.95, "config")
    path = save_config(_config(out, coverage_files), out / "config.toml")
    step(1.0, "done")
    return path


def _config(out: Path, coverage_files: list[tuple[str, str, Path]]) -> RunConfig:
    """The demo's run configuration, every path inside ``out``."""
    return RunConfig(
        villages=VillagesLayer(path=out / "villages.gpkg", layer="villages", id="village_id",
                               name="name", commune="commune", province="province",
                               population="population"),
        options=RunOptions(name=f"{PROVINCE_NAME} — synthetic demo data, not a real place",
                           synthetic=True),
        population_raster=RasterLayer(path=out / "population.tif", date="2024-01-01"),
        coverage=tuple(CoverageLayer(path=p, carrier=c, technology=t, kind="declared",
                                     date=COVERAGE_DATE,
                                     layer="coverage" if p.suffix == ".gpkg" else None)
                       for c, t, p in coverage_files),
        signal_rasters=(SignalRaster(path=out / "signal_viettel_4g.tif", carrier="Viettel",
                                     technology="4G", kind="modelled", date=COVERAGE_DATE),),
        measurements=(MeasurementLayer(path=out / "drive_tests_viettel.csv", signal="rsrp_dbm",
                                       lon="lon", lat="lat", crs=WGS84, time="time",
                                       download="download_mbps"),),
        complaints=ComplaintLayer(path=out / "complaints.csv", lon="lon", lat="lat", crs=WGS84),
        towers=TowerLayer(path=out / "towers.csv", carrier="carrier", technology="technology",
                          height_m="height_m", lon="lon", lat="lat", crs=WGS84, mcc_mnc="mcc_mnc"),
        electricity=ElectricityLayers(
            list_path=out / "evn_thon_chua_dien.xlsx", list_sheet="Danh sach",
            list_name="thon_ban", list_commune="xa", list_status="co_dien", list_date=LIST_DATE,
            grid=LineLayer(path=out / "grid.gpkg", layer="mv_lines"),
            lights=RasterLayer(path=out / "lights.tif", date="2024-12-01"),
        ),
        fibre=LineLayer(path=out / "fibre.geojson"),
        facilities=PointLayer(path=out / "facilities.gpkg", layer="facilities", type="type"),
        dem=RasterLayer(path=out / "dem.tif"),
    )



def demo_cache_dir(seed: int = 2025) -> Path:
    """``$XDG_CACHE_HOME/gisapp/demo-<version>-<seed>`` (default ``~/.cache/...``)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "gisapp" / f"demo-{__version__}-{seed}"


def demo_config(out_dir: str | Path | None = None, *, seed: int = 2025,
                n_villages: int = 1500, progress: Progress | None = None) -> RunConfig:
    """The demo's :class:`RunConfig`, generating the data only if not already there.

    Parameters
    ----------
    out_dir
        Folder of the demo; default :func:`demo_cache_dir`. Data already there (with
        its completion marker, for the same seed and size) are reused.
    seed, n_villages, progress
        As for :func:`generate_demo`.

    Returns
    -------
    RunConfig
        Loaded from the folder's ``config.toml`` (``options.synthetic`` is true).

    Notes
    -----
    Generation goes to a temporary sibling folder that is renamed into place when
    complete, so concurrent callers (tests, app sessions) never see half a demo.
    """
    target = Path(out_dir) if out_dir is not None else demo_cache_dir(seed)
    stamp = f"{__version__} seed={seed} villages={n_villages}\n"
    marker = target / _MARKER
    if marker.is_file() and marker.read_text(encoding="utf-8") == stamp \
            and (target / "config.toml").is_file():
        return load_config(target / "config.toml")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        generate_demo(tmp, seed=seed, n_villages=n_villages, progress=progress)
        (tmp / _MARKER).write_text(stamp, encoding="utf-8")
        if target.exists():
            if not any(target.iterdir()) or (target / _MARKER).is_file():
                shutil.rmtree(target, ignore_errors=True)
            else:
                # a folder the user gave us with other content: write into it
                for p in tmp.iterdir():
                    os.replace(p, target / p.name)
        if not target.exists():
            try:
                os.replace(tmp, target)
            except OSError:
                log.info("demo: another process finished %s first; using it", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return load_config(target / "config.toml")
