"""Numbers, money, distances and shares as their reader reads them, through Babel.

Vietnamese groups thousands with a dot and marks decimals with a comma (``1.234,5``);
English the other way round (``1,234.5``). A reader who meets "747.000" for 747 people
takes it for seven hundred thousand, so nothing here formats by hand: every function asks
Babel (the CLDR data of each locale). People are whole numbers; the data keep exact values.
Money is shown in đồng with the CLDR words (``triệu``, ``tỷ``) beside US dollars, converted
at the rate the config states.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from babel import Locale
from babel.numbers import format_compact_decimal, format_decimal, format_percent

__all__ = ["LOCALES", "locale_of", "is_missing", "number", "people", "share", "km", "usd",
           "vnd", "money", "plural_form", "grouped", "percent"]

#: UI language → Babel locale.
LOCALES = {"vi": "vi_VN", "en": "en_GB"}
MISSING = "–"


def locale_of(lang: str) -> str:
    """The Babel locale for a UI language (``"vi"`` → ``"vi_VN"``); unknown → English."""
    return LOCALES.get(lang, LOCALES["en"])


def is_missing(value: Any) -> bool:
    """True for None, NaN and ±inf: values a reader should see as "–", never as "None"."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def number(value: Any, lang: str, *, digits: int = 0) -> str:
    """``value`` with ``digits`` decimals, grouped for ``lang``; missing → "–"."""
    if is_missing(value):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    try:
        return format_decimal(round(float(value), digits), format=pattern, locale=locale_of(lang))
    except ArithmeticError:         # beyond what a Decimal holds (1e300 people): plain form
        return f"{float(value):.6g}"


def people(value: Any, lang: str) -> str:
    """A count of people as a whole number (47,047.045 → "47.047" in Vietnamese)."""
    return number(value, lang, digits=0)


def share(value: Any, lang: str, *, digits: int = 1) -> str:
    """A share in 0…1 as a percentage with ``digits`` decimals (0.1234 → "12,3 %")."""
    if is_missing(value):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return format_percent(float(value), format=pattern, locale=locale_of(lang))


def km(metres: Any, lang: str, *, digits: int = 1) -> str:
    """A distance given in metres, shown in kilometres (1234 → "1,2 km")."""
    if is_missing(metres):
        return MISSING
    return f"{number(float(metres) / 1000.0, lang, digits=digits)} km"


def usd(value: Any, lang: str) -> str:
    """US dollars, whole, grouped for ``lang`` (75700 → "75.700 USD")."""
    if is_missing(value):
        return MISSING
    return f"{number(value, lang)} USD"


def vnd(value_vnd: Any, lang: str) -> str:
    """Đồng in the words the reader uses: "1,8 tỷ đồng", "75,7 triệu đồng" (English
    "VND 1.8 billion"). Below a million the amount is written in full."""
    if is_missing(value_vnd):
        return MISSING
    v = float(value_vnd)
    loc = locale_of(lang)
    if abs(v) < 1e6:
        text = number(v, lang)
    else:
        text = format_compact_decimal(v, format_type="long", locale=loc, fraction_digits=1)
    return f"{text} đồng" if lang == "vi" else f"VND {text}"


def money(value_usd: Any, lang: str, *, vnd_per_usd: float | None) -> str:
    """A cost given in USD as đồng beside dollars ("1,8 tỷ đồng (75.700 USD)"), at the
    config's rate; without a rate, dollars only."""
    if is_missing(value_usd):
        return MISSING
    if not vnd_per_usd:
        return usd(value_usd, lang)
    return f"{vnd(float(value_usd) * vnd_per_usd, lang)} ({usd(value_usd, lang)})"


def plural_form(count: Any, lang: str) -> str:
    """The CLDR plural category of ``count`` in ``lang`` ("one", "other" …)."""
    return Locale.parse(locale_of(lang)).plural_form(abs(int(count)) if not is_missing(count) else 0)


def _symbols(lang: str) -> tuple[str, str]:
    sym = Locale.parse(locale_of(lang)).number_symbols.get("latn", {})
    return sym.get("group", ","), sym.get("decimal", ".")


def grouped(values: pd.Series, lang: str, *, digits: int = 0, suffix: str = "") -> pd.Series:
    """A whole column of numbers, grouped, with ``digits`` decimals, in the locale's own
    symbols (read from Babel once, not per cell: a table of 10,000 villages stays fast);
    missing → "–"."""
    x = pd.to_numeric(values, errors="coerce").astype("float64")
    ok = np.isfinite(x.to_numpy())
    group, decimal = _symbols(lang)
    table = str.maketrans({",": group, ".": decimal})
    text = [f"{v:,.{digits}f}".translate(table) + suffix if good else MISSING
            for v, good in zip(x.to_numpy(), ok)]
    return pd.Series(text, index=values.index, dtype=object)


def percent(values: pd.Series, lang: str) -> pd.Series:
    """A column of shares in 0…1 as percentages with one decimal ("12,3%" / "12.3%")."""
    return grouped(pd.to_numeric(values, errors="coerce") * 100.0, lang, digits=1, suffix="%")
