"""The one exception tree of Podium.

The core raises only these. `podium.api.errors` alone maps them to HTTP status codes and to
Conductor's error JSON; storage adapters translate driver errors into them (`raise ... from exc`).
A class docstring is the default message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "BadRequest",
    "Conflict",
    "Forbidden",
    "IllegalState",
    "NotFound",
    "PayloadTooLarge",
    "PodiumError",
    "StoreUnavailable",
    "TooManyAttempts",
    "Unauthenticated",
    "ValidationFailed",
    "Violation",
]


class PodiumError(Exception):
    """Podium failed to handle the request."""

    retryable = False

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (self.__class__.__doc__ or "").strip()
        super().__init__(self.message)


class BadRequest(PodiumError):
    """The request is malformed or its values are not allowed."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One failed constraint of a validated object, as Conductor reports it."""

    path: str
    message: str
    invalid_value: Any = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "message": self.message}
        if self.invalid_value is not None:
            out["invalidValue"] = str(self.invalid_value)
        return out


class ValidationFailed(BadRequest):
    """Validation failed, check below errors for detail."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__()
        self.violations = violations

    def __str__(self) -> str:
        return "; ".join(v.message for v in self.violations) or self.message


class NotFound(PodiumError):
    """The requested object does not exist."""


class Conflict(PodiumError):
    """The object exists already, or its state does not allow the operation."""


class IllegalState(PodiumError):
    """The operation is not allowed in the object's current state."""


class PayloadTooLarge(PodiumError):
    """The payload is larger than this server accepts."""


class Unauthenticated(PodiumError):
    """The request carries no valid credentials."""

    def __init__(self, message: str | None = None, *, code: str = "INVALID_TOKEN") -> None:
        super().__init__(message)
        self.code = code
        """`INVALID_TOKEN` or `EXPIRED_TOKEN`: the Conductor SDKs fetch a new token on either."""


class Forbidden(PodiumError):
    """The caller may not do this."""


class TooManyAttempts(PodiumError):
    """Too many failed attempts; try again later."""

    def __init__(self, message: str | None = None, *, retry_after_s: int = 60) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StoreUnavailable(PodiumError):
    """The database could not be reached or is busy; try again."""

    retryable = True
