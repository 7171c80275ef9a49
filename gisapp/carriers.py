"""Carriers and technologies as tower lists write them: MCC-MNC codes, radio names.

Tower lists name carriers in many ways: a name column, one ``MCC-MNC`` column
(``"452-04"``), or separate ``MCC`` and ``MNC`` columns (OpenCelliD); and technologies
as generations (``4G``) or radio names (``LTE``). :func:`normalise_towers` turns all of
them into two columns, ``carrier`` and ``technology``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gisapp.errors import MissingColumnError

__all__ = ["MCC_MNC", "RADIO_TECHNOLOGY", "mcc_mnc_code", "carrier_from_code",
           "normalise_technology", "normalise_towers"]

#: Operator names by MCC-MNC (ITU-T E.212 assignments as published by the regulators).
MCC_MNC: dict[str, str] = {
    # Vietnam (MCC 452)
    "452-01": "MobiFone",
    "452-02": "VinaPhone",    # VNPT
    "452-04": "Viettel",
    "452-05": "Vietnamobile",
    "452-07": "Gmobile",
    # Lesotho (MCC 651)
    "651-01": "Vodacom",
    "651-02": "Econet",
    # France (MCC 208), the operators with networks
    "208-01": "Orange",
    "208-10": "SFR",
    "208-15": "Free",
    "208-20": "Bouygues",
}

#: Radio names → generation.
RADIO_TECHNOLOGY: dict[str, str] = {
    "gsm": "2G", "gprs": "2G", "edge": "2G", "cdma": "2G", "2g": "2G",
    "umts": "3G", "wcdma": "3G", "hspa": "3G", "hspa+": "3G", "3g": "3G",
    "lte": "4G", "lte-a": "4G", "4g": "4G",
    "nr": "5G", "5g": "5G", "5g nr": "5G",
}


def mcc_mnc_code(mcc: object, mnc: object) -> str | None:
    """``(452, 4)`` → ``"452-04"``; None when either part is missing."""
    try:
        return f"{int(float(mcc)):03d}-{int(float(mnc)):02d}"
    except (TypeError, ValueError):
        return None


def carrier_from_code(code: object) -> str | None:
    """The operator's name for an MCC-MNC code (``"45204"`` or ``"452-04"``), else the code."""
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return None
    text = str(code).strip().replace(" ", "")
    if "-" not in text and text.isdigit() and len(text) in (5, 6):
        text = f"{text[:3]}-{text[3:]}"
    if "-" in text:
        mcc, _, mnc = text.partition("-")
        text = mcc_mnc_code(mcc, mnc) or text
    return MCC_MNC.get(text, text)


def normalise_technology(values: pd.Series) -> pd.Series:
    """Radio names or generations → ``2G``/``3G``/``4G``/``5G`` (others kept as written)."""
    text = values.astype("object").map(lambda v: "" if pd.isna(v) else str(v).strip())
    return text.map(lambda v: RADIO_TECHNOLOGY.get(v.lower(), v.upper() if v.lower().endswith("g") else v))


def normalise_towers(towers: pd.DataFrame, *, carrier: str | None = "carrier",
                     technology: str | None = "technology", mcc_mnc: str | None = None,
                     mcc: str | None = None, mnc: str | None = None,
                     path: object = None) -> pd.DataFrame:
    """A copy of the towers with ``carrier`` and ``technology`` columns filled in.

    The carrier comes from the ``carrier`` column when it exists, else from an MCC-MNC
    column, else from separate MCC and MNC columns (names from :data:`MCC_MNC`, unknown
    codes kept as codes). Technologies are normalised with :func:`normalise_technology`.

    Raises
    ------
    MissingColumnError
        No way to tell the carrier.
    """
    out = towers.copy()
    if carrier and carrier in out:
        out["carrier"] = out[carrier].astype("object").map(lambda v: None if pd.isna(v) else str(v).strip())
    elif mcc_mnc and mcc_mnc in out:
        out["carrier"] = out[mcc_mnc].map(carrier_from_code)
    elif mcc and mnc and mcc in out and mnc in out:
        codes = [mcc_mnc_code(a, b) for a, b in zip(out[mcc], out[mnc])]
        out["carrier"] = [carrier_from_code(c) for c in codes]
    else:
        raise MissingColumnError(
            f"the towers need a carrier column ('{carrier}'), an MCC-MNC column (mcc_mnc = ...) "
            "or MCC and MNC columns (mcc = ..., mnc = ...) in [towers]",
            path=path, layer="towers",
        )
    if technology and technology in out:
        out["technology"] = normalise_technology(out[technology])
    else:
        out["technology"] = ""
    return out
