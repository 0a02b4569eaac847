"""How many failed logins one source may make: after `limit` failures within `window_s`, it
must wait until the oldest of them leaves the window.  Successes are never counted (and never
reset the count, or one valid account would unlock guessing at the others).

In memory, per worker process: a region with N workers allows up to N x `limit` failures per
window from one source, which still turns a password-guessing run of thousands into tens."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class LoginThrottle:
    limit: int = 10
    window_s: float = 60.0
    # Sources remembered at most: past it, the one idle longest is forgotten first.
    max_sources: int = 10_000
    clock: Callable[[], float] = time.monotonic
    # Source -> times of its failures within the window, oldest first; the source whose latest
    # failure is oldest comes first.
    _failures: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def retry_after(self, source: str) -> int | None:
        """Whole seconds `source` must wait before trying again; None when it may try now."""
        times = self._failures.get(source)
        if times is None:
            return None
        now = self.clock()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if len(times) < self.limit:
            return None
        return max(1, math.ceil(times[0] + self.window_s - now))

    def failed(self, source: str) -> None:
        now = self.clock()
        times = self._failures.setdefault(source, deque(maxlen=self.limit))
        times.append(now)
        self._failures.move_to_end(source)
        self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        """Amortised O(1) per failure: drop sources with nothing left in the window (they sit
        at the front), and the longest idle when too many are remembered."""
        while self._failures:
            source, times = next(iter(self._failures.items()))
            if times and times[-1] > now - self.window_s and len(self._failures) <= self.max_sources:
                break
            del self._failures[source]
