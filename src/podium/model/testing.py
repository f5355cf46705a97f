"""`POST /api/workflow/test`: a start request with mocked task outputs (Conductor §2.15)."""

from __future__ import annotations

from typing import Any

from podium.model.definitions import ConductorModel
from podium.model.requests import StartWorkflowRequest, TaskResultStatus

__all__ = ["TaskMock", "WorkflowTestRequest"]


class TaskMock(ConductorModel):
    """What one attempt of a mocked task reports."""

    status: TaskResultStatus = TaskResultStatus.COMPLETED
    output: dict[str, Any] = {}
    executionTime: int = 0
    queueWaitTime: int = 0


class WorkflowTestRequest(StartWorkflowRequest):
    """A start request whose worker tasks are answered by mocks, attempt by attempt."""

    taskRefToMockOutput: dict[str, list[TaskMock]] = {}
    subWorkflowTestRequest: dict[str, Any] = {}
