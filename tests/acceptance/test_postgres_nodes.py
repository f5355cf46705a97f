"""Two Podium nodes on one PostgreSQL database: a long poll on one node wakes the moment a task
is queued through the other (LISTEN/NOTIFY), and neither node loses the other's work."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from tests.acceptance.test_auth import create_app
from tests.support.postgres import postgres_database, terminate_connections
from tests.support.server import PodiumProcess, wait_for

pytestmark = pytest.mark.acceptance


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[PodiumProcess, PodiumProcess]]:
    with postgres_database() as url:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        first, second = PodiumProcess(tmp_path / "a"), PodiumProcess(tmp_path / "b")
        for node in (first, second):
            node.db = url  # both nodes on one database
        first.start()
        second.start()
        try:
            yield first, second
        finally:
            first.stop()
            second.stop()


def register_one_task_workflow(
    node: PodiumProcess, name: str, task_type: str, task_def: Mapping[str, object] | None = None
) -> None:
    if task_def is not None:
        answer = httpx.post(f"{node.api}/metadata/taskdefs", json=[{"name": task_type, **task_def}])
        assert answer.status_code == 200, answer.text
    definition = {
        "name": name,
        "version": 1,
        "tasks": [{"name": task_type, "taskReferenceName": "w"}],
    }
    assert httpx.post(f"{node.api}/metadata/workflow", json=definition).status_code == 200


def long_poll_woken_from(
    a: PodiumProcess, b: PodiumProcess, task_type: str, workflow: str, worker_id: str
) -> None:
    """A long poll on node a answers the moment node b starts a workflow queueing its task."""
    polled: list[list[dict[str, object]]] = []

    def long_poll() -> None:
        answer = httpx.get(
            f"{a.api}/tasks/poll/batch/{task_type}",
            params={"timeout": 5000, "workerid": worker_id},
            timeout=10,
        )
        polled.append(answer.json())

    def poll_recorded() -> bool:
        found = httpx.get(f"{b.api}/tasks/queue/polldata", params={"taskType": task_type}).json()
        return any(p["workerId"] == worker_id for p in found)

    poller = threading.Thread(target=long_poll)
    poller.start()
    # The poll is waiting once node a has recorded it (poll data lives in the shared database).
    wait_for(poll_recorded, 10, "the long poll to reach node a")
    started = time.monotonic()
    workflow_id = httpx.post(f"{b.api}/workflow", json={"name": workflow}).text
    poller.join(10)
    waited = time.monotonic() - started
    assert polled, "the long poll did not answer"
    assert [t["workflowInstanceId"] for t in polled[0]] == [workflow_id]
    assert waited < 2.0, f"woken after {waited:.2f} s: the poll waited for its own timeout"


def test_a_long_poll_on_one_node_wakes_when_another_node_queues_the_task(
    nodes: tuple[PodiumProcess, PodiumProcess],
) -> None:
    a, b = nodes
    register_one_task_workflow(b, "two_nodes", "pg_work")
    long_poll_woken_from(a, b, "pg_work", "two_nodes", "w1")


def test_a_node_recovers_by_itself_when_the_database_drops_its_connections(
    nodes: tuple[PodiumProcess, PodiumProcess],
) -> None:
    """What a database restart does to a node: requests, the sweeper and LISTEN carry on."""
    a, b = nodes
    task_def = {"responseTimeoutSeconds": 1, "retryCount": 1, "retryDelaySeconds": 0}
    register_one_task_workflow(a, "reconnecting", "pg_lease", task_def)
    first = httpx.post(f"{a.api}/workflow", json={"name": "reconnecting"}).text
    polled = httpx.get(f"{a.api}/tasks/poll/pg_lease", params={"workerid": "gone"}).json()
    assert polled["workflowInstanceId"] == first  # never answered: the sweeper must time it out

    assert terminate_connections(a.db) > 0
    answers = [
        httpx.get(f"{node.api}/metadata/workflow/reconnecting").status_code
        for _ in range(12)
        for node in (a, b)
    ]
    assert set(answers) == {200}, answers  # no request fails on a connection the drop killed

    def retried() -> bool:
        tasks = httpx.get(f"{b.api}/workflow/{first}").json()["tasks"]
        return [t["status"] for t in tasks] == ["TIMED_OUT", "SCHEDULED"]

    wait_for(retried, 10, "the sweeper to time out the attempt polled before the drop")
    retry = httpx.get(f"{a.api}/tasks/poll/pg_lease", params={"workerid": "w1"}).json()
    assert retry["workflowInstanceId"] == first
    long_poll_woken_from(a, b, "pg_lease", "reconnecting", "w2")  # LISTEN is back on node a
    for node in (a, b):
        assert "loop_crashed" not in node.log_path.read_text(errors="replace")


def test_a_definition_changed_on_one_node_is_used_by_the_others_at_once(
    nodes: tuple[PodiumProcess, PodiumProcess],
) -> None:
    a, b = nodes

    def define(task_name: str) -> None:
        definition = {
            "name": "evolving",
            "version": 1,
            "tasks": [{"name": task_name, "taskReferenceName": "only"}],
        }
        answer = httpx.put(f"{a.api}/metadata/workflow", json=[definition])
        assert answer.status_code == 200, answer.text

    def first_task_type() -> str:
        workflow_id = httpx.post(f"{b.api}/workflow", json={"name": "evolving"}).text
        found = httpx.get(f"{b.api}/workflow/{workflow_id}").json()
        return str(found["tasks"][0]["taskType"])

    define("old_step")
    assert first_task_type() == "old_step"  # node b has now prepared (cached) version 1
    define("new_step")  # changed through node a
    assert wait_for(
        lambda: first_task_type() == "new_step", 5, "node b to start the new definition"
    )


def test_a_domain_polled_through_one_node_is_active_on_the_others(
    nodes: tuple[PodiumProcess, PodiumProcess],
) -> None:
    a, b = nodes
    definition = {
        "name": "domains_across_nodes",
        "version": 1,
        "tasks": [{"name": "pg_domain_work", "taskReferenceName": "w"}],
    }
    assert httpx.post(f"{a.api}/metadata/workflow", json=definition).status_code == 200
    # Blue workers poll node a only.
    polled = httpx.get(
        f"{a.api}/tasks/poll/pg_domain_work", params={"workerid": "blue-1", "domain": "blue"}
    )
    assert polled.status_code in (200, 204)

    def domain_chosen_by_b() -> str | None:
        start = {"name": "domains_across_nodes", "taskToDomain": {"*": "blue,NO_DOMAIN"}}
        workflow_id = httpx.post(f"{b.api}/workflow", json=start).text
        found = httpx.get(f"{b.api}/workflow/{workflow_id}").json()
        domain = found["tasks"][0].get("domain")
        return None if domain is None else str(domain)

    assert wait_for(lambda: domain_chosen_by_b() == "blue", 10, "node b to route to blue")


def execute_completed_elsewhere(a: PodiumProcess, b: PodiumProcess, n: int) -> float:
    """Execute on node a, complete its task through node b; seconds from the completion to
    node a's answer."""
    answers: list[httpx.Response] = []

    def execute() -> None:
        answers.append(
            httpx.post(
                f"{a.api}/workflow/execute/executed_across_nodes/1",
                params={"waitForSeconds": 10},
                json={"input": {"n": n}},
                timeout=15,
            )
        )

    def poll_b() -> dict[str, object] | None:
        answer = httpx.get(f"{b.api}/tasks/poll/pg_exec_work", params={"workerid": "b"})
        return answer.json() if answer.status_code == 200 else None

    caller = threading.Thread(target=execute)
    caller.start()
    task = wait_for(poll_b, 10, "the executed workflow's task to be queued")
    result = {
        "workflowInstanceId": task["workflowInstanceId"],
        "taskId": task["taskId"],
        "status": "COMPLETED",
        "outputData": {"n": n},
    }
    completed = time.monotonic()
    assert httpx.post(f"{b.api}/tasks", json=result).status_code == 200
    caller.join(15)
    lag = time.monotonic() - completed
    assert [r.status_code for r in answers] == [200], answers
    answer = answers[0].json()
    assert (answer["status"], answer["output"]) == ("COMPLETED", {"n": n}), answer
    assert answer["signalTimeout"] is False
    return lag


