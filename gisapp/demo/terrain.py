"""The demo's land: province outline, main river and tributary valleys, elevation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops

from gisapp.demo.grid import _H, _RES, _W, _X0, _Y0, _dem_transform, _distance_m, _pixel_centres


@dataclass(frozen=True)
class Terrain:
    """What the later steps need of the land (all in the work CRS, DEM grid)."""

    province: shapely.Polygon
    main_river: shapely.LineString
    town: shapely.Point
    tribs: list
    d_valley: np.ndarray        # metres to the nearest river or tributary
    dem: np.ndarray             # float32 elevation, m
    X: np.ndarray               # pixel centres
    Y: np.ndarray


def _fractal_noise(rng: np.random.Generator, shape: tuple[int, int], beta: float) -> np.ndarray:
    """Noise with a 1/f^beta power spectrum, scaled to [0, 1]."""
    white = rng.standard_normal(shape)
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0
    spec = np.fft.rfft2(white) / f ** (beta / 2.0)
    spec[0, 0] = 0.0
    out = np.fft.irfft2(spec, s=shape)
    return (out - out.min()) / (out.max() - out.min())


def _meander(rng: np.random.Generator, start: np.ndarray, heading: float, length_m: float,
             *, step: float = 400.0, wiggle: float = 0.12) -> shapely.LineString:
    n = max(int(length_m / step), 2)
    turns = rng.normal(0.0, wiggle, n)
    turns -= turns.mean() * 0.5          # keep the general heading
    h = heading + np.cumsum(turns)
    xy = start + np.cumsum(np.c_[np.cos(h), np.sin(h)] * step, axis=0)
    return shapely.LineString(np.vstack([start, xy]))


def _outline(rng: np.random.Generator, cx: float, cy: float) -> shapely.Polygon:
    """Province outline: a wobbly ellipse inside the DEM box."""
    theta = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    ph = rng.uniform(0, 2 * np.pi, 3)
    wob = 1 + 0.10 * np.sin(2 * theta + ph[0]) + 0.07 * np.sin(3 * theta + ph[1]) \
        + 0.04 * np.sin(5 * theta + ph[2])
    wob = wob / wob.max()
    return shapely.Polygon(np.c_[cx + 28_500 * wob * np.cos(theta),
                                 cy + 33_500 * wob * np.sin(theta)])


def _valleys(rng: np.random.Generator, province: shapely.Polygon, cx: float,
             cy: float) -> tuple[shapely.LineString, list]:
    """A main river across the province and tributaries from it."""
    main_heading = rng.uniform(-0.9, -0.5)                 # towards ESE, in radians
    start = np.array([cx, cy]) - 36_000 * np.array([np.cos(main_heading), np.sin(main_heading)])
    main_river = _meander(rng, start, main_heading, 76_000, wiggle=0.08)
    main_river = shapely.intersection(main_river, province.buffer(2000))
    if main_river.geom_type != "LineString":   # keep the longest piece
        main_river = max(main_river.geoms, key=lambda g: g.length)
    n_trib = 10
    tribs = []
    for i, t in enumerate(np.linspace(0.08, 0.92, n_trib) + rng.uniform(-0.03, 0.03, n_trib)):
        p = shapely.ops.substring(main_river, t, t, normalized=True)
        q = shapely.ops.substring(main_river, min(t + 0.01, 1), min(t + 0.01, 1), normalized=True)
        along = np.arctan2(q.y - p.y, q.x - p.x)
        side = 1 if i % 2 == 0 else -1
        heading = along + side * rng.uniform(0.9, 1.6)
        line = _meander(rng, np.array([p.x, p.y]), heading, rng.uniform(9_000, 24_000))
        line = shapely.intersection(line, province)
        if line.geom_type != "LineString":
            parts = [g for g in getattr(line, "geoms", []) if g.geom_type == "LineString"]
            if not parts:
                continue
            line = max(parts, key=lambda g: g.length)
        if line.is_empty or line.length < 2_000:
            continue
        tribs.append(line)
    return main_river, tribs


def make_terrain(rng: np.random.Generator) -> Terrain:
    """Fractal relief with a few broad massifs, valleys carved in, rescaled to 200–2,400 m."""
    dem_t = _dem_transform()
    shape = (_H, _W)
    X, Y = _pixel_centres(dem_t, shape)
    cx, cy = _X0 + _W * _RES / 2, _Y0 - _H * _RES / 2
    province = _outline(rng, cx, cy)
    main_river, tribs = _valleys(rng, province, cx, cy)
    town = shapely.ops.substring(main_river, 0.5, 0.5, normalized=True)

    d_main = _distance_m([main_river], dem_t, shape)
    d_trib = _distance_m(tribs, dem_t, shape)
    d_valley = np.minimum(d_main, d_trib)
    relief = 0.65 * _fractal_noise(rng, shape, 2.4) + 0.35 * _fractal_noise(rng, shape, 3.2)
    ridged = 1 - np.abs(2 * _fractal_noise(rng, shape, 2.0) - 1)
    massif = np.zeros(shape)
    for mx, my, s in zip(rng.uniform(_X0, _X0 + _W * _RES, 6), rng.uniform(_Y0 - _H * _RES, _Y0, 6),
                         rng.uniform(6_000, 14_000, 6)):
        massif += np.exp(-((X - mx) ** 2 + (Y - my) ** 2) / (2 * s * s))
    h = 0.5 * relief + 0.2 * ridged + 0.3 * massif / massif.max()
    carve = (0.12 + 0.88 * (1 - np.exp(-((d_main / 3_000) ** 2)))) \
        * (0.35 + 0.65 * (1 - np.exp(-((d_trib / 1_400) ** 2))))
    h = h * carve
    dem = (200 + 2200 * (h - h.min()) / (h.max() - h.min())).astype(np.float32)
    return Terrain(province, main_river, town, tribs, d_valley, dem, X, Y)
