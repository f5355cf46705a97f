"""Task semantics SDK workers rely on: callbacks, retries, terminal errors, leases, domains.

Workers reach Podium through a recording proxy so that the lease tests can see the SDK's
heartbeats and what Podium answered to a late result.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
from conductor.client.http.models.task_def import TaskDef
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.executor.workflow_executor import WorkflowExecutor

from tests.acceptance.harness import (
    running_task_handler,
    sdk_workers,
    task_updates,
    unique,
    wait_for_workflow,
)
from tests.acceptance.proxy import RecordingProxy
from tests.acceptance.workers import (
    BLUE_WORKER_ID,
    DOMAIN_TASK,
    FLAKY_TASK,
    LEASE_TASK,
    LONG_WORK_SECONDS,
    NO_LEASE_TASK,
    PLAIN_WORKER_ID,
    TERMINAL_TASK,
    TIP_TASK,
    flaky,
    in_blue_domain,
    long_with_lease,
    long_without_lease,
    reject,
    report_progress,
)
from tests.support.server import PodiumProcess, wait_for

pytestmark = pytest.mark.acceptance

# Acknowledge late results like Conductor (see the no-lease test); the default is to refuse.
SERVER_ARGS = ("--stale-updates", "ignore")

# The SDK's LeaseManager checks once a second and heartbeats once 80% of
# responseTimeoutSeconds has passed, i.e. at whole seconds: ceil(0.8 * R) after the poll.
# R=5 puts the first heartbeat at ~4 s, a second ahead of the timeout; with R=3 it would
# land at ~3 s, exactly when the sweeper may time the task out.
LEASE_RESPONSE_TIMEOUT = 5
NO_LEASE_RESPONSE_TIMEOUT = 2


@pytest.fixture(scope="module", autouse=True)
def task_defs(clients: Any) -> None:
    """Task definitions that give the workers' tasks their retry and timeout behaviour."""
    metadata = clients.get_metadata_client()
    for task_def in (
        TaskDef(name=TIP_TASK, retry_count=0, timeout_seconds=60, response_timeout_seconds=30),
        _retrying(FLAKY_TASK, retries=2),
        _retrying(TERMINAL_TASK, retries=2),
        _retrying(LEASE_TASK, retries=1, response_timeout=LEASE_RESPONSE_TIMEOUT),
        _retrying(NO_LEASE_TASK, retries=1, response_timeout=NO_LEASE_RESPONSE_TIMEOUT),
        TaskDef(name=DOMAIN_TASK, retry_count=0, timeout_seconds=60, response_timeout_seconds=30),
    ):
        metadata.register_task_def(task_def)


def _retrying(name: str, retries: int, response_timeout: int = 30) -> Any:
    return TaskDef(
        name=name,
        retry_count=retries,
        retry_logic="FIXED",
        retry_delay_seconds=0,
        timeout_policy="RETRY",
        timeout_seconds=300,
        response_timeout_seconds=response_timeout,
    )


@pytest.fixture(scope="module", autouse=True)
def task_handler(task_defs: None, workers_configuration: Any, clients: Any) -> Iterator[Any]:
    workers = sdk_workers(
        TIP_TASK, FLAKY_TASK, TERMINAL_TASK, LEASE_TASK, NO_LEASE_TASK, DOMAIN_TASK
    )
    with running_task_handler(workers_configuration, workers, clients.get_task_client()) as handler:
        yield handler


@pytest.fixture
def executor(configuration: Any) -> Any:
    return WorkflowExecutor(configuration=configuration)


def _one_task_workflow(executor: Any, prefix: str, step: Any) -> str:
    """Register a one-step workflow built with the SDK's DSL; return its name."""
    workflow = ConductorWorkflow(executor=executor, name=unique(prefix), version=1)
    workflow.timeout_seconds(120)
    workflow >> step
    workflow.register(True)
    return str(workflow.name)


