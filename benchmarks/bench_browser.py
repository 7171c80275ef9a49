"""The app's speed as a planner meets it, in Debian's headless Chromium (issue 13).

    python benchmarks/bench_browser.py [--runs 5] [--port 8515] [--write]

On demand, not in CI. Needs /usr/bin/chromium and playwright. Measures, on the demo:

(a) *fresh server to map drawn*: ``streamlit run streamlit_app.py`` started (a new
    process, so nothing cached) → page opened → every village feature on the map, the
    top-10 table shown and the script idle;
(b) *a change to the updated map and table*, each from the click to the script idle, the
    table changed and (when the map changes) a new map with its villages drawn:
    a filter (one gap class), a weight preset, the language.

Before the runs one start is not counted: it generates the demo and keeps its measured
result on disk (gisapp.ui.cache.on_disk), as any earlier start of the app has.

Baseline, measured in the same run: the same map's HTML (gisapp.ui.map.build_map on the
demo, Leaflet from files) opened as a static page, navigation → villages drawn. The
ratios in RESULTS.md are against it, so a busier machine moves both. ``--write`` appends
the medians to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
N_DEMO = 1500

#: the map's villages, counted from the top page (the component's iframe is same-origin)
_VILLAGES = """() => { const f = document.querySelectorAll('%s');
  if (f.length !== 1) return -1; const w = f[0].contentWindow; if (!w || !w.map) return -1;
  let n = 0; w.map.eachLayer(l => { if (l.feature && l.feature.properties
      && l.feature.properties.village_id !== undefined && l.feature.properties.gap !== undefined) n++; });
  return w.map.__bench_old ? -2 : n; }""" % IFRAME
_IDLE = """() => { const a = document.querySelector('[data-testid="stApp"]');
  return a && a.getAttribute('data-test-script-state') === 'notRunning'; }"""
_TOP = """() => { const r = document.querySelector('[data-testid="stTable"] tbody tr');
  const h = document.querySelector('[data-testid="stTable"] thead');
  const m = [...document.querySelectorAll('[data-testid="stMetric"]')].map(e => e.innerText).join('/');
  return r ? (h ? h.innerText : '') + '|' + r.innerText + '|' + m : ''; }"""
_MARK = """() => { const f = document.querySelector('%s'); if (f && f.contentWindow.map)
  f.contentWindow.map.__bench_old = true; }""" % IFRAME
_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def _wait_health(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("streamlit did not become healthy")


def _start(port: int, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _wait_drawn(page, n: int | None, timeout_ms: int = 120_000) -> None:
    """Script idle, a (new) map with ``n`` villages (any count > 0 if None), frames painted."""
    page.wait_for_function(_IDLE, timeout=timeout_ms, polling=20)
    if n is None:
        page.wait_for_function(f"() => ({_VILLAGES})() > 0", timeout=timeout_ms, polling=20)
    else:
        page.wait_for_function(f"() => ({_VILLAGES})() === {n}", timeout=timeout_ms, polling=20)
    page.evaluate(_FRAMES)


def cold_start(browser, port: int, log) -> float:
    """(a) seconds from the server process started to the map drawn."""
    url = f"http://127.0.0.1:{port}"
    page = browser.new_page(viewport={"width": 1500, "height": 1100}, locale="vi-VN")
    t0 = time.perf_counter()
    proc = _start(port, log)
    try:
        _wait_health(url, proc)
        page.goto(url, wait_until="commit")
        page.wait_for_selector('[data-testid="stTable"]', timeout=120_000)
        _wait_drawn(page, N_DEMO)
        elapsed = time.perf_counter() - t0
        changes = change_times(page)
    finally:
        page.close()
        _stop(proc)
    return elapsed, changes


def _timed(page, action, *, n: int | None, map_changes: bool) -> float:
    before = page.evaluate(_TOP)
    if map_changes:
        page.evaluate(_MARK)
    t0 = time.perf_counter()
    action()
    page.wait_for_function(f"(b) => ({_TOP})() !== b && ({_TOP})() !== ''", arg=before,
                           timeout=120_000, polling=20)
    _wait_drawn(page, n if map_changes else None)
    return time.perf_counter() - t0


def _choose(page, box: str, option: str) -> None:
    """Open a select box and click an option (again if a rerun closed the list)."""
    for _ in range(5):
        page.get_by_role("combobox", name=box).click()
        opt = page.get_by_role("option", name=option, exact=True)
        try:
            opt.wait_for(timeout=3000)
            opt.click(timeout=3000)
            return
        except Exception:  # noqa: BLE001 - the list closed under a rerun: open it again
            page.keyboard.press("Escape")
    raise RuntimeError(f"could not choose {option!r} in {box!r}")


def change_times(page) -> dict[str, float]:
    """(b) seconds from each change to the updated map and table (on one warm page)."""
    out = {}
    page.wait_for_timeout(500)

    def pick_filter():
        _choose(page, "Nhóm thiếu hụt", "Chưa điện, chưa sóng")
        page.keyboard.press("Escape")

    out["filter"] = _timed(page, pick_filter, n=None, map_changes=True)
    page.wait_for_timeout(300)

    def weight():
        _choose(page, "Bộ trọng số", "Ưu tiên công trình công cộng")
    out["weight"] = _timed(page, weight, n=None, map_changes=False)
    page.wait_for_timeout(300)

    def language():
        page.get_by_text("English", exact=True).click()
    out["language"] = _timed(page, language, n=None, map_changes=True)
    return out


def static_map(out: Path) -> tuple[Path, int]:
    """The demo map's HTML (gisapp.ui.map.build_map, Leaflet from files), written once."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_map import build

    path, n, _, _ = build(N_DEMO, out)
    return path, n


