"""Optional compiled loops (`pip install 'cleaner[fast]'`): numba when it is installed.

Every compiled function here has a numpy path beside it in its caller that gives the same values,
so a plain install gives the same output, only slower. numba caches the machine code on disk:
only the first run on a machine pays to compile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    import numba
except ImportError:  # pragma: no cover - the callers' numpy paths compute the same values
    numba = None


def jit(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` compiled without the GIL, its machine code cached on disk when a cache folder is writable."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # pragma: no cover - no writable cache folder: compile in every process
        return numba.njit(nogil=True)(function)
