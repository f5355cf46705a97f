"""Brute-force protection: after a few failed attempts a caller must wait."""

from __future__ import annotations

from collections import OrderedDict, deque

__all__ = ["FailureLimiter"]


class FailureLimiter:
    """Counts failures per key (a client address, an access key id) in a sliding window.

    A key with `limit` failures in the last `window_s` seconds is refused until the oldest of
    them leaves the window. Memory is bounded: the least recently failed keys are forgotten
    first when more than `max_keys` are tracked.
    """

    def __init__(self, limit: int = 5, window_s: float = 60.0, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, keys: list[str], now: float) -> float:
        """Seconds until every key may try again (0: now)."""
        wait = 0.0
        for key in keys:
            recent = self._recent(key, now)
            if recent is not None and len(recent) >= self.limit:
                wait = max(wait, recent[0] + self.window_s - now)
        return wait

    def failed(self, keys: list[str], now: float) -> None:
        for key in keys:
            recent = self._recent(key, now)
            if recent is None:
                recent = self._failures[key] = deque(maxlen=self.limit)
            recent.append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        recent = self._failures.get(key)
        if recent is None:
            return None
        while recent and recent[0] <= now - self.window_s:
            recent.popleft()
        if not recent:
            del self._failures[key]
            return None
        return recent
