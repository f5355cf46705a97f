"""conductor-python's worker runtime against Podium: helloworld, async workers, batch polling.

The workers talk to Podium through a recording proxy, so the tests can also check which
endpoints the SDK ended up using (a silent fallback from update-v2 to v1 would still
"work" but would break async workers and cost a round trip per task).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
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
    ASYNC_TASK,
    BATCH_TASK,
    GREET_TASK,
    async_shout,
    batch_square,
    greet,
)

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module", autouse=True)
def task_handler(workers_configuration: Any, clients: Any) -> Iterator[Any]:
    workers = sdk_workers(GREET_TASK, ASYNC_TASK, BATCH_TASK)
    with running_task_handler(workers_configuration, workers, clients.get_task_client()) as handler:
        yield handler


@pytest.fixture
def executor(configuration: Any) -> Any:
    return WorkflowExecutor(configuration=configuration)


def test_helloworld_runs_unchanged(executor: Any) -> None:
    # examples/helloworld: greetings_workflow.py + helloworld.py, as shipped with the SDK.
    workflow = ConductorWorkflow(executor=executor, name="greetings")
    workflow.version = 1
    workflow >> greet(task_ref_name="greet_ref", name=workflow.input("name"))
    workflow.register(True)

    run = executor.execute(
        name=workflow.name, version=workflow.version, workflow_input={"name": "Orkes"}
    )

    assert run.status == "COMPLETED", run
    assert run.output["result"] == "Hello Orkes"
    [task] = executor.get_workflow(run.workflow_id, include_tasks=True).tasks
    assert task.task_def_name == GREET_TASK
    assert task.reference_task_name == "greet_ref"
    assert task.status == "COMPLETED"
    assert task.input_data == {"name": "Orkes"}
    assert task.output_data == {"result": "Hello Orkes"}


def test_async_worker_completes_a_workflow_through_update_v2(
    executor: Any, proxy: RecordingProxy
) -> None:
    workflow = ConductorWorkflow(executor=executor, name=unique("acc_async_wf"), version=1)
    first = async_shout(task_ref_name="first", text=workflow.input("text"))
    second = async_shout(task_ref_name="second", text=first.output("text"))
    workflow >> first >> second
    workflow.register(True)

    run = executor.execute(name=workflow.name, version=1, workflow_input={"text": "hi"})

    assert run.status == "COMPLETED", run
    assert run.output == {"text": "HI!!"}
    tasks = executor.get_workflow(run.workflow_id, include_tasks=True).tasks
    assert [(t.reference_task_name, t.status) for t in tasks] == [
        ("first", "COMPLETED"),
        ("second", "COMPLETED"),
    ]
    updates = task_updates(proxy, {t.task_id for t in tasks})
    for task in tasks:
        [update] = updates[task.task_id]
        assert update.path == "/api/tasks/update-v2"
        assert update.status in (200, 204), update
        assert update.request_json()["status"] == "COMPLETED"


def test_batch_polling_worker_with_five_threads_completes_twenty_workflows(
    executor: Any, clients: Any, proxy: RecordingProxy
) -> None:
    workflow = ConductorWorkflow(executor=executor, name=unique("acc_batch_wf"), version=1)
    workflow >> batch_square(task_ref_name="square", n=workflow.input("n"))
    workflow.register(True)
    workflow_client = clients.get_workflow_client()

    ids = {
        n: workflow_client.start_workflow(
            StartWorkflowRequest(name=workflow.name, version=1, input={"n": n})
        )
        for n in range(20)
    }
    finished = {n: wait_for_workflow(workflow_client, wid, timeout=30) for n, wid in ids.items()}

    assert {n: wf.status for n, wf in finished.items()} == dict.fromkeys(ids, "COMPLETED")
    assert {n: wf.output for n, wf in finished.items()} == {n: {"square": n * n} for n in ids}
    tasks = [wf.tasks[0] for wf in finished.values()]
    assert _most_at_once(tasks) > 1, "thread_count=5 should run several tasks at once"
    polls = proxy.exchanges("GET", f"/api/tasks/poll/batch/{BATCH_TASK}")
    assert any(int(p.query["count"][0]) > 1 for p in polls)
    updates = task_updates(proxy, {t.task_id for t in tasks})
    for task in tasks:
        assert [u.path for u in updates[task.task_id]] == ["/api/tasks/update-v2"]
        assert updates[task.task_id][0].status in (200, 204)


def _most_at_once(tasks: list[Any]) -> int:
    """The largest number of these tasks that were in progress at the same moment."""
    edges = sorted(
        [(t.start_time, 1) for t in tasks] + [(t.end_time, -1) for t in tasks],
        key=lambda edge: (edge[0], edge[1]),
    )
    running = peak = 0
    for _, change in edges:
        running += change
        peak = max(peak, running)
    return peak
