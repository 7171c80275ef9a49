"""Map size and time to first paint for 1,000 and 10,000 villages (DESIGN: < 5 MB, < 2 s).

    python benchmarks/bench_map.py [--sizes 1000 10000] [--out /tmp/gisapp-bench-map]

For each size: generate the demo with that many villages (gisapp.demo; above its
maximum of 4,000, copies of the 4,000-village result placed side by side), run the
pipeline, build the app's Folium map (gisapp.ui.map.build_map, Leaflet from the
installed package via file:// URLs), write the HTML, then open it in Debian's headless
Chromium through Playwright and time navigation start → every village feature on the
map and the canvas painted. Prints one line per size; needs /usr/bin/chromium and
playwright.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
DEMO_MAX = 4000   # gisapp.demo generates at most this many villages
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--allow-file-access-from-files"]

_DRAWN = """(n) => { if (!window.L) return false; let m = null;
  for (const k in window) { try { if (window[k] instanceof L.Map) { m = window[k]; break; } } catch (e) {} }
  if (!m) return false; let c = 0;
  m.eachLayer(l => { if (l.feature && l.feature.properties && l.feature.properties.gap !== undefined) c++; });
  return c >= n; }"""


def build(n: int, out: Path) -> tuple[Path, int, float, float]:
    from gisapp import pipeline
    from gisapp.demo import demo_config
    from gisapp.ui import present
    from gisapp.ui.assets import MapAssets
    from gisapp.ui.map import build_map

    cfg = demo_config(out / f"demo_{min(n, DEMO_MAX)}", n_villages=min(n, DEMO_MAX))
    result = pipeline.run(cfg)
    villages = result.villages
    if n > DEMO_MAX:
        # the demo stops at 4,000 villages: copy its result side by side (shifted east by
        # the province's width) up to n villages — same shapes and classes, more of them
        import geopandas as gpd
        import pandas as pd

        width = float(villages.total_bounds[2] - villages.total_bounds[0]) * 1.05
        copies = []
        for k in range(-(-n // len(villages))):
            c = villages.copy()
            c["geometry"] = c.geometry.translate(xoff=k * width)
            c["village_id"] = c["village_id"].astype(str) + f"-{k}"
            copies.append(c)
        villages = gpd.GeoDataFrame(pd.concat(copies, ignore_index=True), crs=villages.crs).head(n)
    n_villages = len(villages)
    t0 = time.perf_counter()
    m = build_map(villages, result.layers, assets=MapAssets.files(),
                  layer_keys=present.layer_carriers(result.config, result.layers))
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    path = out / f"map_{n}.html"
    path.write_text(m.get_root().render(), encoding="utf-8")
    t_render = time.perf_counter() - t0
    return path, n_villages, t_build, t_render


def first_paint(path: Path, n: int) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(path.as_uri(), wait_until="commit")
        page.wait_for_function(_DRAWN, arg=n, timeout=120_000)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        ms = page.evaluate("() => performance.now()")
        browser.close()
    return ms / 1000.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--out", type=Path, default=Path("/tmp/gisapp-bench-map"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for n in args.sizes:
        path, nv, t_build, t_render = build(n, args.out)
        paint = first_paint(path, nv)
        mb = path.stat().st_size / 1024 / 1024
        print(f"{nv:>6} villages: HTML {mb:5.2f} MB, build {t_build:4.2f} s + render {t_render:4.2f} s "
              f"in Python, first paint {paint:4.2f} s in Chromium", flush=True)


if __name__ == "__main__":
    main()
