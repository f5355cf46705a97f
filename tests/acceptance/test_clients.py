"""conductor-python's metadata, workflow and task clients against Podium, errors and auth."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
from conductor.client.http.models.task_def import TaskDef
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.workflow_def import WorkflowDef
from conductor.client.http.models.workflow_task import WorkflowTask
from conductor.client.http.rest import ApiException
from conductor.client.orkes_clients import OrkesClients

from tests.acceptance.harness import unique
from tests.acceptance.proxy import RecordingProxy
from tests.support.server import PodiumProcess, wait_for

pytestmark = pytest.mark.acceptance


def _step(task_name: str, ref: str = "step") -> Any:
    return WorkflowTask(
        name=task_name,
        task_reference_name=ref,
        type="SIMPLE",
        input_parameters={"who": "${workflow.input.who}"},
    )


def _manual_workflow(metadata: Any, prefix: str) -> tuple[str, str]:
    """A task type no worker polls and a one-step workflow of it: (workflow name, task name)."""
    task_name = unique(f"{prefix}_task")
    metadata.register_task_def(
        TaskDef(name=task_name, retry_count=0, timeout_seconds=300, response_timeout_seconds=120)
    )
    workflow_name = unique(f"{prefix}_wf")
    metadata.register_workflow_def(
        WorkflowDef(name=workflow_name, version=1, tasks=[_step(task_name)], timeout_seconds=300),
        overwrite=True,
    )
    return workflow_name, task_name


def _start(workflow_client: Any, name: str, correlation_id: str | None = None) -> str:
    request = StartWorkflowRequest(
        name=name, version=1, input={"who": "acceptance"}, correlation_id=correlation_id
    )
    return str(workflow_client.start_workflow(request))


def _not_found(call: Any, *args: Any) -> ApiException:
    with pytest.raises(ApiException) as raised:
        call(*args)
    assert raised.value.status == 404, raised.value
    return raised.value


def test_metadata_client_registers_reads_updates_and_removes_definitions(clients: Any) -> None:
    metadata = clients.get_metadata_client()
    task_name = unique("acc_md_task")

    metadata.register_task_def(
        TaskDef(
            name=task_name,
            description="first",
            retry_count=1,
            timeout_seconds=120,
            response_timeout_seconds=60,
        )
    )
    stored = metadata.get_task_def(task_name)
    assert (stored.name, stored.description, stored.retry_count) == (task_name, "first", 1)
    assert (stored.timeout_seconds, stored.response_timeout_seconds) == (120, 60)
    stored.description, stored.retry_count = "second", 4
    metadata.update_task_def(stored)
    updated = metadata.get_task_def(task_name)
    assert (updated.description, updated.retry_count) == ("second", 4)
    assert task_name in {t.name for t in metadata.get_all_task_defs()}

    workflow_name = unique("acc_md_wf")
    v1 = WorkflowDef(
        name=workflow_name, version=1, description="v1", tasks=[_step(task_name, "only")]
    )
    metadata.register_workflow_def(v1, overwrite=True)
    got = metadata.get_workflow_def(workflow_name, version=1)
    assert (got.name, got.version, got.description) == (workflow_name, 1, "v1")
    assert [(t.name, t.task_reference_name, t.type) for t in got.tasks] == [
        (task_name, "only", "SIMPLE")
    ]
    v1.description = "v1, updated"
    metadata.update_workflow_def(v1, overwrite=True)
    assert metadata.get_workflow_def(workflow_name, version=1).description == "v1, updated"
    v2 = WorkflowDef(
        name=workflow_name, version=2, description="v2", tasks=[_step(task_name, "only")]
    )
    metadata.register_workflow_def(v2, overwrite=True)
    assert metadata.get_workflow_def(workflow_name).version == 2  # no version: the latest
    assert (workflow_name, 2) in {(d.name, d.version) for d in metadata.get_all_workflow_defs()}

    metadata.unregister_workflow_def(workflow_name, 1)
    _not_found(metadata.get_workflow_def, workflow_name, 1)
    assert metadata.get_workflow_def(workflow_name).version == 2
    metadata.unregister_workflow_def(workflow_name, 2)
    _not_found(metadata.get_workflow_def, workflow_name)
    metadata.unregister_task_def(task_name)
    _not_found(metadata.get_task_def, task_name)
    assert task_name not in {t.name for t in metadata.get_all_task_defs()}


def test_workflow_client_drives_a_workflow_through_its_lifecycle(clients: Any) -> None:
    workflow_client = clients.get_workflow_client()
    task_client = clients.get_task_client()
    name, task_name = _manual_workflow(clients.get_metadata_client(), "acc_life")
    correlation_id = unique("corr")

    workflow_id = _start(workflow_client, name, correlation_id)
    started = workflow_client.get_workflow(workflow_id, include_tasks=True)
    assert (started.workflow_name, started.status) == (name, "RUNNING")
    assert (started.correlation_id, started.input) == (correlation_id, {"who": "acceptance"})
    assert [(t.task_def_name, t.status) for t in started.tasks] == [(task_name, "SCHEDULED")]
    assert started.tasks[0].input_data == {"who": "acceptance"}
    status = workflow_client.get_workflow_status(
        workflow_id, include_output=True, include_variables=True
    )
    assert (status.workflow_id, status.status) == (workflow_id, "RUNNING")
    assert status.correlation_id == correlation_id

    workflow_client.pause_workflow(workflow_id)
    assert workflow_client.get_workflow_status(workflow_id).status == "PAUSED"
    workflow_client.resume_workflow(workflow_id)
    assert workflow_client.get_workflow_status(workflow_id).status == "RUNNING"

    workflow_client.terminate_workflow(workflow_id, reason="operator said stop")
    terminated = workflow_client.get_workflow(workflow_id, include_tasks=True)
    assert terminated.status == "TERMINATED"
    assert "operator said stop" in terminated.reason_for_incompletion
    assert [t.status for t in terminated.tasks] == ["CANCELED"]

    workflow_client.restart_workflow(workflow_id)
    restarted = workflow_client.get_workflow(workflow_id, include_tasks=True)
    assert restarted.status == "RUNNING"
    assert [(t.task_def_name, t.status) for t in restarted.tasks] == [(task_name, "SCHEDULED")]

    polled = task_client.poll_task(task_name, worker_id="acc-operator")
    assert polled.workflow_instance_id == workflow_id
    task_client.update_task(_result(polled, "FAILED", reason="downstream is down"))
    failed = workflow_client.get_workflow(workflow_id, include_tasks=True)
    assert failed.status == "FAILED"  # the TaskDef allows no retries

    workflow_client.retry_workflow(workflow_id)
    retried = workflow_client.get_workflow(workflow_id, include_tasks=True)
    assert retried.status == "RUNNING"
    assert [(t.retry_count, t.status) for t in retried.tasks] == [(0, "FAILED"), (1, "SCHEDULED")]

    again = task_client.poll_task(task_name, worker_id="acc-operator")
    assert again.task_id == retried.tasks[1].task_id
    task_client.update_task(_result(again, "COMPLETED", output={"answer": 42}))
    done = workflow_client.get_workflow(workflow_id, include_tasks=True)
    assert (done.status, done.output) == ("COMPLETED", {"answer": 42})


def test_a_result_for_a_task_of_a_terminated_workflow_is_refused_and_recorded(
    clients: Any, podium: PodiumProcess
) -> None:
    # A worker still busy when an operator terminates the workflow reports afterwards. Podium
    # refuses the result with 409 (Conductor OSS answers 200 and drops it) and records it in
    # the execution's history; nothing else changes.
    workflow_client = clients.get_workflow_client()
    task_client = clients.get_task_client()
    name, task_name = _manual_workflow(clients.get_metadata_client(), "acc_late")
    workflow_id = _start(workflow_client, name)
    task = task_client.poll_task(task_name, worker_id="acc-operator")
    workflow_client.terminate_workflow(workflow_id, reason="operator stopped it")

    with pytest.raises(ApiException) as refused:
        task_client.update_task(_result(task, "COMPLETED", output={"late": True}))

    assert refused.value.status == 409
    assert "CANCELED" in refused.value.body
    after = workflow_client.get_workflow(workflow_id, include_tasks=True)
    assert after.status == "TERMINATED"
    assert [(t.status, t.output_data) for t in after.tasks] == [("CANCELED", {})]
    history = httpx.get(f"{podium.api}/workflow/{workflow_id}/history").json()
    assert history[-1]["event"] == "task_update_rejected"
    assert history[-1]["taskId"] == task.task_id
    assert history[-1]["actor"] == "worker:acc-operator"


def test_workflow_search_by_correlation_id_and_status(clients: Any) -> None:
    workflow_client = clients.get_workflow_client()
    name, _ = _manual_workflow(clients.get_metadata_client(), "acc_search")
    correlation_id = unique("corr")
    running = _start(workflow_client, name, correlation_id)
    stopped = _start(workflow_client, name, correlation_id)
    _start(workflow_client, name, unique("other"))
    workflow_client.terminate_workflow(stopped, reason="only one should keep running")

    def search(query: str) -> dict[str, str]:
        found = workflow_client.search(query=query).results
        return {summary.workflow_id: summary.status for summary in found}

    by_correlation = f'correlationId = "{correlation_id}"'
    assert wait_for(
        lambda: search(by_correlation) == {running: "RUNNING", stopped: "TERMINATED"},
        5,
        f"search {by_correlation}",
    )
    assert search(f'status IN (RUNNING) AND correlationId = "{correlation_id}"') == {
        running: "RUNNING"
    }


def test_task_client_polls_updates_and_logs(clients: Any) -> None:
    workflow_client = clients.get_workflow_client()
    task_client = clients.get_task_client()
    name, task_name = _manual_workflow(clients.get_metadata_client(), "acc_tasks")
    before_ms = int(time.time() * 1000)
    workflow_ids = [_start(workflow_client, name) for _ in range(3)]
    assert task_client.get_queue_size_for_task(task_name) == 3

    task = task_client.poll_task(task_name, worker_id="acc-poller")
    assert task.workflow_instance_id in workflow_ids
    assert (task.status, task.worker_id, task.poll_count) == ("IN_PROGRESS", "acc-poller", 1)
    batch = task_client.batch_poll_tasks(
        task_name, worker_id="acc-batcher", count=5, timeout_in_millisecond=100
    )
    assert sorted([task.workflow_instance_id] + [t.workflow_instance_id for t in batch]) == sorted(
        workflow_ids
    )
    assert task_client.get_queue_size_for_task(task_name) == 0
    assert task_client.batch_poll_tasks(task_name, worker_id="acc-batcher", count=5) == []

    fetched = task_client.get_task(task.task_id)
    assert (fetched.task_id, fetched.status, fetched.worker_id) == (
        task.task_id,
        "IN_PROGRESS",
        "acc-poller",
    )
    task_client.add_task_log(task.task_id, "picked up by acc-poller")
    task_client.add_task_log(task.task_id, 'a "quoted" line')
    plain, quoted = task_client.get_task_logs(task.task_id)
    assert plain.log == "picked up by acc-poller"
    assert "quoted" in quoted.log  # the SDK sends it JSON-escaped; the text survives
    for log in (plain, quoted):
        assert (log.task_id, log.created_time >= before_ms) == (task.task_id, True)

    updated = task_client.update_task(_result(task, "COMPLETED", output={"seen": True}))
    assert updated == task.task_id
    done = workflow_client.get_workflow(task.workflow_instance_id, include_tasks=True)
    assert (done.status, done.output) == ("COMPLETED", {"seen": True})
    assert done.tasks[0].output_data == {"seen": True}

    poll_data = task_client.get_task_poll_data(task_name)
    assert {d.queue_name for d in poll_data} == {task_name}
    assert "acc-batcher" in {d.worker_id for d in poll_data}
    assert all(d.last_poll_time >= before_ms for d in poll_data)
    for other in batch:
        workflow_client.terminate_workflow(other.workflow_instance_id, reason="test cleanup")


def test_unknown_ids_are_404_errors_that_name_the_id(clients: Any) -> None:
    missing = unique("no_such_workflow")
    error = _not_found(clients.get_workflow_client().get_workflow, missing)
    assert missing in error.message
    missing_def = unique("no_such_task_def")
    error = _not_found(clients.get_metadata_client().get_task_def, missing_def)
    assert missing_def in error.message


def test_sdk_with_auth_keys_falls_back_to_open_mode_when_token_endpoint_is_404(
    podium: PodiumProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONDUCTOR_AUTH_KEY", "acc-key-id")
    monkeypatch.setenv("CONDUCTOR_AUTH_SECRET", "acc-key-secret")
    task_name = unique("acc_open_mode")
    with RecordingProxy(podium.url) as proxy:
        configuration = Configuration(server_api_url=proxy.api, log_level="WARNING")
        assert configuration.authentication_settings is not None

        sdk = OrkesClients(configuration)
        metadata = sdk.get_metadata_client()  # fetches a token when it is built
        assert configuration.authentication_settings is None  # the SDK's "open mode"
        metadata.register_task_def(TaskDef(name=task_name))
        assert metadata.get_task_def(task_name).name == task_name
        sdk.get_workflow_client()  # shares the Configuration: no second token request

    [token] = proxy.exchanges(path="/api/token")
    assert (token.method, token.status) == ("POST", 404)
    assert token.request_json() == {"keyId": "acc-key-id", "keySecret": "acc-key-secret"}
    later = [x for x in proxy.exchanges() if x.path != "/api/token"]
    assert [x.method for x in later] == ["POST", "GET"]
    assert all("x-authorization" not in x.request_headers for x in later)


def _result(task: Any, status: str, output: Any = None, reason: str | None = None) -> Any:
    return TaskResult(
        workflow_instance_id=task.workflow_instance_id,
        task_id=task.task_id,
        worker_id="acc-operator",
        status=status,
        output_data=output or {},
        reason_for_incompletion=reason,
    )
