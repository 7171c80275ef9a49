"""What a reader sees in their language: one catalogue of messages and the numbers.

* :mod:`gisapp.i18n.labels` — the message catalogue: every visible string as a key with its
  Vietnamese and English text; :func:`t` looks one up.
* :mod:`gisapp.i18n.numbers` — numbers, shares, distances and money formatted by Babel for
  the reader's locale.

The package sits low in gisapp (above :mod:`gisapp.schema` only), so the exports, the
command line and the app use the same words and the same number formats.
"""

from gisapp.i18n.labels import GAP_LABELS, LABELS, LANGS, compare_column_label, gap_label, t

__all__ = ["LANGS", "LABELS", "GAP_LABELS", "t", "gap_label", "compare_column_label"]
