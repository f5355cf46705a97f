"""Tasks that wait: WAIT (a duration, a date, or until completed from outside) and HUMAN."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from podium.engine.mappers.base import Mapper, Run
from podium.engine.mappers.control import fail
from podium.engine.plan import Node
from podium.model.executions import Task
from podium.model.statuses import TaskStatus

__all__ = ["WAIT_QUEUE", "HumanMapper", "WaitMapper", "parse_duration", "parse_until"]

#: Timed WAIT tasks sit on this queue until due; the system-task runner completes them.
WAIT_QUEUE = "_sys:WAIT"

_UNITS = {
    "d": 86400, "day": 86400, "days": 86400,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
}  # fmt: skip
_PART = re.compile(r"\s*(\d+)\s*([a-zA-Z]+)\s*")


def parse_duration(text: str) -> int:
    """Seconds in a duration like "1 day 2 hours" or "30s"; ValueError when unreadable."""
    pos, total, found = 0, 0, False
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None or match.group(2).lower() not in _UNITS:
            raise ValueError(f"Unable to parse duration {text!r}")
        total += int(match.group(1)) * _UNITS[match.group(2).lower()]
        pos, found = match.end(), True
    if not found:
        raise ValueError(f"Unable to parse duration {text!r}")
    return total


def parse_until(text: str) -> int:
    """Epoch ms of `yyyy-MM-dd HH:mm[ zone]` or `yyyy-MM-dd` (UTC unless a zone is given)."""
    parts = text.strip().split()
    zone: tzinfo = UTC
    if len(parts) == 3:
        try:
            zone = UTC if parts[2].upper() in ("UTC", "Z", "GMT") else ZoneInfo(parts[2])
        except ZoneInfoNotFoundError as exc:
            raise ValueError(f"Unknown time zone in {text!r}") from exc
        parts = parts[:2]
    fmt = "%Y-%m-%d %H:%M" if len(parts) == 2 else "%Y-%m-%d"
    try:
        moment = datetime.strptime(" ".join(parts), fmt).replace(tzinfo=zone)
    except ValueError as exc:
        raise ValueError(f"Unable to parse date {text!r}") from exc
    return int(moment.timestamp() * 1000)


class WaitMapper(Mapper):
    """IN_PROGRESS at once; timed waits are queued until due, others wait for an update."""

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        duration, until = task.inputData.get("duration"), task.inputData.get("until")
        if duration and until:
            fail(run, task, "Both duration and until are set: use one of them", terminal=True)
            return
        try:
            due = self._due(run, duration, until)
        except ValueError as exc:
            fail(run, task, str(exc), terminal=True)
            return
        run.set_status(task, TaskStatus.IN_PROGRESS)
        if due is not None:
            delay = max(0, (due - run.now + 999) // 1000)
            task.outputData = {**task.outputData}
            task.callbackAfterSeconds = delay
            run.enqueue(task, WAIT_QUEUE, delay)

    def _due(self, run: Run, duration: object, until: object) -> int | None:
        if duration:
            return run.now + parse_duration(str(duration)) * 1000
        if until:
            return parse_until(str(until))
        return None


class HumanMapper(Mapper):
    """IN_PROGRESS until someone completes it through the API."""

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        run.set_status(task, TaskStatus.IN_PROGRESS)
