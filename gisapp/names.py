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

from gisapp.text import fold, slug

__all__ = [
    "VILLAGE_PREFIXES", "COMMUNE_PREFIXES", "fold", "normalise_name", "name_key", "name_keys",
    "marked_key", "slug", "NameMatch", "match_by_name",
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
def _normalise_str(name: str, keep_marks: bool = False) -> str:
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
        # a multi-word prefix glued into one token, as in the census ("ThịTrấn X")
        if n > 1 and len(raw) > 1 and (raw[0] == "".join(prefix) or (
            raw[0].isascii() and raw[0] == fold("".join(prefix))
        )):
            n_prefix = 1
            break
    rest = " ".join(raw[n_prefix:])
    if keep_marks:
        tokens = _SPLIT.sub(" ", rest).split()
    else:
        tokens = _NON_WORD.sub(" ", fold(rest)).split()
    return _LEADING_ZEROS.sub("", " ".join(tokens))


def normalise_name(name: Any) -> str:
    """Normalised form of a Vietnamese village or commune name.

    NFC, lowercase, diacritics removed (đ → d), punctuation turned into spaces, spaces
    collapsed, one leading administrative prefix dropped (village level: thôn, bản,
    xóm, làng, ấp, khu, khu phố, tổ dân phố, TDP, tổ, buôn, plei/plây, khóm, sóc;
    commune level: xã, phường, thị trấn, TT; also glued, as in "ThịTrấn") and leading
    zeros of numbers removed.

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


def marked_key(name: Any) -> str:
    """Like :func:`name_key` but keeping diacritics: ``"Hoằng Đồng"`` → ``"hoằngđồng"``.

    Names differing only by tone marks are different places (the 2019 census has 20
    such pairs of communes within one district, e.g. Hoằng Đồng / Hoằng Đông), so
    :func:`match_by_name` tries this key first.
    """
    if _is_missing(name):
        return ""
    return _normalise_str(str(name), True).replace(" ", "")


def name_keys(values: pd.Series, func=name_key) -> np.ndarray:
    """``func`` (default :func:`name_key`) of every value, as an object array; missing → ``""``.

    Vectorised: ``func`` runs once per distinct value.
    """
    values = pd.Series(values, dtype=object)
    uniques = pd.unique(values)
    mapping = {u: func(u) for u in uniques if not _is_missing(u)}
    return values.map(mapping).fillna("").to_numpy(dtype=object)


@dataclass(frozen=True)
class NameMatch:
    """Result of :func:`match_by_name`.

    Attributes
    ----------
    pairs
        Columns ``left_index``, ``right_index`` (index labels of the two tables) and
        ``method``: ``"exact"`` (same normalised name within the same normalised
        commune, diacritics included) or ``"folded"`` (equal once diacritics are
        removed, e.g. "Huổi Lếch" and "Huoi Lech").
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


def _match_pass(
    lk: pd.DataFrame, rk: pd.DataFrame, key: str, also_ambiguous: pd.DataFrame | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One merge on (commune_key, key): matched positions and ambiguous positions.

    ``also_ambiguous`` holds further (commune_key, key) pairs to treat as ambiguous.
    """
    cols = ["commune_key", key]
    l_ok = lk[lk[key] != ""]
    r_ok = rk[rk[key] != ""]
    dup = pd.concat(
        [l_ok.loc[l_ok.duplicated(cols, keep=False), cols],
         r_ok.loc[r_ok.duplicated(cols, keep=False), cols],
         *([also_ambiguous[cols]] if also_ambiguous is not None else [])]
    ).drop_duplicates()
    dup["_dup"] = True
    l_amb = l_ok[cols].merge(dup, on=cols, how="left")["_dup"].notna().to_numpy()
    r_amb = r_ok[cols].merge(dup, on=cols, how="left")["_dup"].notna().to_numpy()
    merged = l_ok[~l_amb].merge(r_ok[~r_amb], on=cols, how="inner", suffixes=("_l", "_r"))
    return (
        merged["pos_l"].to_numpy(dtype=np.intp), merged["pos_r"].to_numpy(dtype=np.intp),
        l_ok["pos"].to_numpy(dtype=np.intp)[l_amb], r_ok["pos"].to_numpy(dtype=np.intp)[r_amb],
    )


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
        Add the closest unmatched left name of the same commune (difflib ratio ≥ 0.6)
        to each unmatched right row, as a hint for the person fixing the list.

    Returns
    -------
    NameMatch
        Pairs, unmatched rows of each side, ambiguous rows.

    Notes
    -----
    Two passes, each a pandas merge on keys: first names with their diacritics
    (:func:`marked_key`), so "Hoằng Đồng" and "Hoằng Đông" stay apart; then the rest
    without diacritics (:func:`name_key`), so "Huoi Lech" finds "Huổi Lếch". Communes
    are always compared without diacritics. A row with an empty name never matches. A
    key that occurs twice on either side within a commune is *ambiguous*: every row
    with that key, on both sides, is reported in ``ambiguous`` and none is matched.
    """
    for frame, col, side in ((left, left_name, "left"), (right, right_name, "right")):
        if col not in frame.columns:
            raise KeyError(f"{side} table has no column '{col}'")
    use_commune = left_commune is not None and right_commune is not None

    def _frame(df: pd.DataFrame, name: str, commune: str | None) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "name_key": name_keys(df[name]),
                "marked_key": name_keys(df[name], marked_key),
                "commune_key": name_keys(df[commune]) if use_commune else np.full(len(df), "", dtype=object),
                "pos": np.arange(len(df), dtype=np.intp),
            }
        )

    lk = _frame(left, left_name, left_commune)
    rk = _frame(right, right_name, right_commune)
    l1, r1, la1, ra1 = _match_pass(lk, rk, "marked_key")
    l_rest = np.ones(len(lk), dtype=bool)
    l_rest[np.concatenate([l1, la1])] = False
    r_rest = np.ones(len(rk), dtype=bool)
    r_rest[np.concatenate([r1, ra1])] = False
    # a row whose name equals, without diacritics, a name found ambiguous with them is
    # ambiguous too ("Nga Thành" when "Nga Thanh" is listed twice)
    amb1 = pd.concat([lk.iloc[la1], rk.iloc[ra1]])
    l2, r2, la2, ra2 = _match_pass(lk[l_rest], rk[r_rest], "name_key", amb1)
    lpos, rpos = np.concatenate([l1, l2]), np.concatenate([r1, r2])
    pairs = pd.DataFrame(
        {
            "left_index": left.index.to_numpy()[lpos],
            "right_index": right.index.to_numpy()[rpos],
            "method": pd.Series(["exact"] * len(l1) + ["folded"] * len(l2), dtype=object),
        }
    )
    l_amb, r_amb = np.concatenate([la1, la2]), np.concatenate([ra1, ra2])

    def _rest(frame: pd.DataFrame, keys: pd.DataFrame, used: np.ndarray, amb: np.ndarray) -> pd.DataFrame:
        mask = np.ones(len(frame), dtype=bool)
        mask[used] = False
        mask[amb] = False
        out = frame.iloc[mask].copy()
        out["name_key"] = keys["name_key"].to_numpy()[mask]
        out["commune_key"] = keys["commune_key"].to_numpy()[mask]
        return out

    unmatched_left = _rest(left, lk, lpos, l_amb)
    unmatched_right = _rest(right, rk, rpos, r_amb)

    def _amb(frame: pd.DataFrame, keys: pd.DataFrame, pos: np.ndarray, side: str,
             name_col: str, commune_col: str | None) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "side": pd.Series([side] * len(pos), dtype=object),
                "index": frame.index.to_numpy()[pos],
                "name": frame[name_col].to_numpy(dtype=object)[pos],
                "commune": (frame[commune_col].to_numpy(dtype=object)[pos] if commune_col
                            else np.full(len(pos), None, dtype=object)),
                "name_key": keys["name_key"].to_numpy()[pos],
                "commune_key": keys["commune_key"].to_numpy()[pos],
            }
        )

    ambiguous = pd.concat(
        [
            _amb(left, lk, np.sort(l_amb), "left", left_name, left_commune if use_commune else None),
            _amb(right, rk, np.sort(r_amb), "right", right_name, right_commune if use_commune else None),
        ],
        ignore_index=True,
    )
    if suggest:
        unmatched_right["suggestion"] = _suggestions(unmatched_left, unmatched_right, left_name)
    log.info(
        "name match: %d pairs (%d without diacritics), %d unmatched left, %d unmatched right, "
        "%d ambiguous rows", len(pairs), len(l2), len(unmatched_left), len(unmatched_right),
        len(ambiguous),
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
        best = difflib.get_close_matches(key, list(pool), n=1, cutoff=0.6) if (pool and key) else []
        values.append(pool[best[0]] if best else pd.NA)
    out[:] = values
    return out
