"""The app as a person sees it: `streamlit run streamlit_app.py` in Debian's headless Chromium.

Run with ``pytest -m browser tests/ui/browser``. Skips with the reason when /usr/bin/chromium
or playwright is absent. The screenshot goes to tests/ui/browser/artifacts/ (not committed).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from gisapp.ui.components import MAP_HEIGHT

from conftest import ARTIFACTS  # type: ignore[import-not-found]

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
N_DEMO = 1500


def _open(page):
    page.goto(page.base_url, wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stTable"]', timeout=120_000)
    frame = page.frame_locator(MAP_IFRAME)
    frame.locator(".leaflet-overlay-pane canvas").first.wait_for(timeout=60_000)
    return frame


def _map_frame(page):
    return next(f for f in page.frames if "streamlit_folium" in f.url)


def _drawn_villages(page) -> int:
    """Village features Leaflet holds on the map (each has a village_id property)."""
    return _map_frame(page).evaluate(
        """() => { let n = 0; window.map.eachLayer(l => {
                 if (l.feature && l.feature.properties && l.feature.properties.village_id !== undefined
                     && l.feature.properties.gap !== undefined) n++; }); return n; }""")


def _first_row(page) -> str:
    return page.locator('[data-testid="stTable"] tbody tr').first.inner_text()


def _console_errors(page) -> list[str]:
    # Streamlit's own iframe sandbox warning and feature-policy notes are warnings, not errors
    return [e for e in page.console_errors if "favicon" not in e]


def test_map_renders_offline_and_screenshot(page):
    _open(page)
    page.wait_for_timeout(1500)       # let the canvas paint
    assert _drawn_villages(page) == N_DEMO
    canvas_painted = _map_frame(page).evaluate(
        """() => { const c = document.querySelector('.leaflet-overlay-pane canvas');
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
    assert canvas_painted > 10_000                      # coloured village pixels
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "app.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    assert page.requests.foreign == [], page.requests.foreign
    assert any("/app/static/gisapp_vendor/leaflet/leaflet.js" in u for u in page.requests.all)
    assert _console_errors(page) == []


_PICK_VILLAGE = """(maxY) => {
    // a village polygon whose centre lies inside it and well inside the map's frame,
    // away from the controls in the corners, and above maxY (the fold: the map is taller
    // than what the window shows); returns its id, name and container point
    const m = window.map, size = m.getSize();
    let out = null;
    m.eachLayer(l => {
        if (out || !l.feature || l.feature.properties.gap === undefined || !l.getCenter) return;
        const c = l.getCenter(), p = m.latLngToContainerPoint(c);
        if (p.x < 80 || p.y < 80 || p.x > size.x - 220 || p.y > Math.min(size.y - 160, maxY)) return;
        if (!l._containsPoint(m.latLngToLayerPoint(c))) return;
        let others = 0;          // nothing else (village, school, tower) under the same pixel
        m.eachLayer(o => { if (o !== l && o._containsPoint && o._map
                               && o._containsPoint(m.latLngToLayerPoint(c))) others++; });
        if (!others) out = {id: l.feature.properties.village_id, name: l.feature.properties.n,
                            x: p.x, y: p.y, zoom: m.getZoom()};
    });
    return out;
}"""


@pytest.mark.xfail(strict=False, reason=(
    "issue 13, open: after a zoom the kept view and the map's own view can chase each other "
    "for a few runs (zoom 11, 10, 11, 10 seen on 2026-12-07), so the zoom after a click is "
    "not always the planner's"))
def test_click_on_village_selects_it_and_keeps_the_zoom(page):
    """A real mouse click on the canvas (the map is partly below the fold at this
    viewport: Leaflet's focus-on-mousedown used to scroll the page between press and
    release, so the click landed 36 px lower and missed)."""
    frame_loc = _open(page)
    frame = _map_frame(page)
    page.wait_for_timeout(1500)
    frame.evaluate("() => { window.map.setZoom(window.map.getZoom() + 1, {animate: false}); }")
    # the zoom starts a run (the app keeps the view); a click that lands while that run is
    # still going can be lost (a known race, issue 13's notes), so wait for it to end
    _run_finished(page)
    box = page.locator(MAP_IFRAME).bounding_box()
    target = frame.evaluate(_PICK_VILLAGE, page.viewport_size["height"] - box["y"] - 40)
    assert target is not None
    assert box["y"] + box["height"] > page.viewport_size["height"]     # partly below the fold
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    success = page.locator('[data-testid="stAlertContentSuccess"]').first
    success.wait_for(timeout=60_000)
    assert target["name"] in success.inner_text()
    # the outline is drawn onto the map already shown: same zoom, one outlined village
    frame_loc.locator(".leaflet-overlay-pane canvas").first.wait_for()
    frame.wait_for_function(
        """(id) => { let n = 0; window.map.eachLayer(l => {
               if (l.feature && l.feature.properties.village_id === id
                   && l.feature.properties.gap === undefined) n++; }); return n === 1; }""",
        arg=target["id"], timeout=30_000)
    assert frame.evaluate("() => window.map.getZoom()") == target["zoom"]
    assert page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop") == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "selected.png"))
    assert _console_errors(page) == []


def test_weight_preset_reranks_table(page):
    _open(page)
    before = _first_row(page)
    page.get_by_role("combobox", name="Bộ trọng số").click()
    page.get_by_role("option", name="Ưu tiên công trình công cộng").click()
    page.wait_for_function(
        """(before) => { const r = document.querySelector('[data-testid="stTable"] tbody tr');
                       return r && r.innerText !== before; }""", arg=before, timeout=60_000)
    assert _first_row(page) != before
    assert _console_errors(page) == []


def test_csv_download_rereads_with_every_village(page, tmp_path):
    _open(page)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="CSV", exact=True).click()
    path = tmp_path / "villages.csv"
    info.value.save_as(path)
    df = pd.read_csv(path)
    assert len(df) == N_DEMO
    assert df["village_id"].is_unique
    assert {"gap_class", "priority_rank", "why"} <= set(df.columns)
    assert page.requests.foreign == []
    assert _console_errors(page) == []