def _start(clients: Any, name: str, **request: Any) -> str:
    workflow_client = clients.get_workflow_client()
    return str(
        workflow_client.start_workflow(StartWorkflowRequest(name=name, version=1, **request))
    )


def test_task_in_progress_is_called_back_until_the_worker_completes(
    executor: Any, clients: Any
) -> None:
    name = _one_task_workflow(
        executor, "acc_tip_wf", report_progress(task_ref_name="progress", job="encode")
    )

    workflow = wait_for_workflow(clients.get_workflow_client(), _start(clients, name))

    assert workflow.status == "COMPLETED", workflow
    [task] = workflow.tasks  # one attempt, handed out three times
    assert task.status == "COMPLETED"
    assert task.poll_count == 3
    assert task.retry_count == 0
    assert task.output_data == {"job": "encode", "polls": 3, "done": True}
    # Two callbacks of callbackAfterSeconds=1 lie between the first poll and completion.
    assert task.end_time - task.start_time >= 2000 - 5, task


def test_failed_attempts_are_retried_until_the_worker_succeeds(executor: Any, clients: Any) -> None:
    name = _one_task_workflow(executor, "acc_retry_wf", flaky(task_ref_name="flaky", label="x"))

    workflow = wait_for_workflow(clients.get_workflow_client(), _start(clients, name))

    assert workflow.status == "COMPLETED", workflow
    attempts = [t for t in workflow.tasks if t.reference_task_name == "flaky"]
    assert [(t.retry_count, t.status) for t in attempts] == [
        (0, "FAILED"),
        (1, "FAILED"),
        (2, "COMPLETED"),
    ]
    assert attempts[0].reason_for_incompletion == "x failed on attempt 0"
    assert attempts[1].reason_for_incompletion == "x failed on attempt 1"
    assert attempts[2].output_data == {"label": "x", "succeededOnAttempt": 2}
    assert workflow.output == {"label": "x", "succeededOnAttempt": 2}
    # The SDK ships the worker's traceback with the failed result, as a task log.
    logs = clients.get_task_client().get_task_logs(attempts[0].task_id)
    assert any("RuntimeError: x failed on attempt 0" in log.log for log in logs), logs


def test_non_retryable_exception_fails_the_workflow_without_retry(
    executor: Any, clients: Any
) -> None:
    name = _one_task_workflow(
        executor, "acc_terminal_wf", reject(task_ref_name="charge", card="4242")
    )

    workflow = wait_for_workflow(clients.get_workflow_client(), _start(clients, name))

    assert workflow.status == "FAILED", workflow
    [task] = workflow.tasks  # retryCount=2 in the TaskDef, yet no retry
    assert task.status == "FAILED_WITH_TERMINAL_ERROR"
    assert task.reason_for_incompletion == "card 4242 is invalid"
    assert "card 4242 is invalid" in workflow.reason_for_incompletion


def test_lease_extension_keeps_a_long_task_alive(
    executor: Any, clients: Any, proxy: RecordingProxy
) -> None:
    name = _one_task_workflow(
        executor, "acc_lease_wf", long_with_lease(task_ref_name="long", job="lease")
    )

    workflow = wait_for_workflow(
        clients.get_workflow_client(), _start(clients, name), timeout=LONG_WORK_SECONDS + 10
    )

    assert workflow.status == "COMPLETED", workflow
    [task] = workflow.tasks  # no TIMED_OUT attempt before it
    assert task.status == "COMPLETED"
    assert task.response_timeout_seconds == LEASE_RESPONSE_TIMEOUT
    assert task.output_data == {"job": "lease", "attempt": 0}
    assert task.end_time - task.start_time > LEASE_RESPONSE_TIMEOUT * 1000

    def sent_until_completed() -> list[dict[str, Any]] | None:
        updates = task_updates(proxy, {task.task_id})[task.task_id]
        sent = [x.request_json() | {"answer": x.status} for x in updates]
        return sent if sent[-1]["status"] == "COMPLETED" else None

    sent = wait_for(sent_until_completed, 5, "the worker's COMPLETED update to be recorded")
    heartbeat = {
        "workflowInstanceId": workflow.workflow_id,
        "taskId": task.task_id,
        "status": "IN_PROGRESS",
        "extendLease": True,
        "answer": 200,
    }
    assert sent[0] == heartbeat  # v1 POST /api/tasks, sent at 80% of the response timeout
    assert sent[-1]["answer"] in (200, 204)


