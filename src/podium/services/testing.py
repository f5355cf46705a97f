"""Test runs of a workflow: worker tasks are answered by mocked outputs, no worker involved."""

from __future__ import annotations

import uuid
from collections import Counter

from podium.model.executions import Task
from podium.model.requests import StartWorkflowRequest, TaskResult
from podium.model.testing import TaskMock, WorkflowTestRequest
from podium.services.tasks import TaskService
from podium.services.workflows import WorkflowService
from podium.store import JSON

__all__ = ["WorkflowTester"]

# A test run ends once a pass over its live tasks finds no mock left to apply; this bounds
# the passes for a definition whose mocks keep a task retrying.
_MAX_PASSES = 10_000


class WorkflowTester:
    """Runs `POST /api/workflow/test`."""

    def __init__(self, workflows: WorkflowService, tasks: TaskService) -> None:
        self.workflows = workflows
        self.tasks = tasks

    async def run(self, request: WorkflowTestRequest) -> JSON:
        """Start the workflow in a private task domain, answer its tasks from the mocks.

        The private domain (`"*"` mapped to a random name) keeps real workers away, as in
        Conductor. Returns the execution as it stands when no mock applies any more.
        """
        start = StartWorkflowRequest.model_validate(
            {
                **request.model_dump(exclude={"taskRefToMockOutput", "subWorkflowTestRequest"}),
                "taskToDomain": {"*": f"podium-test-{uuid.uuid4().hex}"},
            }
        )
        workflow_id = await self.workflows.start(start, actor="workflow-test")
        used: Counter[str] = Counter()
        for _ in range(_MAX_PASSES):
            wf, tasks = await self.workflows.get(workflow_id, include_tasks=True)
            if wf.status.terminal or not await self._answer(request, tasks, used):
                break
        return await self.workflows.get_json(workflow_id)

    async def _answer(
        self, request: WorkflowTestRequest, tasks: list[Task], used: Counter[str]
    ) -> bool:
        answered = False
        for task in tasks:
            if task.status.terminal:
                continue
            mock = _next_mock(request, task, used)
            if mock is None:
                continue
            result = TaskResult(
                workflowInstanceId=task.workflowInstanceId,
                taskId=task.taskId,
                status=mock.status,
                outputData=dict(mock.output),
                workerId="workflow-test",
            )
            await self.tasks.update(result)
            answered = True
        return answered


def _next_mock(request: WorkflowTestRequest, task: Task, used: Counter[str]) -> TaskMock | None:
    mocks = request.taskRefToMockOutput
    ref = task.referenceTaskName if task.referenceTaskName in mocks else task.ref_base
    attempts = mocks.get(ref) or []
    if used[ref] >= len(attempts):
        return None
    used[ref] += 1
    return attempts[used[ref] - 1]
