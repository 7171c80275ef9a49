"""polygon_coverage against a brute-force shapely reference on awkward random inputs.

The reference is what the shares mean: the union of the (repaired) coverage polygons,
intersected with each village (area) and with each of its population pixels (the pixel's
covered fraction, weighted by the village's part of the pixel and its people). The
inputs mix what real layers hold: overlapping and duplicated polygons, holes,
multipolygon rows, invalid rings, slivers, polygons with thousands of vertices (cut into
pieces internally), villages over the cut lines, points, null and empty geometries.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine

from gisapp.analysis.coverage import pieces as cov
from gisapp.analysis.coverage import centres, polygon_coverage
from gisapp.analysis.zonal import ZonalIndex

UTM = "EPSG:32648"
X0, Y0 = 500_000.0, 2_300_000.0            # a real UTM 48N place: coordinates of that size
PX = 250.0                                 # population pixel, metres
GRID = Affine(PX, 0, X0 - 5_000, 0, -PX, Y0 + 25_000)
SHAPE = (120, 120)


def _gdf(geoms, crs=UTM) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"k": range(len(geoms))}, geometry=list(geoms), crs=crs)


def _ragged(rng, cx, cy, r, n, jitter=0.2):
    """A star-like ring with n vertices (valid: radius varies, angle increases)."""
    a = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = r * (1 + jitter * rng.uniform(-1, 1, n))
    return shapely.Polygon(np.c_[cx + rad * np.cos(a), cy + rad * np.sin(a)])


def _villages(rng, n=120):
    xy = rng.uniform(0, 20_000, (n, 2)) + (X0, Y0)
    geoms = []
    for i, (x, y) in enumerate(xy):
        k = i % 8
        if k == 0:
            geoms.append(shapely.box(x, y, x + rng.uniform(0.05, 2), y + rng.uniform(300, 3000)))  # sliver
        elif k == 1:
            outer = _ragged(rng, x, y, rng.uniform(400, 1500), 40)
            geoms.append(outer.difference(shapely.Point(x, y).buffer(200)))                    # hole
        elif k == 2:
            geoms.append(shapely.MultiPolygon([shapely.box(x, y, x + 400, y + 300),
                                               shapely.box(x + 600, y, x + 900, y + 700)]))
        elif k == 3:
            geoms.append(shapely.Point(x, y))
        elif k == 4:
            geoms.append(_ragged(rng, x, y, rng.uniform(2000, 6000), 60))                      # large
        else:
            geoms.append(_ragged(rng, x, y, rng.uniform(200, 1200), int(rng.integers(5, 30))))
    geoms += [None, shapely.Polygon(), shapely.Point()]
    return _gdf(geoms)


def _coverage(rng, n=40):
    xy = rng.uniform(-2_000, 22_000, (n, 2)) + (X0, Y0)
    geoms = [_ragged(rng, x, y, rng.uniform(500, 5000), int(rng.integers(8, 64))) for x, y in xy]
    geoms.append(geoms[3])                                                  # duplicate
    geoms.append(_ragged(rng, X0 + 9_000, Y0 + 11_000, 7_000, 3_000, 0.05)  # > _SPLIT_VERTICES,
                 .difference(shapely.Point(X0 + 9_000, Y0 + 11_000).buffer(2_500)))  # with a hole
    geoms.append(shapely.MultiPolygon([shapely.box(X0 + 1_000, Y0 + 1_000, X0 + 3_000, Y0 + 3_000),
                                       shapely.box(X0 + 3_000, Y0 + 3_000, X0 + 5_000, Y0 + 4_000)]))
    geoms.append(shapely.Polygon([(X0, Y0), (X0 + 4_000, Y0 + 4_000),               # bowtie
                                  (X0 + 4_000, Y0), (X0, Y0 + 4_000)]))
    geoms.append(shapely.box(X0 + 12_000, Y0, X0 + 12_000.01, Y0 + 20_000))         # sliver
    geoms.append(shapely.LineString([(X0, Y0), (X0 + 20_000, Y0 + 20_000)]))        # not areal
    geoms += [None, shapely.Polygon()]
    return _gdf(geoms)


def _reference(villages, coverage, index=None, people=None):
    """Area share, population share and centre by brute force (one global union)."""
    cover = coverage.geometry.to_numpy()
    cover = shapely.make_valid(cover[~(shapely.is_missing(cover) | shapely.is_empty(cover))])
    polys = shapely.get_parts(shapely.get_parts(cover))
    polys = polys[shapely.get_type_id(polys) == 3]
    union = shapely.union_all(polys) if len(polys) else shapely.Polygon()
    v = villages.geometry.to_numpy()
    c = centres(villages).to_numpy()
    n = len(v)
    area = np.full(n, np.nan)
    kind = shapely.get_type_id(v)
    poly = ~shapely.is_missing(v) & ~shapely.is_empty(v) & np.isin(kind, (3, 6))
    point = ~shapely.is_missing(v) & ~shapely.is_empty(v) & np.isin(kind, (0, 4))
    area[poly] = shapely.area(shapely.intersection(v[poly], union)) / shapely.area(v[poly])
    hit = np.zeros(n, bool)
    has_c = ~shapely.is_missing(c) & ~shapely.is_empty(c)
    hit[has_c] = shapely.intersects(c[has_c], union)
    area[point] = hit[point]
    pop = area.copy()
    if index is not None:
        rows, cols = np.divmod(index.cell, index.shape[1])
        t = index.transform
        boxes = shapely.box(t.c + cols * t.a, t.f + (rows + 1) * t.e,
                            t.c + (cols + 1) * t.a, t.f + rows * t.e)
        cfrac = shapely.area(shapely.intersection(boxes, union)) / (t.a * -t.e)
        w = index.frac * people.ravel()[index.cell]
        den = np.bincount(index.village, weights=w, minlength=n)
        num = np.bincount(index.village, weights=w * cfrac, minlength=n)
        share = np.divide(num, den, out=np.full(n, np.nan), where=den > 0)
        use = poly & np.isfinite(share)
        pop[use] = share[use]
    return area, pop, hit, has_c


def _check(out, ref, atol=1e-9):
    area, pop, hit, has_c = ref
    np.testing.assert_allclose(out["area_share"], area, rtol=0, atol=atol, equal_nan=True)
    np.testing.assert_allclose(out["pop_share"], pop, rtol=0, atol=atol, equal_nan=True)
    assert out["centre"].isna().to_numpy().tolist() == (~has_c).tolist()
    assert out["centre"].fillna(False).to_numpy(bool).tolist() == hit.tolist()


@pytest.mark.parametrize(("seed", "tile_m"), [(0, 10_000.0), (1, 10_000.0), (2, 1_500.0)])
def test_random_layers_match_the_brute_force_union(seed, tile_m):
    # tile_m = 1,500 m cuts most village rectangles along the tile grid
    rng = np.random.default_rng(seed)
    villages, coverage = _villages(rng), _coverage(rng)
    people = rng.uniform(0, 50, SHAPE)
    people[rng.uniform(size=SHAPE) < 0.2] = 0.0
    index = ZonalIndex.build(villages, transform=GRID, shape=SHAPE, crs=UTM)
    out = polygon_coverage(villages, coverage, centres=centres(villages),
                           pop_index=index, pop_values=people, tile_m=tile_m)
    _check(out, _reference(villages, coverage, index, people))
    # without a population grid, pop_share is the area share
    plain = polygon_coverage(villages, coverage, centres=centres(villages), tile_m=tile_m)
    _check(plain, _reference(villages, coverage))
    assert 0.05 < np.nanmean(out["area_share"]) < 0.95      # partly covered: a real test


def test_union_of_layers_given_as_multipolygon_rows():
    # each layer one dissolved MultiPolygon row (as pipeline._union_shares concatenates
    # them); the parts of one row never overlap, rows overlap each other
    rng = np.random.default_rng(7)
    layers = []
    for _ in range(3):
        parts = shapely.get_parts(shapely.union_all(
            [_ragged(rng, *(rng.uniform(0, 20_000, 2) + (X0, Y0)), rng.uniform(500, 3000), 24)
             for _ in range(25)]))
        layers.append(shapely.MultiPolygon(list(parts)))
    villages = _villages(rng)
    people = rng.uniform(0, 50, SHAPE)
    index = ZonalIndex.build(villages, transform=GRID, shape=SHAPE, crs=UTM)
    coverage = _gdf(layers)
    out = polygon_coverage(villages, coverage, centres=centres(villages),
                           pop_index=index, pop_values=people)
    _check(out, _reference(villages, coverage, index, people))


def test_detailed_polygons_are_cut_but_shares_stay_exact():
    rng = np.random.default_rng(3)
    big = _ragged(rng, X0 + 10_000, Y0 + 10_000, 9_000, 5_000, 0.1)
    big = big.difference(_ragged(rng, X0 + 10_000, Y0 + 10_000, 3_000, 2_000, 0.1))
    polys, group = cov._coverage_polygons(np.array([big], dtype=object))
    assert len(polys) > 8 and shapely.get_num_coordinates(polys).max() <= cov._SPLIT_VERTICES
    assert len(np.unique(group)) == len(polys)     # pieces of one cut polygon are unioned
    np.testing.assert_allclose(shapely.area(polys).sum(), big.area, rtol=1e-12)
    # villages straddling the cut lines through the middle of the polygon
    mid = np.linspace(X0 + 1_000, X0 + 19_000, 40)
    villages = _gdf([shapely.box(x - 700, Y0 + 10_000 - 300, x + 700, Y0 + 10_000 + 300) for x in mid]
                    + [shapely.box(X0 + 10_000 - 50, y, X0 + 10_000 + 50, y + 900)
                       for y in np.linspace(Y0, Y0 + 19_000, 20)])
    people = np.ones(SHAPE)
    index = ZonalIndex.build(villages, transform=GRID, shape=SHAPE, crs=UTM)
    out = polygon_coverage(villages, _gdf([big]), centres=centres(villages),
                           pop_index=index, pop_values=people)
    _check(out, _reference(villages, _gdf([big]), index, people))


def test_a_partition_with_the_polygons_near_it_gets_the_whole_runs_shares():
    # the Dask engine's contract: a subset of the villages, given only the coverage
    # polygons within two pixel diagonals of its bounds, gets the shares of a whole run
    rng = np.random.default_rng(11)
    villages, coverage = _villages(rng), _coverage(rng)
    people = rng.uniform(0, 50, SHAPE)
    index = ZonalIndex.build(villages, transform=GRID, shape=SHAPE, crs=UTM)
    whole = polygon_coverage(villages, coverage, centres=centres(villages),
                             pop_index=index, pop_values=people)
    has = ~(villages.geometry.isna() | villages.geometry.is_empty)
    x = villages.geometry.centroid.x.where(has, np.inf)
    part = villages[(x < X0 + 10_000).to_numpy()]
    pos = np.flatnonzero((x < X0 + 10_000).to_numpy())
    keep = np.full(len(villages), -1)
    keep[pos] = np.arange(len(pos))
    sel = keep[index.village] >= 0
    sub_index = ZonalIndex(keep[index.village[sel]], index.cell[sel], index.frac[sel],
                           index.shape, index.transform, index.crs, len(pos))
    margin = 2 * np.hypot(PX, PX)
    b = part.total_bounds + np.array([-margin, -margin, margin, margin])
    near = coverage[coverage.intersects(shapely.box(*b))].iloc[::-1]     # another order too
    got = polygon_coverage(part, near, centres=centres(part), pop_index=sub_index,
                           pop_values=people)
    for col in ("area_share", "pop_share"):
        np.testing.assert_allclose(got[col].to_numpy(), whole[col].to_numpy()[pos],
                                   rtol=0, atol=1e-12, equal_nan=True)
    assert got["centre"].tolist() == whole["centre"].iloc[pos].tolist()


def test_population_grid_in_another_crs():
    # a WGS 84 population grid (as WorldPop ships): each village's rectangle must still
    # hold all its pixels (they are not rectangles in metres), and a partition of the
    # villages must get the whole run's shares
    rng = np.random.default_rng(5)
    villages = _villages(rng, 60)
    coverage = _gdf([_ragged(rng, *(rng.uniform(0, 20_000, 2) + (X0, Y0)), rng.uniform(300, 2500), 12)
                     for _ in range(40)])
    corner = gpd.GeoSeries([shapely.Point(X0 - 3_000, Y0 + 23_000)], crs=UTM).to_crs(4326).iloc[0]
    t = Affine(0.002, 0, corner.x, 0, -0.002, corner.y)
    shape = (140, 140)
    people = rng.uniform(0, 50, shape)
    index = ZonalIndex.build(villages, transform=t, shape=shape, crs=4326)
    out = polygon_coverage(villages, coverage, centres=centres(villages),
                           pop_index=index, pop_values=people)
    # reference: the union, densified to 25 m so its edges stay straight in metres, in
    # WGS 84 against the pixel boxes there
    union = shapely.segmentize(shapely.union_all(coverage.geometry.to_numpy()), 25.0)
    union84 = gpd.GeoSeries([union], crs=UTM).to_crs(4326).iloc[0]
    rows, cols = np.divmod(index.cell, shape[1])
    boxes = shapely.box(t.c + cols * t.a, t.f + (rows + 1) * t.e, t.c + (cols + 1) * t.a, t.f + rows * t.e)
    cfrac = shapely.area(shapely.intersection(boxes, union84)) / (t.a * -t.e)
    w = index.frac * people.ravel()[index.cell]
    n = len(villages)
    den = np.bincount(index.village, weights=w, minlength=n)
    share = np.bincount(index.village, weights=w * cfrac, minlength=n) / np.where(den > 0, den, np.nan)
    ok = np.isfinite(share) & villages.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    assert ok.sum() > 30
    # coverage edges are reprojected by their vertices (chords), as the ZonalIndex does
    # for villages: a 1 km edge bends ~1 cm off its chord, about 1e-5 of a 200 m pixel
    np.testing.assert_allclose(out["pop_share"].to_numpy()[ok], share[ok], rtol=0, atol=1e-4)
    # the first half of the villages alone, with the polygons near them
    half = np.arange(n // 2)
    sel = index.village < n // 2
    sub = ZonalIndex(index.village[sel], index.cell[sel], index.frac[sel], index.shape,
                     index.transform, index.crs, len(half))
    b = villages.iloc[half].total_bounds + np.array([-1, -1, 1, 1]) * 2 * 0.002 * 111_320 * 1.5
    near = coverage[coverage.intersects(shapely.box(*b))]
    got = polygon_coverage(villages.iloc[half], near, centres=centres(villages.iloc[half]),
                           pop_index=sub, pop_values=people)
    np.testing.assert_allclose(got["pop_share"], out["pop_share"].iloc[half], rtol=0, atol=1e-12,
                               equal_nan=True)


def test_centres_away_from_their_villages_are_looked_up():
    cover = _gdf([shapely.box(X0, Y0, X0 + 100, Y0 + 100)])
    villages = _gdf([shapely.box(X0 + 1_000, Y0, X0 + 1_100, Y0 + 100),
                     shapely.box(X0 + 50, Y0 + 50, X0 + 150, Y0 + 150)])
    given = gpd.GeoSeries([shapely.Point(X0 + 10, Y0 + 10), shapely.Point(X0 + 500, Y0 + 500)], crs=UTM)
    out = polygon_coverage(villages, cover, centres=given)
    assert out["centre"].tolist() == [True, False]
    assert out["area_share"].tolist() == pytest.approx([0.0, 0.25])


def test_rectangle_held_whole_by_one_polygon_among_others():
    # a village whose rectangle lies inside one polygon while others overlap it: share 1,
    # every pixel fully covered, no union needed
    cover = _gdf([shapely.box(X0 - 5_000, Y0 - 5_000, X0 + 5_000, Y0 + 5_000),
                  shapely.box(X0 - 100, Y0 - 100, X0 + 100, Y0 + 100),
                  shapely.Point(X0 + 4_900, Y0).buffer(500)])
    villages = _gdf([shapely.Point(X0, Y0).buffer(300), shapely.box(X0 + 4_000, Y0 - 200, X0 + 4_800, Y0 + 200)])
    t = Affine(PX, 0, X0 - 5_000, 0, -PX, Y0 + 5_000)
    index = ZonalIndex.build(villages, transform=t, shape=(40, 40), crs=UTM)
    out = polygon_coverage(villages, cover, centres=centres(villages), pop_index=index,
                           pop_values=np.ones((40, 40)))
    assert out["area_share"].tolist() == [1.0, 1.0]
    assert out["pop_share"].tolist() == [1.0, 1.0]


def test_union_of_measured_layers_reuses_their_pieces(monkeypatch):
    # pipeline._union_shares concatenates layers it has just measured: their clipped
    # pieces are reused (no new clipping of those rows), and the shares are the union's
    rng = np.random.default_rng(13)
    villages = _villages(rng)
    villages = villages[villages.geom_type.isin(["Polygon", "MultiPolygon"])]
    people = rng.uniform(0, 50, SHAPE)
    index = ZonalIndex.build(villages, transform=GRID, shape=SHAPE, crs=UTM)
    a, b, c = _coverage(rng, 15), _coverage(rng, 15), _coverage(rng, 15)
    kw = {"centres": centres(villages), "pop_index": index, "pop_values": people}
    cov._CUTS.clear()
    for layer in (a, b):
        polygon_coverage(villages, layer, **kw)
    cut = []
    real = cov._coverage_polygons
    monkeypatch.setattr(cov, "_coverage_polygons", lambda rows: cut.append(len(rows)) or real(rows))
    ab = pd.concat([a, b], ignore_index=True)
    both = polygon_coverage(villages, ab, **kw)
    assert cut == []                                     # a and b were not cut again
    abc = pd.concat([a, b, c], ignore_index=True)
    three = polygon_coverage(villages, abc, **kw)
    assert cut == [int((~(c.geometry.isna() | c.geometry.is_empty)).sum())]   # only c's rows
    for frame, layer in ((both, ab), (three, abc)):
        _check(frame, _reference(villages, layer, index, people))
        cov._CUTS.clear()
        fresh = polygon_coverage(villages, layer, **kw)
        for col in ("area_share", "pop_share"):
            np.testing.assert_allclose(frame[col], fresh[col], rtol=0, atol=1e-12)


def test_reuse_is_bounded(monkeypatch):
    monkeypatch.setattr(cov, "_CACHE_PIECES", 50)
    cov._CUTS.clear()
    rng = np.random.default_rng(17)
    villages = _villages(rng)
    for _ in range(4):
        polygon_coverage(villages, _coverage(rng, 20), centres=centres(villages))
        held = sum(len(c.pieces) for c in cov._CUTS.values())
        assert held <= 50 or len(cov._CUTS) == 1
    cov._CUTS.clear()


def test_threads_and_chunks_do_not_change_the_answer(monkeypatch):
    rng = np.random.default_rng(19)
    villages, coverage = _villages(rng), _coverage(rng)
    layers = pd.concat([coverage, _coverage(rng, 10)], ignore_index=True)
    people = rng.uniform(0, 50, SHAPE)
    index = ZonalIndex.build(villages, transform=GRID, shape=SHAPE, crs=UTM)
    kw = {"centres": centres(villages), "pop_index": index, "pop_values": people}
    frames = []
    for threads, chunk in (("1", 10**9), ("2", 7), ("3", 1)):
        monkeypatch.setenv("GISAPP_THREADS", threads)
        monkeypatch.setattr(cov, "_CHUNK", chunk)
        cov._CUTS.clear()
        frames.append([polygon_coverage(villages, layer, **kw) for layer in (coverage, layers)])
    cov._CUTS.clear()
    for other in frames[1:]:
        for a, b in zip(frames[0], other):
            pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_large_village_on_a_wgs84_grid_has_no_slivers_along_its_tile_cuts():
    # a 18 km village is cut along the 10 km tile grid; its lower tiles lie inside one
    # polygon (taken whole), its upper tiles are a union with vertices along the cut
    # line. Every pixel is covered, so the population share is 1: reprojected by their
    # vertices alone, the two sides of the cut would bend apart (1.2e-5 short here)
    village = _gdf([shapely.box(X0 + 1_000, Y0 + 1_000, X0 + 19_000, Y0 + 19_000)])
    cover = _gdf([shapely.box(X0 - 5_000, Y0 - 5_000, X0 + 25_000, Y0 + 10_500),
                  shapely.box(X0 - 5_000, Y0 + 9_800, X0 + 6_000, Y0 + 25_000),
                  shapely.box(X0 + 4_000, Y0 + 9_900, X0 + 25_000, Y0 + 25_000),
                  shapely.box(X0 + 7_000, Y0 + 9_700, X0 + 25_000, Y0 + 25_000)])
    corner = gpd.GeoSeries([shapely.Point(X0 - 3_000, Y0 + 23_000)], crs=UTM).to_crs(4326).iloc[0]
    t = Affine(0.01, 0, corner.x, 0, -0.01, corner.y)
    people = np.random.default_rng(0).uniform(1, 50, (40, 40))
    index = ZonalIndex.build(village, transform=t, shape=(40, 40), crs=4326)
    cov._CUTS.clear()
    out = polygon_coverage(village, cover, centres=centres(village), pop_index=index,
                           pop_values=people)
    assert out["area_share"].iloc[0] == 1.0
    assert out["pop_share"].iloc[0] == pytest.approx(1.0, abs=1e-8)
