"""OpenCelliD cell lists: with and without header, carriers from MCC-MNC, cells → sites,
and the real Lesotho towers (GISAPP_REAL_DATA, OpenCelliD CC BY-SA 4.0)."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import shape

from gisapp.errors import MissingColumnError, UnreadableFileError
from gisapp.io.opencellid import (
    OPENCELLID_COLUMNS, assign_sites, group_sites, read_opencellid, site_technologies,
)

# three Viettel cells of one mast (within ~20 m), a VinaPhone cell on the same mast,
# a MobiFone and a Vietnamobile cell elsewhere, an operator not in the table, a bad row
ROWS = [
    "GSM,452,4,10,101,0,104.00000,21.00000,5000,12,1,1500000000,1600000000,-80",
    "UMTS,452,4,10,102,0,104.00010,21.00010,3000,5,1,1500000000,1600000000,-85",
    "LTE,452,4,10,103,0,104.00015,21.00000,2000,9,1,1500000000,1600000000,0",
    "LTE,452,2,20,201,0,104.00000,21.00000,2000,9,1,1500000000,1600000000,0",
    "GSM,452,1,30,301,0,104.10000,21.10000,9000,3,1,1500000000,1600000000,0",
    "NR,452,5,40,401,0,104.20000,21.20000,900,3,1,1500000000,1600000000,0",
    "LTE,452,99,50,501,0,104.30000,21.30000,900,3,1,1500000000,1600000000,0",
    "GSM,452,4,10,104,0,,,900,3,1,1500000000,1600000000,0",
]


def _write(tmp_path, header: str | None, rows=ROWS):
    path = tmp_path / "cells.csv"
    lines = ([header] if header else []) + list(rows)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("header", [None, ",".join(OPENCELLID_COLUMNS),
                                    "RADIO,MCC,MNC,LAC,CID,unit,LON,LAT,RANGE,SAM,changeable,"
                                    "created,updated,averageSignal"])
def test_reads_with_or_without_header(tmp_path, header):
    cells = read_opencellid(_write(tmp_path, header))
    assert len(cells) == 7 and cells.attrs["dropped_rows"] == 1
    assert cells["carrier"].tolist() == ["Viettel", "Viettel", "Viettel", "VinaPhone",
                                         "MobiFone", "Vietnamobile", "452-99"]
    assert cells["carrier_is_code"].tolist() == [False] * 6 + [True]
    assert cells["technology"].tolist() == ["2G", "3G", "4G", "4G", "2G", "5G", "4G"]
    assert cells["mcc_mnc"].iloc[0] == "452-04"
    assert "range" not in cells and "range_m" not in cells      # unreliable: ignored
    assert str(cells["created"].dt.tz) == "UTC"


def test_range_kept_only_when_asked(tmp_path):
    cells = read_opencellid(_write(tmp_path, None), use_range=True)
    assert cells["range_m"].iloc[0] == 5000


def test_cells_grouped_into_sites_per_operator(tmp_path):
    cells = assign_sites(read_opencellid(_write(tmp_path, None)), tolerance_m=100.0)
    viettel = cells[cells["carrier"] == "Viettel"]["site_id"]
    assert viettel.nunique() == 1                       # three cells, one mast
    assert cells["site_id"].nunique() == 5              # VinaPhone's cell is its own site
    sites = group_sites(cells)
    row = sites[sites["carrier"] == "Viettel"].iloc[0]
    assert row["technologies"] == "2G;3G;4G" and row["n_cells"] == 3
    assert sites.crs.to_epsg() == 4326
    per_tech = site_technologies(sites)
    assert len(per_tech) == 7
    assert set(per_tech.columns) >= {"site_id", "carrier", "technology", "geometry"}


def test_tolerance_separates_nearby_masts(tmp_path):
    cells = read_opencellid(_write(tmp_path, None))
    assert assign_sites(cells, tolerance_m=5.0)["site_id"].nunique() == 7


def test_missing_columns_and_files_are_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("radio,mcc,lon,lat\nGSM,452,104,21\n")
    with pytest.raises(MissingColumnError, match="bad.csv.*net"):
        read_opencellid(path)
    with pytest.raises(UnreadableFileError, match="nope.csv"):
        read_opencellid(tmp_path / "nope.csv")


def test_lesotho_opencellid_towers(real_data):
    cells = read_opencellid(real_data / "lesotho" / "opencellid_towers.csv")
    assert len(cells) == 1936 and cells.attrs["dropped_rows"] == 0
    assert cells["carrier"].value_counts().to_dict() == {"Vodacom": 1058, "Econet": 878}
    assert not cells["carrier_is_code"].any()
    # the file's own Network column agrees with the operator named from MCC-MNC
    assert (cells["carrier"] == cells["Network"]).all()
    assert cells["technology"].value_counts().to_dict() == {"3G": 1050, "2G": 754, "4G": 132}
    sites = group_sites(cells, tolerance_m=100.0)
    # measured: 1,258 sites at 100 m (689 Vodacom, 569 Econet); 1,521 distinct positions
    assert len(sites) == 1258
    assert sites["carrier"].value_counts().to_dict() == {"Vodacom": 689, "Econet": 569}
    assert sites["n_cells"].sum() == 1936
    # most sites lie inside Lesotho; the others are cells of Lesotho's operators heard
    # across the border (measured: 88.5 % inside the OSM outline, 145 sites outside)
    outline = json.loads((real_data / "lesotho" / "boundary_osm.json").read_text())[0]["geojson"]
    inside = sites.within(shape(outline)).mean()
    assert 0.85 < inside < 0.95
