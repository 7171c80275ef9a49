"""Numbers read as their readers read them: the separators come from the locale (Babel)."""

from __future__ import annotations

import math

import pytest

from gisapp.i18n import numbers as n


@pytest.mark.parametrize("lang, people, decimal, pct, dist", [
    ("vi", "47.047", "1.234,5", "12,3%", "1,2 km"),
    ("en", "47,047", "1,234.5", "12.3%", "1.2 km"),
])
def test_separators_follow_the_language(lang, people, decimal, pct, dist):
    assert n.people(47047.045, lang) == people          # whole people, never "47,047.045"
    assert n.number(1234.5, lang, digits=1) == decimal
    assert n.share(0.1234, lang) == pct
    assert n.km(1234, lang) == dist


def test_747_people_do_not_read_as_thousands():
    assert n.people(747.0, "vi") == "747"
    assert n.people(747.0, "en") == "747"


@pytest.mark.parametrize("value", [None, float("nan"), math.inf, -math.inf])
def test_missing_values_are_a_dash_not_none(value):
    for f in (n.people, n.share, n.km, n.usd):
        assert f(value, "vi") == "–"


def test_money_in_dong_words_beside_dollars():
    assert n.money(75700, "vi", vnd_per_usd=25_000) == "1,9 tỷ đồng (75.700 USD)"
    assert n.money(75700, "en", vnd_per_usd=25_000) == "VND 1.9 billion (75,700 USD)"
    assert n.vnd(75.7e6, "vi") == "75,7 triệu đồng"
    assert n.money(75700, "vi", vnd_per_usd=None) == "75.700 USD"


def test_plural_categories_come_from_cldr():
    assert n.plural_form(1, "en") == "one" and n.plural_form(2, "en") == "other"
    assert n.plural_form(None, "en") == "other"
