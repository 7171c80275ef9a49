"""Issue 13 in the browser: Vietnamese mode shows no internal codes; a language switch keeps state.

Run with ``pytest -m browser tests/ui/browser/test_vietnamese.py``. Skips with the reason
when /usr/bin/chromium or playwright is absent. Full-page screenshots of every page in both
languages go to tests/ui/browser/artifacts/ (``<page>-<lang>.png``); what leaks is written to
``artifacts/leaks-vi.txt`` so it can be read without rerunning.
"""

from __future__ import annotations

import re

import pytest

from conftest import ARTIFACTS  # type: ignore[import-not-found]
from gisapp import schema as S

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
PAGES = {"explore": "Bản đồ và xếp hạng", "planning": "Kế hoạch đầu tư", "progress": "Tiến độ"}
XFAIL = pytest.mark.xfail(strict=False, reason="issue 13: words/state land with the words and app branches")

#: English value words that must not stand alone in Vietnamese text
ENGLISH_VALUES = ("high", "medium", "low", "none", "None", "declared", "measured", "modelled", "unknown",
                  "True", "False", "true", "false", "nan", "NaN", "NaT", "Upload", "Browse files",
                  "Select all", "per file", "priority", "village", "villages", "commune", "carrier",
                  "people", "signal", "power", "grid", "exact", "only", "sites", "base")
SNAKE = re.compile(r"(?<![\w./:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/.-])")
#: schema column names of one word that are also ordinary text elsewhere are left to SNAKE
COLUMNS = sorted({c for c in (*S.VILLAGE_COLUMNS, *S.SUMMARY_COLUMNS) if "_" in c or len(c) > 3}, key=len,
                 reverse=True)


