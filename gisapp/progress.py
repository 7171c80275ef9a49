"""The one progress-callback type of the package.

Long work (:func:`gisapp.pipeline.measure`, planning, comparisons, the demo) takes a
``progress`` callable so that a shell can show a bar without the library knowing
Streamlit or a terminal: ``progress(fraction, message)`` with ``fraction`` in [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "no_progress"]

#: ``progress(fraction, message)``; ``fraction`` in [0, 1], ``message`` for people
Progress = Callable[[float, str], None]


def no_progress(fraction: float, message: str) -> None:
    """A :data:`Progress` that reports nothing (the default of every long function)."""
    return None