def static_baseline(browser, path: Path, n: int) -> float:
    """Baseline: the same demo map's HTML as a static page, navigation → villages drawn."""
    from bench_map import _DRAWN

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(path.as_uri(), wait_until="commit")
    page.wait_for_function(_DRAWN, arg=n, timeout=120_000, polling=20)
    page.evaluate(_FRAMES)
    ms = page.evaluate("() => performance.now()")
    page.close()
    return ms / 1000.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--port", type=int, default=8515)
    ap.add_argument("--write", action="store_true", help="append the medians to benchmarks/RESULTS.md")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    cold, changes, base = [], {"filter": [], "weight": [], "language": []}, []
    with tempfile.TemporaryDirectory(prefix="gisapp-bench-browser-") as tmp, \
            open(Path(tmp) / "streamlit.log", "w") as log, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=ARGS + ["--allow-file-access-from-files"], headless=True)
        path, n = static_map(Path(tmp))
        static_baseline(browser, path, n)            # warm the file cache; not counted
        cold_start(browser, args.port, log)          # the demo's files and measured result on disk; not counted
        for i in range(args.runs):
            base.append(static_baseline(browser, path, n))
            a, b = cold_start(browser, args.port, log)
            cold.append(a)
            for k, v in b.items():
                changes[k].append(v)
            print(f"run {i + 1}: static {base[-1]:.2f} s, cold {a:.2f} s, "
                  + ", ".join(f"{k} {v:.2f} s" for k, v in b.items()), flush=True)
        browser.close()
    med = {"static map page (baseline)": statistics.median(base), "(a) fresh server → map drawn": statistics.median(cold)}
    med.update({f"(b) {k} change → map and table": statistics.median(v) for k, v in changes.items()})
    load_after = os.getloadavg()
    lines = [f"\n## browser — {time.strftime('%Y-%m-%dT%H:%M:%S')}\n",
             f"`python benchmarks/bench_browser.py --runs {args.runs}`: demo ({N_DEMO} villages), Debian "
             f"Chromium headless, {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
             f"load average (1/5/15 min) {'/'.join(f'{x:.2f}' for x in load_before)} before, "
             f"{'/'.join(f'{x:.2f}' for x in load_after)} after. Median of {args.runs} runs; ratio against the "
             "static map page measured in the same run.\n",
             "| measure | median s | min s | max s | × static map page | target |",
             "|---|---:|---:|---:|---:|---|"]
    series = {"static map page (baseline)": base, "(a) fresh server → map drawn": cold,
              **{f"(b) {k} change → map and table": v for k, v in changes.items()}}
    for name, values in series.items():
        target = "< 3 s" if name.startswith("(a)") else "< 0.5 s" if name.startswith("(b)") else ""
        lines.append(f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} | "
                     f"{statistics.median(values) / med['static map page (baseline)']:.1f} | {target} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
