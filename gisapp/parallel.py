"""Threads for the numpy/shapely-heavy loops of a run.

numpy (sorting, arithmetic on large arrays) and shapely 2 (vectorised operations) release
the GIL, so independent chunks of work run side by side on threads without copying data
to other processes. Results come back in input order, so nothing depends on the number
of threads.

The number of threads is the CPUs this process may use (``os.sched_getaffinity``),
at most :data:`MAX_THREADS`; the environment variable ``GISAPP_THREADS`` overrides it
(``GISAPP_THREADS=1`` runs everything in the calling thread, e.g. inside Dask workers
that already use every core).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["n_threads", "parallel_map"]

T = TypeVar("T")
R = TypeVar("R")

#: more threads than this gain little for memory-bound numpy work
MAX_THREADS = 8


def n_threads() -> int:
    """Threads to use: ``GISAPP_THREADS`` if set, else the usable CPUs (≤ MAX_THREADS)."""
    env = os.environ.get("GISAPP_THREADS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ValueError(f"GISAPP_THREADS must be a whole number, not {env!r}") from None
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_THREADS))


def parallel_map(fn: Callable[[T], R], items: Iterable[T], *,
                 threads: int | None = None) -> Iterator[R]:
    """``map(fn, items)`` on a thread pool, results in input order (lazily, so a caller
    can report progress as they arrive); plain ``map`` with one thread or one item.

    At most ``2 × threads`` items are in flight, which bounds the memory of chunked work.
    An exception in ``fn`` is raised here, for the first item that failed.
    """
    items = list(items)
    k = n_threads() if threads is None else max(1, threads)
    if k == 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(max_workers=k, thread_name_prefix="gisapp") as pool:
        pending = []
        it = iter(items)
        for item in it:
            pending.append(pool.submit(fn, item))
            if len(pending) >= 2 * k:
                break
        while pending:
            done = pending.pop(0)
            result = done.result()
            nxt = next(it, _END)
            if nxt is not _END:
                pending.append(pool.submit(fn, nxt))
            yield result


_END = object()