def _idle(page, timeout: int = 180_000) -> None:
    page.wait_for_function(
        """() => { const a = document.querySelector('[data-testid="stApp"]');
                   return a && a.getAttribute('data-test-script-state') === 'notRunning'; }""",
        timeout=timeout, polling=100)
    page.wait_for_timeout(800)
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state')
                 === 'notRunning'""", timeout=timeout, polling=100)


def _open_page(page, key: str) -> None:
    page.goto(page.base_url, wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
    _idle(page)
    if key != "explore":
        page.get_by_text(PAGES[key], exact=True).click()
        _idle(page)
    if key == "planning":
        page.get_by_text("So sánh kịch bản").first.wait_for(timeout=180_000)
        _idle(page)


def _map_texts(page) -> list[str]:
    """The legend, layer control and a sample of tooltips and popups of every map."""
    out = []
    for frame in page.frames:
        if "streamlit_folium" not in frame.url:
            continue
        try:
            out.extend(frame.evaluate(
                """() => { const out = [document.body.innerText];
                   if (!window.map) return out; let n = 0;
                   window.map.eachLayer(l => {
                     if (n > 400) return;
                     for (const b of [l.getTooltip && l.getTooltip(), l.getPopup && l.getPopup()]) {
                       if (!b) continue; let c = b.getContent();
                       if (typeof c === 'function') { try { c = c(l); } catch (e) { c = ''; } }
                       if (c && c.nodeType) c = c.innerText || c.textContent;
                       if (typeof c === 'string') { const d = document.createElement('div');
                         d.innerHTML = c; out.push(d.innerText || d.textContent); n++; }
                     } });
                   return out; }"""))
        except Exception as exc:  # noqa: BLE001 - a map being replaced by a rerun
            out.append(f"<map not readable: {exc}>")
    return out


def _visible_text(page) -> str:
    """The body's text without Streamlit's icon ligatures (``keyboard_arrow_down`` is drawn
    as an arrow), the dataframes' accessible cells and the maps' texts."""
    parts = [page.evaluate(
        """() => { const b = document.body.cloneNode(true);
                   b.querySelectorAll('[data-testid="stIconMaterial"]').forEach(e => e.remove());
                   document.body.appendChild(b); b.style.position = 'absolute';
                   const t = b.innerText; b.remove(); return t; }""")]
    # the column headers of st.dataframe (a canvas grid) are in its accessible table
    parts += page.locator('[data-testid="stDataFrame"] [role="columnheader"]').all_inner_texts()
    parts += page.locator('[data-testid="stDataFrame"] [role="gridcell"]').all_inner_texts()
    parts += _map_texts(page)
    return "\n".join(parts)


def internal_codes(text: str) -> list[str]:
    """Internal codes in ``text``: snake_case tokens, schema column names, English value words."""
    found = set(SNAKE.findall(text))
    for col in COLUMNS:
        if re.search(rf"(?<![\w]){re.escape(col)}(?![\w])", text):
            found.add(col)
    for word in ENGLISH_VALUES:
        if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text):
            found.add(word)
    return sorted(found)


def test_internal_codes_detector():
    assert internal_codes("Xếp hạng: high, score_pop 0,3") == ["high", "score_pop"]
    assert internal_codes("Chưa điện, chưa sóng · 1.234 người") == []


def _screenshot(page, name: str) -> None:
    height = page.evaluate(
        """() => { const m = document.querySelector('[data-testid="stMain"]') || document.body;
                 return m.scrollHeight; }""")
    page.set_viewport_size({"width": 1500, "height": min(max(int(height) + 50, 1100), 8000)})
    page.wait_for_timeout(1500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size({"width": 1500, "height": 1100})


@XFAIL
@pytest.mark.parametrize("key", list(PAGES))
def test_vietnamese_page_shows_no_internal_codes(page, key):
    _open_page(page, key)
    text = _visible_text(page)
    leaks = internal_codes(text)
    _screenshot(page, f"{key}-vi.png")
    page.get_by_text("English", exact=True).click()
    _idle(page)
    _screenshot(page, f"{key}-en.png")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "leaks-vi.txt", "a", encoding="utf-8") as f:
        f.write(f"{key}: {', '.join(leaks) or '(none)'}\n")
    assert leaks == [], f"{key} page in Vietnamese shows internal codes: {leaks}"


_STATE = """() => {
    const groups = [...document.querySelectorAll('[data-testid="stSidebar"] [role="radiogroup"]')];
    const radios = groups.map(g => [...g.querySelectorAll('input[type=radio]')].findIndex(i => i.checked));
    const chips = [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stMultiSelect"]')]
        .map(m => m.querySelectorAll('[data-baseweb="tag"]').length);
    const marked = document.querySelectorAll('[data-testid="stAlertContentSuccess"]').length;
    return {lang: radios[0], page: radios[1], source: radios[2], chips: chips, selected: marked}; }"""


def _choose(page, box: str, option: str) -> None:
    for _ in range(5):
        page.get_by_role("combobox", name=box).click()
        opt = page.get_by_role("option", name=option, exact=True)
        try:
            opt.wait_for(timeout=3000)
            opt.click(timeout=3000)
            page.keyboard.press("Escape")
            return
        except Exception:  # noqa: BLE001 - a rerun closed the list: open it again
            page.keyboard.press("Escape")
    raise AssertionError(f"could not choose {option!r} in {box!r}")


@XFAIL
@pytest.mark.parametrize("key", list(PAGES))
def test_language_switch_keeps_page_source_filters_selection(page, key):
    _open_page(page, "explore")
    _choose(page, "Nhóm thiếu hụt", "Chưa điện, chưa sóng")        # a filter
    _idle(page)
    if key != "explore":
        page.get_by_text(PAGES[key], exact=True).click()
        _idle(page)
    before = page.evaluate(_STATE)
    assert before["lang"] == 0 and before["page"] == list(PAGES).index(key)
    page.get_by_text("English", exact=True).click()
    _idle(page)
    after = page.evaluate(_STATE)
    assert after["lang"] == 1
    assert {k: after[k] for k in ("page", "source")} == {k: before[k] for k in ("page", "source")}
    # back on the map page in English the filter is still chosen
    if key != "explore":
        page.get_by_text("Map and ranking", exact=True).click()
        _idle(page)
    assert page.evaluate(_STATE)["chips"][1] == 1, "the gap-class filter was lost"
    assert page.locator(MAP_IFRAME).count() >= 1