def test_a_blocking_execute_on_one_node_answers_when_another_node_completes_its_task(
    nodes: tuple[PodiumProcess, PodiumProcess],
) -> None:
    """`execute` waits on node a while the worker talks to node b: node b's decisions are
    announced to node a because the execution is awaited (other executions' are not)."""
    a, b = nodes
    register_one_task_workflow(a, "executed_across_nodes", "pg_exec_work")
    lags = [execute_completed_elsewhere(a, b, n) for n in range(3)]
    # Without the announcement node a would notice only at its 1 s re-read.
    assert max(lags) < 0.4, lags


def test_a_role_taken_away_through_one_node_is_gone_on_the_others_at_once(
    tmp_path: Path,
) -> None:
    with postgres_database() as url:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        a, b = (PodiumProcess(tmp_path / name, "--auth", db=url) for name in ("a", "b"))
        a.start()
        b.start()
        try:
            admin_app = create_app(url, "ADMIN")
            admin = {"X-Authorization": token_of(a, admin_app["keyId"], admin_app["keySecret"])}
            app = httpx.post(f"{a.api}/applications", json={"name": "reader"}, headers=admin)
            app_id = app.json()["id"]
            roles = f"{a.api}/applications/{app_id}/roles/READ_ONLY_USER"
            assert httpx.post(roles, headers=admin).status_code == 200
            key = httpx.post(f"{a.api}/applications/{app_id}/accessKeys", headers=admin).json()
            reader = {"X-Authorization": token_of(b, key["id"], key["secret"])}

            def reads_on_b() -> int:
                return httpx.get(f"{b.api}/event", headers=reader).status_code  # roles alone decide

            assert reads_on_b() == 200  # node b has now cached the reader's roles
            assert httpx.delete(roles, headers=admin).status_code == 200  # through node a
            wait_for(lambda: reads_on_b() == 403, 5, "node b to drop the reader's role")
        finally:
            a.stop()
            b.stop()


def token_of(node: PodiumProcess, key_id: str, secret: str) -> str:
    answer = httpx.post(f"{node.api}/token", json={"keyId": key_id, "keySecret": secret})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])
