"""Each carrier's dispute list: its villages where declared coverage and sufficient
measurements disagree (``dispute__<key>``, :mod:`gisapp.pipeline.evidence`), with the
evidence, for the carrier pack (:func:`gisapp.planning.packs.carrier_pack_bytes`)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from gisapp import schema as S
from gisapp.names import slug

__all__ = ["DISPUTE_FILES", "carrier_disputes", "dispute_summary"]

#: files of the dispute list in every carrier pack (``<slug>`` as in the pack)
DISPUTE_FILES = ("<slug>_disputes.xlsx", "<slug>_disputes.csv")
_IDENTITY = (S.ID, S.NAME, S.COMMUNE, S.PROVINCE, S.POP, S.GAP_CLASS, S.PRIORITY_RANK, S.LON, S.LAT)


def _keys(villages: pd.DataFrame, carrier: str) -> list[str]:
    """The carrier × technology keys of ``carrier`` that have a dispute column."""
    stem = f"dispute__{slug(carrier)}_"
    return sorted(c[len("dispute__"):] for c in villages.columns if str(c).startswith(stem))


def carrier_disputes(villages: gpd.GeoDataFrame, carrier: str) -> gpd.GeoDataFrame:
    """The villages where a technology of ``carrier`` is disputed, by priority rank.

    Returns
    -------
    geopandas.GeoDataFrame
        Identity columns, then per key of the carrier ``centre__<key>`` (the declared
        answer), the evidence columns of :data:`gisapp.schema.EVIDENCE_STEMS` and
        ``complaints__<carrier>`` where the run has them; the villages' CRS. Empty (with
        the identity columns) when nothing is disputed or the run had no measurements.
    """
    keys = _keys(villages, carrier)
    cols = [c for c in _IDENTITY if c in villages.columns]
    for key in keys:
        cols += [c for c in (S.centre_col(key), *(S.evidence_col(s, key) for s in S.EVIDENCE_STEMS))
                 if c in villages.columns]
    if S.complaints_col(carrier) in villages.columns:
        cols.append(S.complaints_col(carrier))
    if keys:
        disputed = villages[[S.dispute_col(k) for k in keys]].fillna("").astype(str).ne("").any(axis=1)
    else:
        disputed = pd.Series(False, index=villages.index)
    rows = villages.loc[disputed, cols + [villages.geometry.name]]
    if S.PRIORITY_RANK in rows.columns:
        rows = rows.sort_values(S.PRIORITY_RANK, na_position="last", kind="stable")
    return gpd.GeoDataFrame(rows, geometry=villages.geometry.name, crs=villages.crs)


def dispute_summary(rows: pd.DataFrame, carrier: str) -> pd.DataFrame:
    """Per carrier × technology key of ``rows`` (:func:`carrier_disputes`): the villages
    of each kind of dispute (``villages_declared_not_measured``,
    ``villages_measured_not_declared``)."""
    out = []
    for key in _keys(rows, carrier):
        col = rows[S.dispute_col(key)].astype(str)
        out.append({"layer": key, **{f"villages_{d.value}": int((col == d.value).sum())
                                     for d in S.Dispute}})
    return pd.DataFrame(out, columns=["layer", *(f"villages_{d.value}" for d in S.Dispute)])
