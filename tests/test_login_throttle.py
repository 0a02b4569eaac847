"""The login throttle's rule, with a clock the test moves."""

from __future__ import annotations

from ironworks.region.services.accounts.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_th_failure_makes_the_source_wait_until_the_oldest_leaves_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(limit=3, window_s=60, clock=clock)
    for _ in range(3):
        assert throttle.retry_after("a") is None
        throttle.failed("a")
        clock.now += 10
    assert throttle.retry_after("a") == 30  # the first failure, at 1000, leaves at 1060
    assert throttle.retry_after("b") is None
    clock.now = 1060
    assert throttle.retry_after("a") is None


def test_idle_sources_are_forgotten_and_the_count_of_sources_is_bounded() -> None:
    clock = Clock()
    throttle = LoginThrottle(limit=2, window_s=60, max_sources=3, clock=clock)
    for source in ("a", "b", "c", "d"):
        throttle.failed(source)
        throttle.failed(source)
    assert throttle.retry_after("a") is None  # forgotten: the oldest past max_sources
    assert throttle.retry_after("d") == 60
    clock.now += 61
    throttle.failed("e")
    assert list(throttle._failures) == ["e"]
