"""Conductor's static and dynamic fork/join fixtures (test-harness), registered unchanged.

Expected states follow Conductor's ForkJoinSpec / DynamicForkJoinSpec: tasks are listed as
(referenceTaskName, taskType, status) in the workflow's order. Task definitions are the
harness ones (`integration_task_0..20`, one retry); a test that needs no retries re-registers
the definition with `retryCount: 0`, as the Conductor specs do.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from .drive import (
    JSON,
    complete,
    fail,
    poll,
    poll_none,
    start,
    task_def,
    task_defs,
    wait_for,
    work,
    workflow,
)
from .test_fixtures import harness, load, terminal

__all__ = ["finished", "harness", "non_joins", "retry", "rows", "states", "task_of", "until"]

Row = tuple[str, str, str]


def rows(wf: JSON) -> list[Row]:
    """(referenceTaskName, taskType, status) of every task, in the workflow's order."""
    return [(t["referenceTaskName"], t["taskType"], t["status"]) for t in wf["tasks"]]


def states(wf: JSON) -> dict[str, tuple[str, str]]:
    """ref -> (taskType, status) of the latest attempt of each ref."""
    return {t["referenceTaskName"]: (t["taskType"], t["status"]) for t in wf["tasks"]}


def non_joins(wf: JSON) -> list[str]:
    """Refs in the workflow's order, JOINs left out (their relative order is version-specific)."""
    return [t["referenceTaskName"] for t in wf["tasks"] if t["taskType"] != "JOIN"]


def task_of(wf: JSON, ref: str) -> JSON:
    """The latest attempt of `ref`."""
    found: list[JSON] = [t for t in wf["tasks"] if t["referenceTaskName"] == ref]
    assert found, f"no task {ref} in {rows(wf)}"
    return found[-1]


def until(client: TestClient, wf_id: str, check: Callable[[JSON], bool], what: str) -> JSON:
    """Re-read the workflow until `check` holds (async system tasks, child workflows)."""

    def probe() -> JSON | None:
        wf = workflow(client, wf_id)
        return wf if check(wf) else None

    return wait_for(probe, what=what)


def finished(client: TestClient, wf_id: str) -> JSON:
    return wait_for(lambda: terminal(client, wf_id), what=f"workflow {wf_id} to end")


def retry(client: TestClient, wf_id: str) -> None:
    response = client.post(f"/api/workflow/{wf_id}/retry")
    assert response.status_code == 204, response.text


def test_fork_join_with_no_task_retry_fails_then_retry_resumes(harness: TestClient) -> None:
    """fork_join_with_no_task_retry_integration_test.json: t2 (no retries) fails, so the
    workflow FAILS with the JOIN and the still scheduled t3 CANCELED; POST /retry re-runs t2
    and t3 as new attempts, resets the JOIN to IN_PROGRESS, and the workflow then completes."""
    task_defs(harness, *(task_def(f"integration_task_0_RT_{i}") for i in range(1, 5)))
    load(harness, "fork_join_with_no_task_retry_integration_test.json")
    wf_id = start(harness, "FanInOutTest_2", input={})
    assert rows(workflow(harness, wf_id)) == [
        ("fanouttask", "FORK", "COMPLETED"),
        ("t1", "integration_task_0_RT_1", "SCHEDULED"),
        ("t2", "integration_task_0_RT_2", "SCHEDULED"),
        ("fanouttask_join", "JOIN", "IN_PROGRESS"),
    ]
    work(harness, "integration_task_0_RT_1")
    assert rows(workflow(harness, wf_id))[4] == ("t3", "integration_task_0_RT_3", "SCHEDULED")
    failed = poll(harness, "integration_task_0_RT_2")
    fail(harness, failed, "Failed....")
    wf = finished(harness, wf_id)
    assert wf["status"] == "FAILED"
    assert rows(wf) == [
        ("fanouttask", "FORK", "COMPLETED"),
        ("t1", "integration_task_0_RT_1", "COMPLETED"),
        ("t2", "integration_task_0_RT_2", "FAILED"),
        ("fanouttask_join", "JOIN", "CANCELED"),
        ("t3", "integration_task_0_RT_3", "CANCELED"),
    ]
    assert wf["reasonForIncompletion"] == (
        f"Task {failed['taskId']} failed with status: FAILED and reason: 'Failed....'"
    )
    retry(harness, wf_id)
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    assert rows(wf)[2:] == [
        ("t2", "integration_task_0_RT_2", "FAILED"),
        ("fanouttask_join", "JOIN", "IN_PROGRESS"),
        ("t3", "integration_task_0_RT_3", "CANCELED"),
        ("t2", "integration_task_0_RT_2", "SCHEDULED"),
        ("t3", "integration_task_0_RT_3", "SCHEDULED"),
    ]
    assert wf["tasks"][5]["retriedTaskId"] == failed["taskId"]
    work(harness, "integration_task_0_RT_3")
    work(harness, "integration_task_0_RT_2")
    work(harness, "integration_task_0_RT_4")
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert [status for _, _, status in rows(wf)] == [
        "COMPLETED", "COMPLETED", "FAILED", "COMPLETED", "CANCELED",
        "COMPLETED", "COMPLETED", "COMPLETED",
    ]  # fmt: skip
    assert rows(wf)[7] == ("t4", "integration_task_0_RT_4", "COMPLETED")


