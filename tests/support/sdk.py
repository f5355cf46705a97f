"""The environment conductor-python reads when it builds clients and spawns worker processes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

__all__ = ["sdk_environment"]


@contextmanager
def sdk_environment() -> Iterator[None]:
    """Set while SDK clients and TaskHandlers are built and run; restored afterwards."""
    with pytest.MonkeyPatch.context() as mp:
        # Plain-HTTP Podium speaks HTTP/1.1; the SDK's own CI turns h2 off the same way.
        mp.setenv("CONDUCTOR_HTTP2_ENABLED", "false")
        # Worker processes, not threads: in thread isolation TaskHandler.stop_processes()
        # skips every worker (it only stops things with a pid), so the threads poll forever
        # and keep the interpreter from exiting.
        mp.setenv("CONDUCTOR_WORKER_ISOLATION", "process")
        for name in ("CONDUCTOR_AUTH_KEY", "CONDUCTOR_AUTH_SECRET", "CONDUCTOR_SERVER_URL"):
            mp.delenv(name, raising=False)
        yield
