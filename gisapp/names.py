"""Vietnamese place names: normalise them and match lists from different offices.

Village lists come from different offices (the commune, EVN, the carriers) and spell
the same place differently: "Bản Nà Xạ", "ban na xa", "NÀ XẠ", "Thôn 03" / "Thôn 3",
"Xã Mường Lạn" / "Mường Lạn". :func:`normalise_name` folds these to one key;
:func:`match_by_name` joins two tables on that key *within the same commune* and
reports what did not match and what is ambiguous (it never guesses).

Keys are compared without spaces (:func:`name_key`), because official files also
differ in spacing ("Nà Xạ" vs "NàXạ" in the 2019 census tables).
"""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "VILLAGE_PREFIXES", "COMMUNE_PREFIXES", "fold", "normalise_name", "name_key", "slug",
    "NameMatch", "match_by_name",
]

log = logging.getLogger(__name__)

#: Village-level prefixes as written (lowercase, NFC), longest first where one is the
#: start of another ("tổ dân phố" before "tổ"). A token written *without* diacritics
#: also counts ("ban na xa"), but one with other diacritics does not: "Tô Múa" and
#: "Bàn Cờ" keep their first word.
VILLAGE_PREFIXES: tuple[str, ...] = (
    "tổ dân phố", "tdp", "khu phố", "thôn", "bản", "xóm", "làng", "ấp", "khu", "tổ",
    "buôn", "plei", "plây", "khóm", "sóc",
)
#: Commune-level prefixes.
COMMUNE_PREFIXES: tuple[str, ...] = ("thị trấn", "tt", "xã", "phường")