def test_fork_join_permissive_join_waits_then_fails(harness: TestClient) -> None:
    """fork_join_permissive_integration_test.json: the permissive t1 (no retries) fails but
    the JOIN waits for t2; once t2 completes the JOIN FAILS with t1's reason, the workflow
    FAILS and t3 after the JOIN is never scheduled."""
    task_defs(harness, task_def("integration_task_1"))
    load(harness, "fork_join_permissive_integration_test.json")
    wf_id = start(harness, "FanInOutPermissiveTest", input={})
    wf = workflow(harness, wf_id)
    assert rows(wf) == [
        ("fanouttask", "FORK", "COMPLETED"),
        ("t1", "integration_task_1", "SCHEDULED"),
        ("t2", "integration_task_2", "SCHEDULED"),
        ("fanouttask_join", "JOIN", "IN_PROGRESS"),
    ]
    assert task_of(wf, "t1")["workflowTask"]["permissive"] is True
    fail(harness, poll(harness, "integration_task_1"), "Failed...")
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    assert [status for _, _, status in rows(wf)] == [
        "COMPLETED", "FAILED", "SCHEDULED", "IN_PROGRESS",
    ]  # fmt: skip
    complete(harness, poll(harness, "integration_task_2"), {"done": 2})
    wf = finished(harness, wf_id)
    assert wf["status"] == "FAILED"
    assert rows(wf) == [
        ("fanouttask", "FORK", "COMPLETED"),
        ("t1", "integration_task_1", "FAILED"),
        ("t2", "integration_task_2", "COMPLETED"),
        ("fanouttask_join", "JOIN", "FAILED"),
    ]
    assert "Failed..." in task_of(wf, "fanouttask_join")["reasonForIncompletion"]
    assert "Failed..." in wf["reasonForIncompletion"]
    poll_none(harness, "integration_task_3")


