"""Write the village table and its summary: GeoPackage, GeoJSON, CSV, Excel, KML, manifest.

One module per format (:mod:`.gpkg`, :mod:`.geojson`, :mod:`.csv`, :mod:`.xlsx`,
:mod:`.kml`), the column dictionary beside them (columns.csv) in :mod:`.dictionary`,
what they share in :mod:`.common` (atomic writes, formula neutralising,
SHA-256, attribute values), all formats at once and the manifest in :mod:`.formats`, and
the second process for large Excel workbooks in :mod:`.process`. Every write is atomic;
CSV, GeoJSON and KML are byte-identical for identical input. The names below are the
package's public API: ``from gisapp.io.export import write_csv``.
"""

from __future__ import annotations

from gisapp.io.export.common import atomic_path, file_sha256, neutralise
from gisapp.io.export.csv import write_csv
from gisapp.io.export.dictionary import DICTIONARY_FILE, dictionary_table, write_dictionary
from gisapp.io.export.formats import (
    FORMATS, PARALLEL_MIN_ROWS, write_all, write_formats, write_manifest,
)
from gisapp.io.export.geojson import write_geojson
from gisapp.io.export.gpkg import write_gpkg
from gisapp.io.export.kml import GAP_COLOURS, write_kml
from gisapp.io.export.process import ExportProcessError
from gisapp.io.export.xlsx import write_xlsx

__all__ = [
    "DICTIONARY_FILE", "dictionary_table", "write_dictionary", "FORMATS", "GAP_COLOURS", "PARALLEL_MIN_ROWS", "ExportProcessError", "atomic_path",
    "file_sha256", "neutralise", "write_all", "write_csv", "write_formats", "write_geojson",
    "write_gpkg", "write_kml", "write_manifest", "write_xlsx",
]
