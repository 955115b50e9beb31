"""Child processes that die with the main process: worker processes and figure processes.

Linux sends a process its parent-death signal when the parent dies, however it dies (``kill -9``
included); a child that asks for SIGKILL then never outlives the sweep that started it.
"""

from __future__ import annotations

import os
import signal
import sys


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies, however it dies (``kill -9``
    included), so that no worker is left running; elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return  # pragma: no cover
    import ctypes

    PR_SET_PDEATHSIG = 1  # noqa: N806 - the name in <sys/prctl.h>
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # pragma: no cover - no prctl: nothing to ask
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)
