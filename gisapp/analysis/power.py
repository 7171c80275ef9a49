"""Electricity status per village: a declared list, grid distance and night lights.

Rules (see :class:`gisapp.config.PowerRules` and the module doc of :mod:`gisapp.config`):

1. a declared ``yes``/``no`` (an electricity list) wins — kind ``declared``;
2. otherwise ``yes`` within ``grid_max_m`` of a medium-voltage line — kind ``distance``;
3. otherwise ``yes`` with night lights ≥ ``lights_min_radiance`` — kind ``lights``;
4. otherwise ``no`` beyond ``grid_unknown_m`` when there are no lights (no lights layer,
   no value for the village, or a value below the threshold) — kind ``distance``;
5. otherwise ``unknown``, with the reason in the evidence.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gisapp import schema
from gisapp.config import PowerRules
from gisapp.errors import DuplicateIdError, InputError, MissingColumnError
from gisapp.names import NameMatch, fold, match_by_name

__all__ = ["YES_WORDS", "NO_WORDS", "parse_status", "declared_power", "power_status"]

log = logging.getLogger(__name__)

YES, NO, UNKNOWN = (str(s) for s in schema.PowerStatus)

#: Accepted spellings, compared after lowercasing, removing diacritics and trimming.
YES_WORDS = frozenset(
    {"yes", "y", "true", "t", "1", "1.0", "co", "co dien", "da co dien", "x", "electrified"}
)
NO_WORDS = frozenset(
    {"no", "n", "false", "f", "0", "0.0", "khong", "k", "chua", "chua co dien",
     "khong co dien", "not electrified"}
)
_HOW_TO_WRITE = (
    "write yes or no (also có/không, có điện/chưa có điện, y/n, 1/0, true/false, "
    "x for yes) or leave the cell blank for unknown"
)


def _fold_status(value: str) -> str:
    text = fold(unicodedata.normalize("NFC", value)).strip()
    return " ".join(text.split())


def parse_status(
    values: pd.Series, *, path: object = None, column: str | None = None
) -> pd.Series:
    """Read declared electricity statuses into ``"yes"``/``"no"``/``"unknown"``.

    Parameters
    ----------
    values
        Cells of the status column (text, numbers or booleans).
    path, column
        The file and column, named in the error message.

    Returns
    -------
    pandas.Series
        Same index, object dtype, values ``"yes"``, ``"no"``, ``"unknown"`` (blank cells).

    Raises
    ------
    InputError
        Some cells are neither yes/no nor blank. The message names the column, the
        first rows (counting the header as row 1, as in a spreadsheet) and the values.
    """
    s = pd.Series(values, copy=False)
    if s.empty:
        return pd.Series([], index=s.index, dtype=object)
    obj = s.astype(object)
    missing = obj.isna().to_numpy()
    uniques = pd.unique(obj[~missing])
    mapping: dict[Any, str] = {}
    for u in uniques:
        if isinstance(u, (bool, np.bool_)):
            mapping[u] = YES if u else NO
            continue
        if isinstance(u, (int, float, np.integer, np.floating)) and not isinstance(u, bool):
            word = "1" if u == 1 else "0" if u == 0 else str(u)
        else:
            word = _fold_status(str(u))
        mapping[u] = YES if word in YES_WORDS else NO if word in NO_WORDS else (
            UNKNOWN if word == "" else "?"
        )
    out = obj.map(mapping).where(~missing, UNKNOWN).astype(object)
    bad = (out == "?").to_numpy()
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = ", ".join(str(r + 2) for r in rows[:5]) + (" …" if len(rows) > 5 else "")
        found = pd.unique(obj[bad])
        vals = ", ".join(repr(str(v)) for v in found[:5]) + (" …" if len(found) > 5 else "")
        col = f"column '{column}'" if column else "the status column"
        raise InputError(
            f"{col} has {len(rows)} value(s) that are not a yes/no status, in rows {shown} "
            f"(counting the header as row 1): {vals}; {_HOW_TO_WRITE}",
            path=path, layer="electricity list",
        )
    return out


def _id_key(values: pd.Series) -> pd.Series:
    """Ids as comparable strings: trimmed, lowercase, ``12.0`` → ``12``, ``0012`` → ``12``."""
    s = pd.Series(values, copy=False).astype(object)
    missing = s.isna()
    txt = s.where(missing, s.astype(str)).astype("string").str.strip().str.lower()
    txt = txt.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    txt = txt.str.replace(r"^0+(?=\d)", "", regex=True)
    return txt.where(~missing, pd.NA)


def _require(frame: pd.DataFrame, cols: list[str | None], *, path: object, layer: str) -> None:
    absent = [c for c in cols if c is not None and c not in frame.columns]
    if absent:
        raise MissingColumnError(
            f"no column {', '.join(repr(c) for c in absent)}; the columns are: "
            f"{', '.join(map(str, frame.columns))}. Fix the column names in the config",
            path=path, layer=layer,
        )


def declared_power(
    villages: pd.DataFrame,
    table: pd.DataFrame,
    *,
    village_id_col: str | None,
    village_name_col: str | None,
    village_commune_col: str | None,
    list_id: str | None = None,
    list_name: str | None = None,
    list_commune: str | None = None,
    list_status: str,
    path: object = None,
) -> tuple[pd.Series, NameMatch | None]:
    """Declared electricity status per village from a list.

    Parameters
    ----------
    villages
        The village table (not changed).
    table
        The declared list (not changed).
    village_id_col, village_name_col, village_commune_col
        Village columns used for the join.
    list_id
        Id column of the list: join on ids (compared as normalised strings: trimmed,
        lowercase, ``"12.0"`` and ``"0012"`` equal ``"12"``).
    list_name, list_commune
        Otherwise, join on Vietnamese names within the commune
        (:func:`gisapp.names.match_by_name`).
    list_status
        Status column, read with :func:`parse_status`.
    path
        The list's file, for messages.

    Returns
    -------
    (pandas.Series, NameMatch | None)
        Status (``"yes"``/``"no"``/``"unknown"``) indexed like ``villages``; ``unknown``
        where the village is not on the list or is ambiguous. The NameMatch of a name
        join (None for an id join), for the run report's unmatched names.

    Raises
    ------
    MissingColumnError
        A named column is not in its table.
    DuplicateIdError
        The same id is listed twice with different statuses.
    InputError
        Bad status values (see :func:`parse_status`), or neither ``list_id`` nor
        ``list_name`` given.
    """
    layer = "electricity list"
    _require(table, [list_id, list_name, list_commune, list_status], path=path, layer=layer)
    status = parse_status(table[list_status], path=path, column=list_status)
    out = pd.Series(UNKNOWN, index=villages.index, dtype=object, name=schema.POWER_STATUS)
    if list_id is not None:
        if village_id_col is None or village_id_col not in villages.columns:
            raise MissingColumnError(
                f"the electricity list is joined by id ('{list_id}') but the villages have no "
                f"id column '{village_id_col}'; set [villages] id in the config",
                layer="villages",
            )
        lst = pd.DataFrame({"key": _id_key(table[list_id]).to_numpy(), "status": status.to_numpy()})
        lst = lst[lst["key"].notna() & (lst["status"] != UNKNOWN)].drop_duplicates()
        conflict = lst["key"].duplicated(keep=False)
        if conflict.any():
            ids = pd.unique(lst.loc[conflict, "key"])
            raise DuplicateIdError(
                f"id(s) {', '.join(map(str, ids[:5]))} appear with both yes and no in column "
                f"'{list_status}'; keep one row per village",
                path=path, layer=layer,
            )
        vkey = _id_key(villages[village_id_col])
        mapped = vkey.map(pd.Series(lst["status"].to_numpy(), index=lst["key"].to_numpy()))
        out[:] = mapped.fillna(UNKNOWN).to_numpy(dtype=object)
        n_missing = int(len(lst) - vkey.isin(lst["key"]).sum()) if len(lst) else 0
        log.info("electricity list joined by id: %d villages on the list", int(mapped.notna().sum()))
        if n_missing > 0:
            log.warning("electricity list: %d listed ids are not village ids", n_missing)
        return out, None
    if list_name is None:
        raise InputError(
            "the electricity list needs list_id (a village id column) or list_name (a village "
            "name column, with list_commune) to be joined to the villages",
            path=path, layer=layer,
        )
    if village_name_col is None:
        raise MissingColumnError(
            "the electricity list is joined by name but the villages have no name column; "
            "set [villages] name in the config",
            layer="villages",
        )
    _require(villages, [village_name_col, village_commune_col], path=None, layer="villages")
    match = match_by_name(
        villages, table,
        left_name=village_name_col, right_name=list_name,
        left_commune=village_commune_col, right_commune=list_commune,
    )
    if len(match.pairs):
        out.loc[match.pairs["left_index"].to_numpy()] = (
            status.loc[match.pairs["right_index"].to_numpy()].to_numpy(dtype=object)
        )
    return out, match


@dataclass(frozen=True)
class _Tests:
    """Each test of the rule per village: is there a value, does it pass."""

    has_d: np.ndarray
    has_li: np.ndarray
    has_p: np.ndarray
    near: np.ndarray
    lit: np.ndarray
    far: np.ndarray
    pop_ok: np.ndarray        # passes the population test (always, when there is none)
    pop_test: bool            # min_population > 0

    @classmethod
    def build(cls, rules: PowerRules, d: np.ndarray, li: np.ndarray, p: np.ndarray) -> "_Tests":
        strict = bool(rules.strict)
        has_d, has_li, has_p = ~np.isnan(d), ~np.isnan(li), ~np.isnan(p)
        with np.errstate(invalid="ignore"):
            near = has_d & ((d < rules.grid_max_m) if strict else (d <= rules.grid_max_m))
            lit = has_li & ((li > rules.lights_min_radiance) if strict
                            else (li >= rules.lights_min_radiance))
            far = has_d & (d > rules.grid_unknown_m)
            pop_test = float(rules.min_population) > 0
            pop_ok = (has_p & ((p > rules.min_population) if strict
                               else (p >= rules.min_population))) if pop_test else np.ones(len(p), bool)
        return cls(has_d, has_li, has_p, near, lit, far, pop_ok, pop_test)


@dataclass(frozen=True)
class _Words:
    """The evidence sentences of each test, per village."""

    dist: np.ndarray          # "820 m from MV grid line"
    lit: np.ndarray           # "night lights 0.52 ≥ 0.3 nW/cm²/sr"
    dark: np.ndarray          # "night lights 0.1 < 0.3 nW/cm²/sr" / "no night lights value"
    pop: np.ndarray           # "340 people"
    thr: str
    strict: bool

    @classmethod
    def build(cls, rules: PowerRules, d: np.ndarray, li: np.ndarray, p: np.ndarray, *,
              lights_given: bool) -> "_Words":
        def _txt(x: np.ndarray, nd: int | None) -> np.ndarray:
            r = np.round(np.nan_to_num(x)) if nd is None else np.round(np.nan_to_num(x), nd)
            v = r.astype(np.int64) if nd is None else r
            return pd.Series(v).astype(str).to_numpy(dtype=object)

        strict = bool(rules.strict)
        thr = f"{rules.lights_min_radiance:g}"
        li_txt = _txt(li, 2)
        ge, lt = (">", "≤") if strict else ("≥", "<")
        dark = np.where(
            ~np.isnan(li), "night lights " + li_txt + f" {lt} " + thr + " nW/cm²/sr",
            "no night lights value" if lights_given else "no night lights layer",
        ).astype(object)
        return cls(dist=_txt(d, None) + " m from MV grid line",
                   lit="night lights " + li_txt + f" {ge} " + thr + " nW/cm²/sr",
                   dark=dark, pop=_txt(p, None) + " people", thr=thr, strict=strict)


def _any_rule(t: _Tests, w: _Words, rules: PowerRules) -> tuple[list, list, list, list]:
    """Near the grid or lit (and enough people, when there is a population test)."""
    dark = ~t.lit
    between = (w.dist + f" (between {rules.grid_max_m:g} and {rules.grid_unknown_m:g} m), "
               + w.dark)
    conds = [t.near & t.pop_ok, t.lit & t.pop_ok, t.far & dark, t.has_d, t.has_li]
    status = [YES, YES, NO, UNKNOWN, UNKNOWN]
    kind = ["distance", "lights", "distance", "distance", "lights"]
    evid = [w.dist, w.lit, w.dist + ", " + w.dark, between, w.dark + "; no grid distance"]
    if t.pop_test:
        few = t.has_p & ~t.pop_ok
        cmp_ = "≤" if w.strict else "<"
        conds = [few, (t.near | t.lit) & ~t.has_p, *conds]
        status = [NO, UNKNOWN, *status]
        kind = ["population", "population", *kind]
        evid = [w.pop + f" {cmp_} {rules.min_population:g} (too few for the rule)",
                f"population unknown (the rule needs {rules.min_population:g} people)", *evid]
    return conds, status, kind, evid


def _all_rule(t: _Tests, w: _Words, rules: PowerRules, *, use_d: bool,
              use_li: bool) -> tuple[list, list, list, list]:
    """Every test that has a layer passes (OnSSET's ElecStart); one failing is ``no``."""
    lt, ge = ("<", "≥") if w.strict else ("≤", ">")
    pgt, ple = (">", "≤") if w.strict else ("≥", "<")
    tests = []      # (kind, has value, passes, words when it passes, words when it fails)
    if use_d:
        tests.append(("distance", t.has_d, t.near, w.dist + f" {lt} {rules.grid_max_m:g} m",
                      np.where(t.has_d, w.dist + f" {ge} {rules.grid_max_m:g} m",
                               "no grid distance").astype(object)))
    if use_li:
        tests.append(("lights", t.has_li, t.lit, w.lit, w.dark))
    if t.pop_test:
        tests.append(("population", t.has_p, t.pop_ok,
                      w.pop + f" {pgt} {rules.min_population:g}",
                      np.where(t.has_p, w.pop + f" {ple} {rules.min_population:g}",
                               "population unknown").astype(object)))
    if not tests:
        return [], [], [], []
    n = len(t.has_d)
    passes = np.ones(n, bool)
    fails = np.zeros(n, bool)
    fail_kind = np.full(n, "", dtype=object)
    text = np.full(n, "", dtype=object)
    for k, has, ok, yes_w, no_w in tests:
        passes &= ok
        bad = has & ~ok
        fail_kind = np.where(bad & ~fails, k, fail_kind)
        fails |= bad
        sep = np.where(text == "", "", ", ")
        text = text + sep + np.where(ok, yes_w, no_w)
    known = np.zeros(n, bool)
    for _k, has, *_ in tests:
        known |= has
    return ([fails, passes, known], [NO, YES, UNKNOWN], [fail_kind, tests[0][0], tests[0][0]],
            ["fails the rule: " + text, "all of the rule: " + text, "rule undecided: " + text])


def power_status(
    index: pd.Index,
    *,
    declared: pd.Series | None = None,
    dist_grid_m: pd.Series | None = None,
    lights: pd.Series | None = None,
    rules: PowerRules,
    declared_source: str = "electricity list",
    declared_date: object = None,
    population: pd.Series | None = None,
) -> pd.DataFrame:
    """Electricity status of each village from the evidence at hand.

    Parameters
    ----------
    index
        The villages' index; every village gets one row.
    declared
        ``"yes"``/``"no"``/``"unknown"`` per village (from :func:`declared_power`).
    dist_grid_m
        Metres to the nearest medium-voltage line (NaN where unknown).
    lights
        Night-time lights, nW/cm²/sr (NaN where the raster has no value).
    rules
        Thresholds and how they combine (:class:`gisapp.config.PowerRules`): with
        ``combine = "any"`` (default) the rules of the module doc; with ``"all"`` a village
        is ``yes`` when every test that has a layer passes (near the grid, lit, and more
        than ``min_population`` people), ``no`` when one of them fails, ``unknown``
        otherwise. ``min_population`` > 0 also bars ``yes`` under ``"any"``.
    declared_source, declared_date
        Words for the evidence of declared values.
    population
        People per village (NaN where unknown), for ``min_population``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``index``, columns ``power_status`` (yes/no/unknown),
        ``power_evidence`` (plain words, e.g. ``"820 m from MV grid line"``) and
        ``power_evidence_kind`` (declared/distance/lights; NA when no evidence).
    """
    index = pd.Index(index)
    n = len(index)

    def _num(s: pd.Series | None) -> np.ndarray:
        if s is None:
            return np.full(n, np.nan)
        return pd.to_numeric(pd.Series(s).reindex(index), errors="coerce").to_numpy(dtype=float)

    dec = (
        pd.Series(declared).reindex(index).astype(object).fillna(UNKNOWN).to_numpy(dtype=object)
        if declared is not None else np.full(n, UNKNOWN, dtype=object)
    )
    d = _num(dist_grid_m)
    li = _num(lights)
    has_dec = np.isin(dec, [YES, NO])
    p = _num(population)
    tests = _Tests.build(rules, d, li, p)
    date = f", {declared_date}" if declared_date not in (None, "") else ""
    words = _Words.build(rules, d, li, p, lights_given=lights is not None)
    if declared is None and dist_grid_m is None and lights is None:
        nothing = "no electricity layer given"
    else:
        given = [w for w, s in (("not on the electricity list", declared),
                                ("no grid distance", dist_grid_m),
                                ("no night lights value", lights)) if s is not None]
        nothing = "no evidence for this village: " + "; ".join(given)
    declared_words = f"{declared_source} (declared{date})"
    if rules.combine == "all":
        conds, status_c, kind_c, evid_c = _all_rule(tests, words, rules,
                                                    use_d=dist_grid_m is not None,
                                                    use_li=lights is not None)
    else:
        conds, status_c, kind_c, evid_c = _any_rule(tests, words, rules)
    conds = [has_dec, *conds]
    status = np.select(conds, [dec, *status_c], default=UNKNOWN)
    kind = np.select(conds, ["declared", *kind_c], default="")
    evidence = np.select(conds, [declared_words, *evid_c], default=nothing)
    out = pd.DataFrame(
        {
            schema.POWER_STATUS: pd.Series(status, index=index, dtype=object),
            schema.POWER_EVIDENCE: pd.Series(evidence, index=index, dtype=object),
            schema.POWER_KIND: pd.Series(kind, index=index, dtype=object).replace("", pd.NA),
        },
        index=index,
    )
    return out
