"""Measurements held against declared coverage: evidence, verdicts and disputes.

Drive tests and speed-test exports are samples of places, each with a time, a carrier, a
technology and a signal in dBm (RSRP for 4G/5G, RSCP for 3G, RxLev for 2G). Per village
× carrier × technology :func:`measurement_evidence` counts the recent samples, their age
and the share below the technology's threshold, and gives a verdict by a stated majority
rule (:class:`gisapp.schema.Verdict`): *covered* when at least ``covered_share`` of the
counted samples are at or above the threshold, *not covered* otherwise, *insufficient*
with fewer than ``min_samples``. :func:`disputes` compares the verdict with the declared
centre coverage. :func:`clean_measurements` says why a row cannot be used, and
:func:`count_in_villages` counts points (complaints) per village.

Which samples speak for a village: those inside a polygon village, and those within
``radius_m`` of a point village (the same rule as :func:`measurement_coverage`'s
``area_share``). Everything here is vectorised; the pairing of samples with villages is
one STRtree query (:func:`village_pairs`), reused for every threshold.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp import schema as S
from gisapp.analysis.coverage.common import _POINT_TYPES, _geom_array
from gisapp.carriers import carrier_from_code, normalise_technology
from gisapp.text import slug

__all__ = ["REASONS", "clean_measurements", "village_pairs", "measurement_evidence",
           "disputes", "count_in_villages", "parse_times"]

#: why a measurement row is skipped, in the order the checks are made (one reason a row)
REASONS = ("no_time", "unknown_carrier", "unknown_technology", "no_signal", "impossible_dbm")


def parse_times(values: pd.Series) -> pd.Series:
    """Dates/times of any common spelling → ``datetime64[ns]`` (naive UTC; NaT when not a
    time)."""
    out = pd.to_datetime(values.astype("object"), errors="coerce", format="mixed", utc=True)
    return out.dt.tz_convert(None).astype("datetime64[ns]")


def clean_measurements(
    frame: pd.DataFrame, *, carrier: str, technology: str, signal: str,
    known_carriers: Mapping[str, str], time: str | None = None, default_time: str | None = None,
    download: str | None = None, dbm_range: tuple[float, float] = (-150.0, -20.0),
) -> tuple[pd.DataFrame, pd.Series]:
    """The usable rows of a measurement table in standard columns, and why each other row
    is not usable.

    Parameters
    ----------
    frame
        The measurement rows (a GeoDataFrame keeps its geometry).
    carrier, technology, signal, time, download
        Column names in ``frame``; without ``time`` every row has ``default_time``
        (NaT when None: the age rule then does not apply).
    known_carriers
        ``slug(name)`` → the name to use; a carrier may also be written as an MCC-MNC
        code (``"452-04"``).
    dbm_range
        Signals outside ``[low, high]`` dBm are impossible.

    Returns
    -------
    (pandas.DataFrame, pandas.Series)
        The usable rows (index kept) with ``carrier``, ``technology`` (``2G`` … ``5G``),
        ``signal_dbm``, ``time`` (datetime64) and ``download_mbps`` (NaN without a
        column), plus geometry when ``frame`` has one; and, indexed like ``frame``, the
        first of :data:`REASONS` that rules each row out (``""`` for a usable row).
    """
    n = len(frame)
    reason = np.full(n, "", dtype=object)

    def mark(bad: np.ndarray, why: str) -> None:
        reason[(reason == "") & bad] = why

    if time is not None:
        when = parse_times(frame[time])
        mark(when.isna().to_numpy(), "no_time")
    else:
        stamp = pd.Timestamp(default_time) if default_time else pd.NaT
        when = pd.Series(stamp, index=frame.index, dtype="datetime64[ns]")
    raw_carrier = frame[carrier].astype("object")
    names = raw_carrier.map(lambda v: None if pd.isna(v) else known_carriers.get(
        slug(carrier_from_code(str(v).strip()))))
    mark(names.isna().to_numpy(), "unknown_carrier")
    tech = normalise_technology(frame[technology])
    mark(~tech.isin(S.TECHNOLOGIES).to_numpy(), "unknown_technology")
    sig = pd.to_numeric(frame[signal], errors="coerce").astype("float64")
    mark(~np.isfinite(sig.to_numpy()), "no_signal")
    low, high = dbm_range
    with np.errstate(invalid="ignore"):
        mark(((sig < low) | (sig > high)).to_numpy(), "impossible_dbm")
    ok = reason == ""
    cols = {"carrier": names[ok].astype("object"), "technology": tech[ok].astype("object"),
            "signal_dbm": sig[ok], "time": when[ok],
            "download_mbps": (pd.to_numeric(frame.loc[ok, download], errors="coerce")
                              .astype("float64") if download else np.nan)}
    if isinstance(frame, gpd.GeoDataFrame):
        clean = gpd.GeoDataFrame(cols, geometry=frame.geometry[ok], crs=frame.crs,
                                 index=frame.index[ok])
    else:
        clean = pd.DataFrame(cols, index=frame.index[ok])
    return clean, pd.Series(reason, index=frame.index, dtype="object")


def village_pairs(villages: gpd.GeoDataFrame, points: gpd.GeoSeries | np.ndarray, *,
                  radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(village position, point position) pairs: points inside a polygon village, and
    within ``radius_m`` of a point village. Both in the same metric CRS."""
    varr = _geom_array(villages.geometry)
    parr = _geom_array(points) if isinstance(points, gpd.GeoSeries) else np.asarray(points, dtype=object)
    if not len(varr) or not len(parr):
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    tree = shapely.STRtree(parr)
    ok = ~(pd.isna(varr) | shapely.is_empty(varr))
    is_point = ok & np.isin(shapely.get_type_id(varr), _POINT_TYPES)
    vi, pk = tree.query(np.where(ok & ~is_point, varr, None), predicate="intersects")
    qi, qk = tree.query(np.where(is_point, varr, None), predicate="dwithin",
                        distance=float(radius_m))
    return np.concatenate([vi, qi]), np.concatenate([pk, qk])