_NON_WORD = re.compile(r"[^0-9a-z]+")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")
_SPLIT = re.compile(r"[\W_]+")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lowercase ASCII form of ``text``: NFC, lowercase, diacritics removed, đ → d.

    Punctuation and spacing are kept; see :func:`normalise_name` for the full key.
    """
    text = unicodedata.normalize("NFC", text).lower().replace("đ", "d")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


_PREFIXES = tuple(
    sorted((tuple(p.split()) for p in VILLAGE_PREFIXES + COMMUNE_PREFIXES), key=len, reverse=True)
)


def _is_missing(name: Any) -> bool:
    if name is None or name is pd.NA:
        return True
    try:
        return bool(isinstance(name, float) and np.isnan(name))
    except TypeError:  # pragma: no cover
        return False


@lru_cache(maxsize=65536)
def _normalise_str(name: str) -> str:
    raw = [t for t in _SPLIT.split(unicodedata.normalize("NFC", name).lower()) if t]
    n_prefix = 0
    for prefix in _PREFIXES:
        n = len(prefix)
        # only a prefix when something follows it: a village called just "Bản" keeps its name
        if len(raw) > n and all(
            tok == p or (tok.isascii() and tok == fold(p)) for tok, p in zip(raw, prefix)
        ):
            n_prefix = n
            break
    tokens = _NON_WORD.sub(" ", fold(" ".join(raw[n_prefix:]))).split()
    return _LEADING_ZEROS.sub("", " ".join(tokens))


def normalise_name(name: Any) -> str:
    """Normalised form of a Vietnamese village or commune name.

    NFC, lowercase, diacritics removed (đ → d), punctuation turned into spaces, spaces
    collapsed, one leading administrative prefix dropped (village level: thôn, bản,
    xóm, làng, ấp, khu, khu phố, tổ dân phố, TDP, tổ, buôn, plei/plây, khóm, sóc;
    commune level: xã, phường, thị trấn, TT) and leading zeros of numbers removed.

    Parameters
    ----------
    name
        A name; None, NaN and NA give ``""``. Numbers are read as text.

    Returns
    -------
    str
        E.g. ``"Bản Nà Xạ"`` → ``"na xa"``, ``"Thôn 03"`` → ``"3"``,
        ``"TT. Mường Tè"`` → ``"muong te"``.
    """
    if _is_missing(name):
        return ""
    return _normalise_str(str(name))


def name_key(name: Any) -> str:
    """The matching key: :func:`normalise_name` without spaces (``"Nà Xạ"`` = ``"NàXạ"``)."""
    return normalise_name(name).replace(" ", "")


def slug(text: Any) -> str:
    """ASCII identifier for column names: ``"Trạm y tế"`` → ``"tram_y_te"``."""
    if _is_missing(text):
        return ""
    return _NON_WORD.sub("_", fold(str(text))).strip("_")


def _keys(values: pd.Series) -> pd.Series:
    """Vectorised :func:`name_key` (the function runs once per distinct value)."""
    values = pd.Series(values, dtype=object)
    uniques = pd.unique(values)
    mapping = {u: name_key(u) for u in uniques if not _is_missing(u)}
    return values.map(mapping).fillna("").astype(object)


@dataclass(frozen=True)
class NameMatch:
    """Result of :func:`match_by_name`.

    Attributes
    ----------
    pairs
        Columns ``left_index``, ``right_index`` (index labels of the two tables) and
        ``method`` (``"exact"``: same normalised name within the same normalised commune).
    unmatched_left, unmatched_right
        Rows of each table that found no partner and are not ambiguous, with their own
        columns plus ``name_key`` and ``commune_key``; ``unmatched_right`` also has
        ``suggestion``: the closest unmatched left name in the same commune (or NA).
    ambiguous
        Rows (of either side) whose key occurs more than once within its commune on
        either side: columns ``side`` ("left"/"right"), ``index``, ``name``,
        ``commune``, ``name_key``, ``commune_key``. They are not matched.
    """

    pairs: pd.DataFrame
    unmatched_left: pd.DataFrame
    unmatched_right: pd.DataFrame
    ambiguous: pd.DataFrame

    @property
    def n_matched(self) -> int:
        return len(self.pairs)


def match_by_name(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    left_name: str,
    right_name: str,
    left_commune: str | None = None,
    right_commune: str | None = None,
    suggest: bool = True,
) -> NameMatch:
    """Match two tables by normalised Vietnamese name within the same commune.

    Parameters
    ----------
    left, right
        The tables (e.g. the villages and a declared electricity list). Not changed.
    left_name, right_name
        Name columns.
    left_commune, right_commune
        Commune columns. When either is None, names are matched over the whole table
        (so the same name in two communes becomes ambiguous rather than wrongly matched).
    suggest
        Add the closest unmatched left name of the same commune (difflib ratio ≥ 0.75)
        to each unmatched right row, as a hint for the person fixing the list.

    Returns
    -------
    NameMatch
        Pairs, unmatched rows of each side, ambiguous rows.

    Notes
    -----
    A row with an empty name never matches. A key that occurs twice on either side
    within a commune is *ambiguous*: every row with that key, on both sides, is
    reported in ``ambiguous`` and none is matched.
    """
    for frame, col, side in ((left, left_name, "left"), (right, right_name, "right")):
        if col not in frame.columns:
            raise KeyError(f"{side} table has no column '{col}'")
    use_commune = left_commune is not None and right_commune is not None
    lk = pd.DataFrame(
        {
            "name_key": _keys(left[left_name]).to_numpy(),
            "commune_key": _keys(left[left_commune]).to_numpy() if use_commune else "",
            "pos": np.arange(len(left)),
        }
    )
    rk = pd.DataFrame(
        {
            "name_key": _keys(right[right_name]).to_numpy(),
            "commune_key": _keys(right[right_commune]).to_numpy() if use_commune else "",
            "pos": np.arange(len(right)),
        }
    )
    keycols = ["commune_key", "name_key"]
    l_ok = lk[lk["name_key"] != ""]
    r_ok = rk[rk["name_key"] != ""]
    dup_keys = pd.concat(
        [
            l_ok.loc[l_ok.duplicated(keycols, keep=False), keycols],
            r_ok.loc[r_ok.duplicated(keycols, keep=False), keycols],
        ]
    ).drop_duplicates()
    l_amb = l_ok.merge(dup_keys, on=keycols, how="left", indicator=True)["_merge"].eq("both").to_numpy()
    r_amb = r_ok.merge(dup_keys, on=keycols, how="left", indicator=True)["_merge"].eq("both").to_numpy()
    l_unique, r_unique = l_ok[~l_amb], r_ok[~r_amb]
    merged = l_unique.merge(r_unique, on=keycols, how="inner", suffixes=("_l", "_r"))
    pairs = pd.DataFrame(
        {
            "left_index": left.index.to_numpy()[merged["pos_l"].to_numpy()],
            "right_index": right.index.to_numpy()[merged["pos_r"].to_numpy()],
            "method": pd.Series(["exact"] * len(merged), dtype=object),
        }
    )

    def _rest(frame: pd.DataFrame, keys: pd.DataFrame, used: np.ndarray, amb_pos: np.ndarray) -> pd.DataFrame:
        mask = np.ones(len(frame), dtype=bool)
        mask[used] = False
        mask[amb_pos] = False
        out = frame.iloc[mask].copy()
        out["name_key"] = keys["name_key"].to_numpy()[mask]
        out["commune_key"] = keys["commune_key"].to_numpy()[mask]
        return out

    l_amb_pos = l_ok["pos"].to_numpy()[l_amb]
    r_amb_pos = r_ok["pos"].to_numpy()[r_amb]
    unmatched_left = _rest(left, lk, merged["pos_l"].to_numpy(), l_amb_pos)
    unmatched_right = _rest(right, rk, merged["pos_r"].to_numpy(), r_amb_pos)

    def _amb(frame: pd.DataFrame, keys: pd.DataFrame, pos: np.ndarray, side: str,
             name_col: str, commune_col: str | None) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "side": [side] * len(pos),
                "index": frame.index.to_numpy()[pos],
                "name": frame[name_col].to_numpy()[pos],
                "commune": (frame[commune_col].to_numpy()[pos] if commune_col else [pd.NA] * len(pos)),
                "name_key": keys["name_key"].to_numpy()[pos],
                "commune_key": keys["commune_key"].to_numpy()[pos],
            }
        )

    ambiguous = pd.concat(
        [
            _amb(left, lk, l_amb_pos, "left", left_name, left_commune if use_commune else None),
            _amb(right, rk, r_amb_pos, "right", right_name, right_commune if use_commune else None),
        ],
        ignore_index=True,
    )
    if suggest:
        unmatched_right["suggestion"] = _suggestions(unmatched_left, unmatched_right, left_name)
    if len(ambiguous) or len(unmatched_right):
        log.info(
            "name match: %d pairs, %d unmatched left, %d unmatched right, %d ambiguous rows",
            len(pairs), len(unmatched_left), len(unmatched_right), len(ambiguous),
        )
    return NameMatch(pairs, unmatched_left, unmatched_right, ambiguous)


def _suggestions(ul: pd.DataFrame, ur: pd.DataFrame, left_name: str) -> pd.Series:
    """Closest unmatched left name in the same commune for each unmatched right row.

    A loop over *unmatched* rows only (difflib has no vectorised form); it runs per
    commune so candidates stay few.
    """
    out = pd.Series(pd.NA, index=ur.index, dtype=object)
    if ur.empty or ul.empty:
        return out
    cands: dict[str, dict[str, Any]] = {}
    for ck, key, name in zip(ul["commune_key"], ul["name_key"], ul[left_name]):
        if key:
            cands.setdefault(ck, {}).setdefault(key, name)
    values = []
    for ck, key in zip(ur["commune_key"], ur["name_key"]):
        pool = cands.get(ck)
        best = difflib.get_close_matches(key, list(pool), n=1, cutoff=0.75) if (pool and key) else []
        values.append(pool[best[0]] if best else pd.NA)
    out[:] = values
    return out
