"""One log line per cause per interval, with a count, instead of one per occurrence.

During an outage every failed request, heartbeat and reconnect fails for the same reason; a
line each floods the log (hundreds a second) and hides the one line that matters.  The first
occurrence of a cause is logged at once; later ones within `interval_s` are only counted, and
the next line logged for that cause says how many were left out.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

DEFAULT_INTERVAL_S = 10.0


def first_line(exc: BaseException) -> str:
    """An exception's message on one line (psycopg's span several), or its type's name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass
class _Cause:
    last_logged: float
    suppressed: int = 0


@dataclass
class Throttle:
    """Decides, per cause, whether a line is due now; `clock` is injectable for tests."""

    interval_s: float = DEFAULT_INTERVAL_S
    clock: Callable[[], float] = time.monotonic
    _causes: dict[str, _Cause] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def due(self, cause: str) -> int | None:
        """None: stay quiet (counted).  Otherwise log now; the value is how many occurrences of
        this cause were left out since its last line."""
        now = self.clock()
        with self._lock:
            seen = self._causes.get(cause)
            if seen is None or now - seen.last_logged >= self.interval_s:
                left_out = seen.suppressed if seen else 0
                self._causes[cause] = _Cause(now)
                if len(self._causes) > 1000:  # causes carrying ids must not grow without bound
                    self._causes = {cause: self._causes[cause]}
                return left_out
            seen.suppressed += 1
            return None


_throttles: dict[str, Throttle] = {}


def log_throttled(log: logging.Logger, cause: str, message: str, *args: object,
                  level: int = logging.WARNING, interval_s: float = DEFAULT_INTERVAL_S) -> None:
    """`log.log(level, message, *args)` at most once per `cause` per `interval_s` for this logger."""
    throttle = _throttles.setdefault(f"{log.name}:{level}:{interval_s}", Throttle(interval_s))
    left_out = throttle.due(cause)
    if left_out is None:
        return
    if left_out:
        message += f" ({left_out} more like it since the last such line)"
    log.log(level, message, *args)
