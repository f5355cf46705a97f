"""Request bodies of the workflow and task APIs, in Conductor's JSON shapes.

Same conventions as `podium.model.definitions`: attribute names are the JSON names, unknown
properties are ignored and a null for a defaulted property yields the default. Required ids are
checked with Conductor's messages by `podium.model.validation`, not here.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

from pydantic import field_validator

from podium.model.definitions import ConductorModel, IdempotencyStrategy, WorkflowDef
from podium.model.statuses import TaskStatus

__all__ = [
    "MAX_REASON_LENGTH",
    "RerunWorkflowRequest",
    "SkipTaskRequest",
    "StartWorkflowRequest",
    "TaskExecLog",
    "TaskResult",
    "TaskResultStatus",
]

JSON = dict[str, Any]

# Conductor's TaskResult.setReasonForIncompletion keeps the first 500 characters.
MAX_REASON_LENGTH = 500
# Below this a createdTime is taken as epoch seconds (1e11 ms is 1973, 1e11 s is the year 5138).
_SECONDS_BELOW = 10**11


class StartWorkflowRequest(ConductorModel):
    """Body of `POST /api/workflow` and of the execute endpoint (spec §2.4).

    `name` is required by the validation, not by parsing, so that the execute endpoint can take the
    name from its path. `workflowDef`, when given, is used instead of a registered definition.
    """

    name: str = ""
    version: int | None = None
    correlationId: str | None = None
    input: JSON = {}
    taskToDomain: dict[str, str] = {}
    workflowDef: WorkflowDef | None = None
    externalInputPayloadStoragePath: str | None = None
    priority: int = 0
    createdBy: str | None = None
    idempotencyKey: str | None = None
    idempotencyStrategy: IdempotencyStrategy | None = None

    @field_validator("priority")
    @classmethod
    def _priority_range(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"priority: {value} should be minimum 0")
        if value > 99:
            raise ValueError(f"priority: {value} should be maximum 99")
        return value


class TaskResultStatus(StrEnum):
    """The statuses a worker may report for a task (Conductor `TaskResult.Status`)."""

    IN_PROGRESS = "IN_PROGRESS"
    FAILED = "FAILED"
    FAILED_WITH_TERMINAL_ERROR = "FAILED_WITH_TERMINAL_ERROR"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"

    @property
    def task_status(self) -> TaskStatus:
        """The task status this result puts the task in."""
        return TaskStatus(self.value)


def _epoch_ms(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        try:
            value = float(value)
        except ValueError:
            return value  # left for pydantic to reject with its usual message
    if isinstance(value, float) and math.isfinite(value):
        value = int(value * 1000) if 0 < value < _SECONDS_BELOW else int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < _SECONDS_BELOW:
        return value * 1000
    return value


class TaskExecLog(ConductorModel):
    """One log line of a task (Conductor `TaskExecLog`).

    The Python SDK sends non-string log values and, for exception logs, createdTime in epoch
    seconds: `log` is turned into text and `createdTime` is always epoch milliseconds.
    """

    log: str = ""
    taskId: str | None = None
    createdTime: int = 0

    @field_validator("log", mode="before")
    @classmethod
    def _log_as_text(cls, value: Any) -> Any:
        return value if isinstance(value, str) else str(value)

    @field_validator("createdTime", mode="before")
    @classmethod
    def _created_time_ms(cls, value: Any) -> Any:
        return _epoch_ms(value)


class TaskResult(ConductorModel):
    """A worker's report on a task: body of `POST /api/tasks` and `/api/tasks/update-v2` (§2.7).

    `status` is None only in malformed bodies; `extendLease: true` asks only to reset the response
    timeout. `reasonForIncompletion` is text (the SDK may send any JSON value) cut to 500 chars.
    """

    workflowInstanceId: str = ""
    taskId: str = ""
    reasonForIncompletion: str | None = None
    callbackAfterSeconds: int = 0
    workerId: str | None = None
    status: TaskResultStatus | None = None
    outputData: JSON = {}
    logs: list[TaskExecLog] = []
    externalOutputPayloadStoragePath: str | None = None
    subWorkflowId: str | None = None
    extendLease: bool = False
    supportsCancellation: bool = False
    executionMetadata: JSON | None = None

    @field_validator("reasonForIncompletion", mode="before")
    @classmethod
    def _reason_as_text(cls, value: Any) -> Any:
        text = value if isinstance(value, str) else str(value)
        return text[:MAX_REASON_LENGTH]

    @field_validator("callbackAfterSeconds", mode="before")
    @classmethod
    def _whole_seconds(cls, value: Any) -> Any:
        # Python workers may compute the delay as a float; Jackson truncates it to a long.
        return int(value) if isinstance(value, float) and math.isfinite(value) else value


class SkipTaskRequest(ConductorModel):
    """Input and output recorded for a skipped task (`PUT /workflow/{id}/skiptask/{ref}`)."""

    taskInput: JSON = {}
    taskOutput: JSON = {}


class RerunWorkflowRequest(ConductorModel):
    """Body of `POST /api/workflow/{id}/rerun` (§2.8, §6.9).

    `workflowInput`, `taskInput` and `correlationId` replace the current values only when given,
    so they stay None when absent.
    """

    reRunFromWorkflowId: str | None = None
    workflowInput: JSON | None = None
    reRunFromTaskId: str | None = None
    taskInput: JSON | None = None
    correlationId: str | None = None
