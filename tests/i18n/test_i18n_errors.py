"""Errors and warnings in the reader's language: keyed raise sites have a message in both
languages, Vietnamese names the file (not its folder) and the layer, English stays
``str(exc)``, and an error without a key still gets a Vietnamese lead sentence."""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import pytest

from gisapp import errors as E
from gisapp.i18n.errors import error_text, has_message, role_label, warning_text
from gisapp.pipeline.model import RunReport

ROOT = Path(__file__).resolve().parents[2] / "gisapp"
CONVERTED = [*sorted((ROOT / "io").glob("*.py")), ROOT / "pipeline" / "normalise.py",
             ROOT / "pipeline" / "layers.py", ROOT / "config" / "run.py"]


def _raise_keys(path: Path) -> tuple[list[str], int]:
    """Message keys of the raise sites of ``path`` (string constants, both arms of a
    conditional), and how many raise sites of gisapp errors carry none."""
    keys, bare = [], 0
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        name = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
        if not name.endswith("Error") or not hasattr(E, name):
            continue
        kw = next((k.value for k in node.exc.keywords if k.arg == "key"), None)
        if kw is None:
            bare += 1
            continue
        keys += [c.value for c in ast.walk(kw) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
    return keys, bare


def test_every_key_of_the_converted_raise_sites_has_a_message():
    keys, bare = [], 0
    for path in CONVERTED:
        k, b = _raise_keys(path)
        keys += k
        bare += b
    assert len(keys) >= 50
    missing = sorted({k for k in keys if not has_message(k)})
    assert not missing
    assert bare <= 12, bare                      # a few rare ones fall back to the class sentence


def test_vietnamese_names_the_file_not_its_folder():
    exc = E.FileTooLargeError("the file is 9.0 MB, over the limit of 5 MB", path="/tmp/gisapp-upload-x/thon.gpkg",
                              layer="villages", key="file_too_large", params={"mb": 9.0, "limit": 5})
    vi = error_text(exc, "vi")
    assert "thon.gpkg" in vi and "gisapp-upload-" not in vi
    assert "Thôn" in vi and "9 MB" in vi and "5 MB" in vi and "over" not in vi
    en = error_text(exc, "en")
    assert "thon.gpkg" in en and "gisapp-upload-" not in en
    assert "/tmp/gisapp-upload-x/thon.gpkg" in str(exc)        # the CLI's message is unchanged


def test_params_use_the_readers_numbers():
    exc = E.DuplicateIdError("x", path="v.gpkg", layer="villages", key="ids_duplicate",
                             params={"n": 1234, "column": "ma_thon", "examples": ["a", "b"]})
    assert "1.234 mã thôn" in error_text(exc, "vi") and "a, b" in error_text(exc, "vi")


def test_an_error_without_key_gets_the_lead_sentence_of_its_class():
    exc = E.NoOverlapError("does not overlap", path="/data/cov.gpkg", layer="coverage viettel_4g")
    vi = error_text(exc, "vi")
    assert vi.startswith("Lớp “Vùng phủ sóng Viettel 4G” / tệp “cov.gpkg”: ")
    assert "không chồng lên" in vi and "does not overlap" not in vi
    assert "does not overlap" in error_text(exc, "vi", detail=True)
    assert error_text(E.ConfigError("bad"), "vi").startswith("Cấu hình không hợp lệ")
    assert "nhật ký" in error_text(RuntimeError("/etc/secret"), "vi")


@pytest.mark.parametrize("cls", [c for c in vars(E).values()
                                 if isinstance(c, type) and issubclass(c, E.GisappError)])
def test_every_error_class_has_a_vietnamese_lead(cls):
    exc = cls("x") if not issubclass(cls, E.InputError) else cls("x", path="a.csv")
    assert not re.search(r"\bx\b", error_text(exc, "vi"))


def test_config_errors_carry_keys():
    from gisapp.config import PowerRules

    with pytest.raises(E.ConfigError) as info:
        PowerRules(combine="some")
    assert info.value.key == "cfg_combine" and "“some”" in error_text(info.value, "vi")
    assert "'any' or 'all'" in str(info.value)


def test_keyed_warnings_survive_pickling_and_read_in_vietnamese():
    report = RunReport()
    report.warn("villages: repaired 3 invalid geometries (e.g. ['a'])", key="repaired_geometries",
                n=3, examples=["a"])
    report.warn("something else: plain")
    w = pickle.loads(pickle.dumps(report.warnings))
    assert w[0] == "villages: repaired 3 invalid geometries (e.g. ['a'])"     # still the English string
    assert warning_text(w[0], "vi") == "Thôn: đã tự động sửa 3 ranh giới lỗi (ví dụ mã a)."
    assert warning_text(w[1], "en") == "something else: plain"
    assert "manifest" in warning_text(w[1], "vi")


def test_roles_in_words():
    assert role_label("coverage mobifone_2g", "vi") == "Vùng phủ sóng MobiFone 2G"
    assert role_label("signal viettel_4g_modelled", "en") == "Signal raster Viettel 4G (modelled)"
