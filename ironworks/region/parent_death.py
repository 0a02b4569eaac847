"""Region worker processes die with their master.

uvicorn's workers are children of the `maas-regiond` master.  Killed with SIGKILL, the master
cannot stop them: they would go on serving and heartbeating under PID 1, keep the listen port,
and make the region look alive while a restart fails with "Address already in use".  So each
worker asks the kernel for SIGTERM when its parent dies (Linux `prctl(PR_SET_PDEATHSIG)`), and
checks that its parent is still the master, in case the master died before that request.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal

log = logging.getLogger("ironworks.runtime")

MASTER_PID_ENV = "MAAS_REGIOND_MASTER_PID"  # set by the master for the workers it spawns
PR_SET_PDEATHSIG = 1


class MasterGone(RuntimeError):
    pass


def die_with_master() -> None:
    """In a worker process: be sent SIGTERM when the master dies; fail if it already has."""
    master = os.environ.get(MASTER_PID_ENV)
    if not master or int(master) == os.getpid():
        return  # the master itself (one worker runs in the master's process) or no master
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            log.warning("cannot ask to die with the master: %s", os.strerror(ctypes.get_errno()))
    except (OSError, AttributeError) as exc:  # not Linux
        log.warning("cannot ask to die with the master: %s", exc)
    # The master may have died before prctl: then our parent is already someone else.
    if os.getppid() != int(master):
        raise MasterGone(f"the maas-regiond master (PID {master}) is gone; this worker stops")