def test_fork_join_with_no_permissive_task_retry_fails_at_the_join_then_retries(
    harness: TestClient,
) -> None:
    """fork_join_with_no_permissive_task_retry_integration_test.json: permissive tasks with an
    inline taskDefinition (retryCount 0). t2 failing keeps the workflow RUNNING; when t3 fails
    too the JOIN and the workflow FAIL; POST /retry re-runs t2 and t3 and the flow completes."""
    load(harness, "fork_join_with_no_permissive_task_retry_integration_test.json")
    wf_id = start(harness, "FanInOutPermissiveTest_2", input={})
    assert [ref for ref, _, _ in rows(workflow(harness, wf_id))] == [
        "fanouttask", "t1", "t2", "fanouttask_join",
    ]  # fmt: skip
    work(harness, "integration_p_task_0_RT_1")
    fail(harness, poll(harness, "integration_p_task_0_RT_2"), "Failed....")
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    assert rows(wf) == [
        ("fanouttask", "FORK", "COMPLETED"),
        ("t1", "integration_p_task_0_RT_1", "COMPLETED"),
        ("t2", "integration_p_task_0_RT_2", "FAILED"),
        ("fanouttask_join", "JOIN", "IN_PROGRESS"),
        ("t3", "integration_p_task_0_RT_3", "SCHEDULED"),
    ]
    fail(harness, poll(harness, "integration_p_task_0_RT_3"), "Failed....")
    wf = finished(harness, wf_id)
    assert wf["status"] == "FAILED"
    assert [status for _, _, status in rows(wf)] == [
        "COMPLETED", "COMPLETED", "FAILED", "FAILED", "FAILED",
    ]  # fmt: skip
    retry(harness, wf_id)
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    assert rows(wf)[3:] == [
        ("fanouttask_join", "JOIN", "IN_PROGRESS"),
        ("t3", "integration_p_task_0_RT_3", "FAILED"),
        ("t2", "integration_p_task_0_RT_2", "SCHEDULED"),
        ("t3", "integration_p_task_0_RT_3", "SCHEDULED"),
    ]
    work(harness, "integration_p_task_0_RT_3")
    work(harness, "integration_p_task_0_RT_2")
    work(harness, "integration_p_task_0_RT_4")
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 8
    assert rows(wf)[3] == ("fanouttask_join", "JOIN", "COMPLETED")
    assert rows(wf)[7] == ("t4", "integration_p_task_0_RT_4", "COMPLETED")


def test_fork_join_sync_mode_joins_three_branches_and_maps_outputs(harness: TestClient) -> None:
    """fork_join_sync_mode_integration_test.json: three branches joined by a `joinMode: SYNC`
    JOIN; its output holds each branch's output, which postJoinTask and the workflow's
    outputParameters read through `${joinTask.output.<ref>}`."""
    load(harness, "fork_join_sync_mode_integration_test.json")
    wf_id = start(harness, "ForkJoinSyncModeTest", input={"param1": "v1"})
    assert rows(workflow(harness, wf_id)) == [
        ("forkTask", "FORK", "COMPLETED"),
        ("branch_a", "integration_task_1", "SCHEDULED"),
        ("branch_b", "integration_task_2", "SCHEDULED"),
        ("branch_c", "integration_task_3", "SCHEDULED"),
        ("joinTask", "JOIN", "IN_PROGRESS"),
    ]
    for i, task_type in enumerate(("integration_task_1", "integration_task_2"), start=1):
        polled = poll(harness, task_type)
        assert polled["inputData"] == {"p1": "v1"}
        complete(harness, polled, {"n": i})
    assert task_of(workflow(harness, wf_id), "joinTask")["status"] == "IN_PROGRESS"
    work(harness, "integration_task_3", {"n": 3})
    join = task_of(workflow(harness, wf_id), "joinTask")
    assert join["status"] == "COMPLETED"
    assert join["outputData"] == {"branch_a": {"n": 1}, "branch_b": {"n": 2}, "branch_c": {"n": 3}}
    post = poll(harness, "integration_task_4")
    assert post["inputData"] == {
        "branchAResult": {"n": 1},
        "branchBResult": {"n": 2},
        "branchCResult": {"n": 3},
    }
    complete(harness, post)
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert rows(wf)[5] == ("postJoinTask", "integration_task_4", "COMPLETED")
    assert wf["output"] == {
        "branchAOutput": {"n": 1},
        "branchBOutput": {"n": 2},
        "branchCOutput": {"n": 3},
    }