def _group_median(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Median of ``values`` per group 0..n-1 (NaN for an empty group)."""
    out = np.full(n, np.nan)
    if not len(groups):
        return out
    s = pd.Series(values).groupby(groups).median()
    out[s.index.to_numpy()] = s.to_numpy()
    return out


def measurement_evidence(
    villages: gpd.GeoDataFrame, points: pd.DataFrame, *, pairs: tuple[np.ndarray, np.ndarray],
    threshold_dbm: float, min_samples: int, max_age_days: float, covered_share: float,
    as_of: pd.Timestamp | None,
) -> pd.DataFrame:
    """Evidence of ONE carrier × technology's samples per village, and its verdict.

    Parameters
    ----------
    villages
        The villages (only their index and number are read).
    points
        Samples with ``signal_dbm`` (dBm) and ``time`` (datetime64; NaT: age unknown, the
        sample counts) and optionally ``download_mbps``, positions as in ``pairs``.
    pairs
        :func:`village_pairs` of these villages and points.
    threshold_dbm
        A sample covers when its signal is ≥ this.
    min_samples, max_age_days, covered_share
        The rule (:class:`gisapp.config.MeasurementRules`): samples older than
        ``max_age_days`` before ``as_of`` are left out; with fewer than ``min_samples``
        left the verdict is ``insufficient``; else ``covered`` when the share at or above
        the threshold is ≥ ``covered_share``, ``not_covered`` otherwise.
    as_of
        The date ages are counted from (None: the newest sample's time).

    Returns
    -------
    pandas.DataFrame
        Index ``villages.index``: ``meas_samples`` (count of samples counted),
        ``meas_age_days`` (median age of those samples, days; NaN without times),
        ``meas_share_below`` (share below the threshold, 0–1; NaN without samples),
        ``meas_verdict`` (:class:`~gisapp.schema.Verdict`), ``meas_download_mbps``
        (median download speed, Mbit/s), and the coverage shape of
        :mod:`gisapp.analysis.coverage`: ``area_share`` = ``pop_share`` (share at or above
        the threshold), ``centre`` (the verdict; NA when insufficient) and ``signal_dbm``
        (median signal), all NaN/NA when the evidence is insufficient.
    """
    n = len(villages)
    vi, pk = pairs
    sig = points["signal_dbm"].to_numpy(dtype=np.float64)[pk]
    times = points["time"].to_numpy(dtype="datetime64[ns]")
    if as_of is None:
        as_of = pd.Timestamp(np.nanmax(times)) if len(times) and not np.isnat(times).all() else None
    if as_of is not None:
        age_all = (np.datetime64(pd.Timestamp(as_of), "ns") - times) / np.timedelta64(1, "D")
    else:
        age_all = np.full(len(times), np.nan)
    age = age_all[pk]
    fresh = ~(age > float(max_age_days))           # unknown age (NaN) counts
    vi, pk, sig, age = vi[fresh], pk[fresh], sig[fresh], age[fresh]
    count = np.bincount(vi, minlength=n)
    good = np.bincount(vi, weights=(sig >= threshold_dbm).astype(float), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_ok = np.where(count > 0, good / np.maximum(count, 1), np.nan)
    enough = count >= int(min_samples)
    covered = enough & (share_ok >= float(covered_share) - 1e-12)
    verdict = np.where(~enough, S.Verdict.INSUFFICIENT.value,
                       np.where(covered, S.Verdict.COVERED.value, S.Verdict.NOT_COVERED.value))
    download = points["download_mbps"].to_numpy(dtype=np.float64)[pk] \
        if "download_mbps" in points else np.full(len(pk), np.nan)
    keep_dl = np.isfinite(download)
    centre = pd.array(np.where(enough, covered, False), dtype="boolean")
    centre[~enough] = pd.NA
    return pd.DataFrame({
        "meas_samples": count.astype("int64"),
        "meas_age_days": _group_median(vi[np.isfinite(age)], age[np.isfinite(age)], n),
        "meas_share_below": 1.0 - share_ok,
        "meas_verdict": verdict.astype(object),
        "meas_download_mbps": _group_median(vi[keep_dl], download[keep_dl], n),
        "area_share": np.where(enough, share_ok, np.nan),
        "pop_share": np.where(enough, share_ok, np.nan),
        "centre": centre,
        "signal_dbm": np.where(enough, _group_median(vi, sig, n), np.nan),
    }, index=villages.index)


def disputes(declared_centre: pd.Series, verdict: pd.Series) -> pd.Series:
    """``declared_not_measured`` where the declared centre is covered and sufficient
    measurements say not covered, ``measured_not_declared`` the reverse, ``""`` when they
    agree, the verdict is insufficient or the declared answer unknown."""
    dec = declared_centre.reindex(verdict.index).astype("boolean")
    out = pd.Series("", index=verdict.index, dtype="object")
    out[(dec.eq(True) & verdict.eq(S.Verdict.NOT_COVERED.value)).fillna(False)] = \
        S.Dispute.DECLARED_NOT_MEASURED.value
    out[(dec.eq(False) & verdict.eq(S.Verdict.COVERED.value)).fillna(False)] = \
        S.Dispute.MEASURED_NOT_DECLARED.value
    return out


def count_in_villages(villages: gpd.GeoDataFrame, points: gpd.GeoDataFrame, *, radius_m: float,
                      group: str | None = None) -> tuple[pd.DataFrame, int]:
    """Points per village (inside a polygon, within ``radius_m`` of a point village), in
    total and per value of ``group``; and how many points fall in no village.

    Returns
    -------
    (pandas.DataFrame, int)
        Index ``villages.index``, column ``total`` and one per group value (int64); the
        number of points outside every village.
    """
    n = len(villages)
    vi, pk = village_pairs(villages, points.geometry, radius_m=radius_m)
    out = pd.DataFrame({"total": np.bincount(vi, minlength=n).astype("int64")},
                       index=villages.index)
    if group is not None:
        values = points[group].astype("object").to_numpy()
        for value in sorted({v for v in values if isinstance(v, str) and v}):
            hit = values[pk] == value
            out[value] = np.bincount(vi[hit], minlength=n).astype("int64")
    outside = int(len(points) - len(np.unique(pk)))
    return out, outside
