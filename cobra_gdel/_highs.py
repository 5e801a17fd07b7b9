"""HiGHS' start-up banner on standard error instead of standard output.

The first ``highspy.Highs()`` of a process prints HiGHS' version and licence notice to
file descriptor 1 from C++, whatever its options say, so ``cobra-gdel predict --json``
wrote it in front of its JSON. :func:`banner_to_stderr` creates that first object while
descriptor 1 points at standard error: the notice stays visible, standard output keeps
only what cobra_gdel writes there.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["banner_to_stderr"]

_done = False


def _flush_c_stdio() -> None:
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):  # pragma: no cover - no C library handle
        pass


def banner_to_stderr() -> None:
    """Create the process's first HiGHS object with its banner sent to standard error
    (once; nothing when highspy is not installed or descriptors cannot be moved)."""
    global _done
    if _done:
        return
    _done = True
    try:
        import highspy
    except ImportError:
        return
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # pragma: no cover - no real descriptor 1
        highspy.Highs()
        return
    try:
        os.dup2(2, 1)
        highspy.Highs()
        _flush_c_stdio()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