def test_without_lease_extension_a_silent_attempt_times_out_and_is_retried(
    executor: Any, clients: Any, proxy: RecordingProxy, podium: PodiumProcess
) -> None:
    name = _one_task_workflow(
        executor, "acc_no_lease_wf", long_without_lease(task_ref_name="long", job="nolease")
    )
    workflow_client = clients.get_workflow_client()

    workflow = wait_for_workflow(workflow_client, _start(clients, name))

    assert workflow.status == "COMPLETED", workflow
    assert [(t.retry_count, t.status) for t in workflow.tasks] == [
        (0, "TIMED_OUT"),
        (1, "COMPLETED"),
    ]
    timed_out, retried = workflow.tasks
    # Timed out by the response timeout, not by the worker finishing its slow attempt.
    assert timed_out.end_time - timed_out.start_time < LONG_WORK_SECONDS * 1000
    assert timed_out.end_time - timed_out.start_time >= NO_LEASE_RESPONSE_TIMEOUT * 1000
    assert retried.output_data == {"job": "nolease", "attempt": 1}

    # The slow first attempt still reports COMPLETED when it finally returns: too late. This
    # module's server runs with `--stale-updates ignore` (SERVER_ARGS): like Conductor OSS it
    # acknowledges the result with a 2xx without applying it. (With the default `reject` the
    # SDK's TaskRunner would retry the refused update after 10, 20 and 30 s.)
    [late] = task_updates(proxy, {timed_out.task_id}, timeout=LONG_WORK_SECONDS + 5)[
        timed_out.task_id
    ]
    assert late.request_json()["status"] == "COMPLETED"
    assert late.status in (200, 204), (late.status, late.response_json())
    after = workflow_client.get_workflow(workflow.workflow_id, include_tasks=True)
    assert after.status == "COMPLETED"
    assert [(t.retry_count, t.status) for t in after.tasks] == [
        (0, "TIMED_OUT"),
        (1, "COMPLETED"),
    ]
    assert after.output == {"job": "nolease", "attempt": 1}
    history = httpx.get(f"{podium.api}/workflow/{workflow.workflow_id}/history").json()
    rejected = [e for e in history if e["event"] == "task_update_rejected"]
    assert [(e["taskId"], e["toStatus"]) for e in rejected] == [(timed_out.task_id, "COMPLETED")]


def test_task_to_domain_routes_tasks_to_the_worker_of_that_domain(
    executor: Any, clients: Any
) -> None:
    name = _one_task_workflow(
        executor, "acc_domain_wf", in_blue_domain(task_ref_name="routed", job="j")
    )

    # WorkflowExecutor.execute(domain="blue") sends taskToDomain {"*": "blue"}.
    blue_run = executor.execute(name=name, version=1, workflow_input={}, domain="blue")
    plain = wait_for_workflow(clients.get_workflow_client(), _start(clients, name))

    assert blue_run.status == "COMPLETED", blue_run
    [blue_task] = executor.get_workflow(blue_run.workflow_id, include_tasks=True).tasks
    assert blue_task.domain == "blue"
    assert blue_task.worker_id == BLUE_WORKER_ID
    assert blue_task.output_data == {"job": "j", "ranBy": "blue"}
    assert plain.status == "COMPLETED", plain
    [plain_task] = plain.tasks
    assert plain_task.domain is None
    assert plain_task.worker_id == PLAIN_WORKER_ID
    assert plain_task.output_data == {"job": "j", "ranBy": "plain"}
