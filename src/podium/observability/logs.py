"""JSON logs on stdout, one object per line, with a stable `action` key."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

__all__ = ["configure_logging"]


class _Normalise(logging.Filter):
    """Give every record an `action` and drop uvicorn's ANSI-coloured duplicate message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)
        if not hasattr(record, "action"):
            record.action = record.name.replace(".", "_")
        return True


def configure_logging(level: str = "INFO", *, access_log: bool = False) -> None:
    """Send every log record to stdout as JSON (`time`, `level`, `logger`, `message`, extras).

    Records without an `action` get one from their logger (`uvicorn_error`, `uvicorn_access`).
    """
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_Normalise())
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("uvicorn.access").setLevel(logging.INFO if access_log else logging.WARNING)