def test_invalid_upload_shows_message(page, tmp_path):
    _open(page)
    page.get_by_text("Tải tệp lên", exact=True).click()
    bad = tmp_path / "thon.geojson"
    bad.write_text("this is not GeoJSON")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(bad))
    page.get_by_role("button", name="Chạy phân tích").click()
    alert = page.locator('[data-testid="stAlertContentError"]').first
    alert.wait_for(timeout=60_000)
    text = alert.inner_text()
    assert "thon.geojson" in text
    assert not re.search(r"Traceback|File \"", text)


def _goto_page(page, label: str) -> None:
    page.goto(page.base_url, wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
    page.get_by_text(label, exact=True).click()


def _run_finished(page) -> None:
    """Wait until Streamlit's current run has ended (its "running" status is gone): a pan or
    zoom of the map starts a run (the app keeps the view), and elements of the page left
    from before a switch are removed only when the run ends."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=120_000)


def _wait_single_map(page, height: int) -> None:
    """After a page switch Streamlit keeps the previous page's map (stale) until the new run
    ends, and adds the new page's map later; wait until the only map left is the new page's
    (told apart by its height in gisapp/ui) before using a strict locator."""
    page.wait_for_function(
        """(h) => { const f = document.querySelectorAll('iframe[title="streamlit_folium.st_folium"]');
                   return f.length === 1 && f[0].getAttribute('height') === String(h); }""",
        arg=height, timeout=120_000)


def _canvas_painted(frame) -> int:
    return frame.evaluate(
        """() => { const c = document.querySelector('.leaflet-overlay-pane canvas');
                 if (!c) return 0;
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")


def _tall_screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls an inner block, so full_page sees one screen."""
    height = page.evaluate(
        """() => { const m = document.querySelector('[data-testid="stMain"]') || document.body;
                 return m.scrollHeight; }""")
    page.set_viewport_size({"width": 1500, "height": min(max(int(height) + 50, 1100), 6000)})
    page.wait_for_timeout(2500)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_planning_page_shows_sites_and_screenshot(page):
    _goto_page(page, "Kế hoạch đầu tư")
    page.get_by_text("Trạm mới được chọn", exact=True).first.wait_for(timeout=120_000)
    _run_finished(page)                                  # the map page's map is gone by then
    _wait_single_map(page, MAP_HEIGHT)                   # planning_page: st_folium height
    page.frame_locator(MAP_IFRAME).locator(".leaflet-overlay-pane canvas").first.wait_for(timeout=60_000)
    frame = _map_frame(page)
    frame.wait_for_function("() => window.map !== undefined")
    page.wait_for_timeout(1500)                           # let fitBounds settle
    sites = frame.evaluate(
        """() => { const out = []; window.map.eachLayer(l => {
                 if (l.feature && l.feature.properties && l.feature.properties.h !== undefined)
                     out.push(window.map.latLngToContainerPoint(l.getLatLng())); }); return out; }""")
    assert len(sites) == 10                              # siting.n_sites of the demo
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    box = page.locator(MAP_IFRAME).bounding_box()
    # The hover tooltip (the same table as the popup) is not asserted here: under load a hover
    # missed every site in about one run of three. The popup below is checked on a real click.
    # a real click on a site opens its popup (the same table)
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    pt = frame.evaluate("""() => { const s = window.map.getSize(); let out = null;
                      window.map.eachLayer(l => { if (out || !l.feature || l.feature.properties.h === undefined) return;
                      const p = window.map.latLngToContainerPoint(l.getLatLng());
                      if (p.x > 60 && p.y > 60 && p.x < s.x - 220 && p.y < s.y - 160) out = p; }); return out; }""")
    assert pt is not None
    box = page.locator(MAP_IFRAME).bounding_box()
    page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert "USD" in popup.inner_text()
    page.get_by_text("So sánh kịch bản").wait_for(timeout=120_000)
    page.wait_for_timeout(1500)
    assert _canvas_painted(frame) > 10_000
    _tall_screenshot(page, "planning.png")
    assert page.requests.foreign == [], page.requests.foreign
    assert _console_errors(page) == []


def test_progress_page_two_snapshots_and_screenshot(page, tmp_path):
    _goto_page(page, "Tiến độ")
    # nobody types a store path: the local store lives under the server's XDG_CACHE_HOME,
    # a fresh folder for this test session (app_server)
    page.get_by_role("textbox", name="Tên ảnh chụp (duy nhất)").wait_for(timeout=180_000)
    assert page.get_by_role("textbox", name="Tệp GeoPackage (.gpkg) hoặc địa chỉ postgresql://").count() == 0
    for label in ("đợt 1", "đợt 2"):
        if label == "đợt 2":            # a stricter 4G threshold: the second survey differs
            page.get_by_text("Ngưỡng và quy tắc").click()
            box = page.get_by_role("spinbutton", name="Ngưỡng 4G (dBm)")
            box.fill("-80")
            box.press("Enter")
            page.wait_for_timeout(1500)
        name = page.get_by_role("textbox", name="Tên ảnh chụp (duy nhất)")
        name.fill(label)
        page.get_by_role("button", name="Lưu ảnh chụp").click()
        page.get_by_text(f"Đã lưu “{label}”").wait_for(timeout=120_000)
    page.get_by_text("Thay đổi giữa hai ảnh chụp").wait_for(timeout=120_000)
    _wait_single_map(page, 480)                          # progress_page: st_folium height
    page.frame_locator(MAP_IFRAME).locator(".leaflet-overlay-pane canvas").first.wait_for(timeout=60_000)
    page.wait_for_timeout(2000)
    assert _canvas_painted(_map_frame(page)) > 10_000
    _tall_screenshot(page, "progress.png")
    assert page.requests.foreign == [], page.requests.foreign
    assert _console_errors(page) == []