def test_fork_join_sync_nested_inner_join_feeds_the_outer_join(harness: TestClient) -> None:
    """fork_join_sync_nested_integration_test.json: an inner fork/SYNC join inside the first
    branch of an outer fork; the outer JOIN waits for inner_join and outer_c, its output nests
    the inner JOIN's output, then postJoinTask runs and the workflow completes."""
    load(harness, "fork_join_sync_nested_integration_test.json")
    wf_id = start(harness, "ForkJoinSyncNestedTest", input={})
    wf = workflow(harness, wf_id)
    assert states(wf) == {
        "outer_fork": ("FORK", "COMPLETED"),
        "inner_fork": ("FORK", "COMPLETED"),
        "inner_a": ("integration_task_1", "SCHEDULED"),
        "inner_b": ("integration_task_2", "SCHEDULED"),
        "inner_join": ("JOIN", "IN_PROGRESS"),
        "outer_c": ("integration_task_3", "SCHEDULED"),
        "outer_join": ("JOIN", "IN_PROGRESS"),
    }
    assert len(wf["tasks"]) == 7
    assert non_joins(wf) == ["outer_fork", "inner_fork", "inner_a", "inner_b", "outer_c"]
    work(harness, "integration_task_3", {"c": 3})
    work(harness, "integration_task_1", {"a": 1})
    assert states(workflow(harness, wf_id))["outer_join"] == ("JOIN", "IN_PROGRESS")
    work(harness, "integration_task_2", {"b": 2})
    wf = workflow(harness, wf_id)
    inner = {"inner_a": {"a": 1}, "inner_b": {"b": 2}}
    assert task_of(wf, "inner_join")["outputData"] == inner
    outer = task_of(wf, "outer_join")
    assert outer["status"] == "COMPLETED"
    assert outer["outputData"] == {"inner_join": inner, "outer_c": {"c": 3}}
    work(harness, "integration_task_4")
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 8
    assert all(status == "COMPLETED" for _, _, status in rows(wf))


def test_fork_join_sync_optional_failure_completes_the_join_with_errors(
    harness: TestClient,
) -> None:
    """fork_join_sync_optional_fail_integration_test.json: the optional branch fails twice
    (one retry) and ends COMPLETED_WITH_ERRORS; the SYNC JOIN ends COMPLETED_WITH_ERRORS, the
    task after it runs and the workflow COMPLETES."""
    load(harness, "fork_join_sync_optional_fail_integration_test.json")
    wf_id = start(harness, "ForkJoinSyncOptionalFailTest", input={})
    fail(harness, poll(harness, "integration_task_2"), "first")
    fail(harness, poll(harness, "integration_task_2"), "second")
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    assert rows(wf) == [
        ("forkTask", "FORK", "COMPLETED"),
        ("branch_required", "integration_task_1", "SCHEDULED"),
        ("branch_optional", "integration_task_2", "FAILED"),
        ("joinTask", "JOIN", "IN_PROGRESS"),
        ("branch_optional", "integration_task_2", "COMPLETED_WITH_ERRORS"),
    ]
    poll_none(harness, "integration_task_3")
    work(harness, "integration_task_1", {"ok": True})
    wf = workflow(harness, wf_id)
    assert states(wf)["joinTask"] == ("JOIN", "COMPLETED_WITH_ERRORS")
    work(harness, "integration_task_3")
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert rows(wf)[5] == ("postJoinTask", "integration_task_3", "COMPLETED")


