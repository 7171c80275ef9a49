"""Text folding shared by every layer: one diacritic fold, one slug.

This module sits at the bottom of the package (beside :mod:`gisapp.errors` and
:mod:`gisapp.schema`) so that column keys, name matching, file names and the UI all
fold Vietnamese text the same way. :mod:`gisapp.names` builds its matching keys on
:func:`fold`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

__all__ = ["nfc", "strip_marks", "fold", "slug"]

_NON_WORD = re.compile(r"[^0-9a-z]+")


def nfc(text: str) -> str:
    """``text`` in Unicode NFC (composed) form, as Vietnamese names are compared and stored."""
    return unicodedata.normalize("NFC", text)


def strip_marks(text: str) -> str:
    """``text`` without its diacritics (đ → d, Đ → D), case kept: "Bản Đôn" → "Ban Don"."""
    text = unicodedata.normalize("NFKD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in text if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lowercase ASCII form of ``text``: NFC, lowercase, diacritics removed, đ → d.

    Punctuation and spacing are kept: ``fold("Bản Nà Lừa")`` is ``"ban na lua"``.
    """
    return strip_marks(unicodedata.normalize("NFC", text).lower())


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pandas.NA raises TypeError on bool()
    except TypeError:
        return True


def slug(text: Any) -> str:
    """ASCII identifier for keys and file names: ``slug("Trạm y tế")`` is ``"tram_y_te"``.

    Missing values (None, NaN, ``pandas.NA``) give ``""``.
    """
    if _missing(text):
        return ""
    return _NON_WORD.sub("_", fold(str(text))).strip("_")
