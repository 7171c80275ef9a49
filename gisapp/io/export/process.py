"""A second Python process for the Excel workbook of a large table (see
:func:`gisapp.io.export.write_formats`)."""

from __future__ import annotations

import _thread
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import traceback
from typing import Any, Self

from gisapp.errors import GisappError

__all__ = ["ExportProcessError"]

#: seconds a stopped process gets to clean up after SIGTERM before it is killed
_STOP_GRACE = 5.0
#: the second process's ``python -c`` program: the caller's import path, then the job
_PROCESS_MAIN = ("import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
                 "from gisapp.io.export.process import _serve; _serve()")


class ExportProcessError(GisappError, RuntimeError):
    """The process writing an export ended without an answer (killed, out of memory)."""


class _CannotStart(Exception):
    """The job cannot go to another process (unpicklable values, no interpreter)."""


class _Process:
    """``func(*args, **kwargs)`` run in a fresh Python process (writing ``what``, for
    messages); use as a context manager.

    A fresh interpreter (``python -c``), not :mod:`multiprocessing`: its spawn and
    forkserver children re-run the caller's ``__main__``, which inside a Streamlit server
    is the app script, and fork copies a process whose other threads may hold locks. The
    job goes in pickled on stdin, the answer (the result, or the exception with its
    traceback as a note) comes back pickled on stdout. Leaving the ``with`` block before
    the answer (an error here, Ctrl-C) stops the process: SIGTERM, which it turns into
    KeyboardInterrupt so its own clean-ups run, then SIGKILL after :data:`_STOP_GRACE`.
    """

    def __init__(self, what: str, func: Any, /, *args: Any, **kwargs: Any) -> None:
        self.what = what
        try:
            job = (pickle.dumps(list(sys.path))
                   + pickle.dumps((func, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL))
        except Exception as exc:                  # a value pickle cannot send
            raise _CannotStart(f"cannot send the table to another process ({exc})") from exc
        if not sys.executable:
            raise _CannotStart("no Python interpreter to start")
        try:
            self._proc = subprocess.Popen([sys.executable, "-c", _PROCESS_MAIN],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as exc:
            raise _CannotStart(f"cannot start a process ({exc})") from exc
        self._answer = b""
        self._talk = threading.Thread(target=self._communicate, args=(job,), daemon=True,
                                      name="gisapp-export-process")
        self._talk.start()

    def _communicate(self, job: bytes) -> None:
        self._answer = self._proc.communicate(job)[0] or b""

    @property
    def pid(self) -> int:
        return self._proc.pid

    def raise_if_failed(self) -> None:
        """Raise the process's error now if it has already ended with one."""
        if not self._talk.is_alive():
            self.result()

    def result(self) -> Any:
        """Wait for the answer: the function's result, or its exception raised here."""
        self._talk.join()
        try:
            status, value, trace = pickle.loads(self._answer)
        except Exception:                               # noqa: BLE001 - no (whole) answer
            code = self._proc.returncode
            how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
            raise ExportProcessError(
                f"the process writing {self.what} ended without an answer ({how}; out of "
                f"memory?); {self.what} was not written") from None
        if status != "ok":
            value.add_note(f"raised in the export process {self._proc.pid}:\n{trace}")
            raise value
        return value

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=_STOP_GRACE)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._talk.join()


def _serve() -> None:
    """Main of the export process: one job from stdin, its answer on stdout."""
    signal.signal(signal.SIGTERM, _raise_interrupt)     # stopped: clean up as for Ctrl-C
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), daemon=True).start()
    answer_to = sys.stdout.buffer
    sys.stdout = sys.stderr                             # a stray print cannot garble it
    trace = ""
    try:
        func, args, kwargs = pickle.load(sys.stdin.buffer)
        answer: tuple[str, Any] = ("ok", func(*args, **kwargs))
    except BaseException as exc:                        # noqa: BLE001 - sent to the caller
        answer, trace = ("error", exc), traceback.format_exc()
    try:
        data = pickle.dumps(answer + (trace,), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)                              # the caller must read it back
    except Exception:                                   # noqa: BLE001 - sent as text
        error = ExportProcessError(f"{type(answer[1]).__name__}: {answer[1]}")
        data = pickle.dumps(("error", error, trace))
    answer_to.write(data)
    answer_to.flush()


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _end_with_parent(parent: int) -> None:
    """Interrupt the export process's work when the process that started it is gone."""
    while os.getppid() == parent:
        time.sleep(0.5)
    _thread.interrupt_main()
