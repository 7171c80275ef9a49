"""Strict JSON: what the project writes parses with any JSON parser.

Python's :func:`json.dumps` writes ``NaN``, ``Infinity`` and ``-Infinity`` for
non-finite floats, which are not JSON (RFC 8259): a strict parser such as
JavaScript's ``JSON.parse`` rejects the whole file. Every ``.json`` the project writes
(run and plan ``manifest.json``, GeoJSON properties, the tracking store's manifests)
goes through :func:`strict` / :func:`dumps`, which write a non-finite number as
``null`` ("no value"), the same as a missing value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["strict", "dumps"]


def strict(value: Any) -> Any:
    """``value`` with every non-finite float (also inside dicts, lists, tuples, sets,
    NumPy scalars and arrays) replaced by ``None``; other values unchanged.

    Dict keys are kept as they are; tuples and sets become lists (as JSON writes them).
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.floating):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, Mapping):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [strict(v) for v in value]
    if isinstance(value, np.ndarray):
        return [strict(v) for v in value.tolist()]
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """:func:`json.dumps` of :func:`strict` ``(value)``, refusing any NaN left over.

    Keyword arguments are passed on (``indent``, ``sort_keys``, ``default`` ...);
    ``allow_nan`` is always False.
    """
    kwargs["allow_nan"] = False
    default = kwargs.get("default")
    if default is not None:
        kwargs["default"] = lambda o: strict(default(o))
    return json.dumps(strict(value), **kwargs)
