"""The built-in demo province: a fictional, clearly *synthetic* mountainous province.

Everything here is generated in code from one seed (:func:`generate_demo`), so the
demo is reproducible, needs no download, and carries no real place's facts. The
province, its communes and villages have invented names built from syllable pairs
plus a number ("Bản Khau Vân 3"); the geography sits at the latitude of Vietnam's
north-western mountains (about 21.4–22.0° N, 103.6–104.2° E) but the terrain,
rivers, roads, grid, towers and people are all made up.

What is written (all beside ``config.toml``; every vector file has a column
``source = "synthetic demo"``, every raster a ``SOURCE`` tag, and ``README.txt``
says how the data were made):

=========================  ===============================  ================
file                       content                          CRS
=========================  ===============================  ================
``dem.tif``                elevation, m (100 m pixels)      EPSG:32648
``villages.gpkg``          village polygons + attributes    EPSG:3405 (VN-2000)
``communes.gpkg``          commune polygons (display only)  EPSG:4326
``population.tif``         people per pixel (~0.001°)       EPSG:4326
``towers.csv``             sites, lon/lat columns           EPSG:4326
``coverage_*.geojson``     Viettel and VNPT 2G/4G           EPSG:4326
``coverage_mobifone_*.gpkg``  MobiFone 2G/4G                EPSG:3405
``signal_viettel_4g.tif``  modelled RSRP, dBm (200 m)       EPSG:32648
``lights.tif``             night-time lights radiance       EPSG:4326
``grid.gpkg``              22 kV lines                      EPSG:3405
``evn_thon_chua_dien.xlsx``  the utility's village list     —
``fibre.geojson``          fibre routes                     EPSG:4326
``facilities.gpkg``        schools, health stations ...     EPSG:32648
``roads.gpkg``             roads (display only)             EPSG:32648
=========================  ===============================  ================

Modules, in the order :func:`generate_demo` runs them (one random generator flows
through them, so the order is part of the result): ``terrain``, ``lines``, ``places``,
``people``, ``electricity``, ``towers``; ``grid`` holds the fixed facts and grids,
``folder`` writes the files, ``generate`` runs the steps and keeps the cached copy.

How it is made (all vectorised with numpy; Python loops run only over the ~10
valleys, 15 communes and a few hundred towers):

* terrain: 1/f² fractal noise plus a few broad massifs, with a meandering main river
  and tributary valleys carved in (distance transform of the rasterised valley lines);
  rescaled to 200–2,400 m;
* roads follow the main river and some tributaries (part of the way); the 22 kV grid
  follows the main road and fewer, shorter branches, so remote valleys are far from it;
* villages are weighted draws of cells of a jittered lattice (more along valleys and
  roads, fewer high up), drawn as Voronoi cells clipped to a 0.3–1.6 km² disc and to
  their commune (Voronoi cells of 15 seeds clipped to the province outline);
* towers sit near roads and the town, on local high points; declared coverage is each
  tower's radius (2G 6 km, 4G 3.5 km) cut by a terrain line-of-sight test sampled along
  rays on a 200 m grid, polygonised and dissolved; the Viettel 4G signal raster uses
  ``-87.5 - 37.6 log10(d_km)`` minus an obstruction penalty;
* the utility's list names every village without power (about 6.5 %, mostly far from
  the grid) and a quarter of the others, typed the way offices type them (no prefix,
  other case, no diacritics), plus four names that match no village.
"""

from gisapp.demo.generate import Progress, demo_cache_dir, demo_config, generate_demo
from gisapp.demo.grid import CARRIERS, PROVINCE_NAME, RADIUS_M, SOURCE

__all__ = [
    "generate_demo", "demo_config", "demo_cache_dir", "PROVINCE_NAME", "SOURCE", "CARRIERS",
    "RADIUS_M", "Progress",
]