def test_nested_fork_join_with_a_decision_in_the_inner_fork(harness: TestClient) -> None:
    """nested_fork_join_integration_test.json: fork1 holds t11 and fork2; fork2 holds t12->t14
    and t13->DECISION (case "a": t16->t19->t20). join2 waits for t14 and t20, join1 for t11 and
    join2, then t15 runs; 13 tasks in the end, all COMPLETED."""
    load(harness, "nested_fork_join_integration_test.json")
    wf_id = start(harness, "FanInOutNestedTest", input={"case": "a"})
    wf = workflow(harness, wf_id)
    assert states(wf) == {
        "fork1": ("FORK", "COMPLETED"),
        "t11": ("integration_task_11", "SCHEDULED"),
        "fork2": ("FORK", "COMPLETED"),
        "t12": ("integration_task_12", "SCHEDULED"),
        "t13": ("integration_task_13", "SCHEDULED"),
        "join2": ("JOIN", "IN_PROGRESS"),
        "join1": ("JOIN", "IN_PROGRESS"),
    }
    assert len(wf["tasks"]) == 7
    refs = [ref for ref, _, _ in rows(wf)]
    assert refs[:5] == ["fork1", "t11", "fork2", "t12", "t13"], "both JOINs come last"
    assert task_of(wf, "join1")["inputData"]["joinOn"] == ["t11", "join2"]
    assert task_of(wf, "join2")["inputData"]["joinOn"] == ["t14", "t20"]
    for n in (11, 12, 13):
        work(harness, f"integration_task_{n}", {"n": n})
    wf = workflow(harness, wf_id)
    assert len(wf["tasks"]) == 10
    assert rows(wf)[7:] == [
        ("t14", "integration_task_14", "SCHEDULED"),
        ("d1", "DECISION", "COMPLETED"),
        ("t16", "integration_task_16", "SCHEDULED"),
    ]
    work(harness, "integration_task_16")
    work(harness, "integration_task_14")
    assert rows(workflow(harness, wf_id))[10] == ("t19", "integration_task_19", "SCHEDULED")
    work(harness, "integration_task_19")
    assert rows(workflow(harness, wf_id))[11] == ("t20", "integration_task_20", "SCHEDULED")
    work(harness, "integration_task_20", {"n": 20})
    wf = workflow(harness, wf_id)
    assert states(wf)["join2"] == ("JOIN", "COMPLETED")
    assert states(wf)["join1"] == ("JOIN", "COMPLETED")
    assert rows(wf)[12] == ("t15", "integration_task_15", "SCHEDULED")
    assert task_of(wf, "join1")["outputData"]["t11"] == {"n": 11}
    work(harness, "integration_task_15")
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 13
    assert all(status == "COMPLETED" for _, _, status in rows(wf))


def test_dynamic_fork_join_forks_the_tasks_listed_by_a_previous_task(harness: TestClient) -> None:
    """dynamic_fork_join_integration_test.json: dt1's output lists WorkflowTasks (xdt1, xdt2)
    and their inputs; FORK_JOIN_DYNAMIC schedules them with those inputs, the JOIN's joinOn
    becomes [xdt1, xdt2] and its output collects theirs; then task4 runs."""
    load(harness, "dynamic_fork_join_integration_test.json")
    wf_id = start(harness, "DynamicFanInOutTest", input={})
    assert rows(workflow(harness, wf_id)) == [("dt1", "integration_task_1", "SCHEDULED")]
    forked = [
        {"name": "integration_task_2", "taskReferenceName": "xdt1"},
        {"name": "integration_task_3", "taskReferenceName": "xdt2"},
    ]
    inputs = {"xdt1": {"k1": "v1"}, "xdt2": {"k2": "v2"}}
    work(harness, "integration_task_1", {"dynamicTasks": forked, "dynamicTasksInput": inputs})
    wf = workflow(harness, wf_id)
    assert rows(wf) == [
        ("dt1", "integration_task_1", "COMPLETED"),
        ("dynamicfanouttask", "FORK", "COMPLETED"),
        ("xdt1", "integration_task_2", "SCHEDULED"),
        ("xdt2", "integration_task_3", "SCHEDULED"),
        ("dynamicfanouttask_join", "JOIN", "IN_PROGRESS"),
    ]
    assert task_of(wf, "dynamicfanouttask_join")["inputData"]["joinOn"] == ["xdt1", "xdt2"]
    first = poll(harness, "integration_task_2")
    assert first["inputData"]["k1"] == "v1"
    complete(harness, first, {"ok1": "ov1"})
    second = poll(harness, "integration_task_3")
    assert second["inputData"]["k2"] == "v2"
    complete(harness, second, {"ok1": "ov2"})
    wf = workflow(harness, wf_id)
    join = task_of(wf, "dynamicfanouttask_join")
    assert join["status"] == "COMPLETED"
    assert join["outputData"] == {"xdt1": {"ok1": "ov1"}, "xdt2": {"ok1": "ov2"}}
    assert rows(wf)[5] == ("task4", "integration_task_4", "SCHEDULED")
    work(harness, "integration_task_4")
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 6
