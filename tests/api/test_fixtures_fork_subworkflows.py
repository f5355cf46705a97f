"""Conductor's fixtures with SUB_WORKFLOW tasks inside (nested) forks, registered unchanged.

Child definitions are registered first: `sub_workflow` (simple_one_task_sub_workflow...) and
`integration_test_wf` (simple_workflow_1...). Task definitions follow Conductor's harness
(`WorkflowTestUtil`): `simple_task_in_sub_wf` has no retry, `sub_workflow_task` one; the
hierarchy specs set `integration_task_2` to no retry. Expected states follow ForkJoinSpec,
NestedForkJoinSubWorkflowSpec and HierarchicalForkJoinSubworkflowRetrySpec.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from .drive import JSON, complete, fail, poll, start, task_def, task_defs, work, workflow
from .test_fixtures import harness, load
from .test_fixtures_fork import finished, non_joins, retry, rows, states, task_of, until

__all__ = ["harness"]

PARAMS = {"param1": "p1 value", "param2": "p2 value"}


def with_child_defs(client: TestClient) -> TestClient:
    task_defs(
        client,
        task_def("simple_task_in_sub_wf"),
        task_def("sub_workflow_task", retryCount=1, responseTimeoutSeconds=5),
    )
    load(client, "simple_one_task_sub_workflow_integration_test.json")
    return client


def child_of(client: TestClient, wf_id: str, ref: str, *, not_: str | None = None) -> str:
    """The child started by the latest attempt of SUB_WORKFLOW `ref` (other than `not_`)."""

    def started(wf: JSON) -> bool:
        sub = task_of(wf, ref)
        return sub["status"] == "IN_PROGRESS" and sub.get("subWorkflowId") not in {None, not_}

    wf = until(client, wf_id, started, f"{ref} to start its child")
    child = str(task_of(wf, ref)["subWorkflowId"])
    assert workflow(client, child)["parentWorkflowId"] == wf_id
    return child


def fail_leaf(client: TestClient, leaf: str) -> None:
    """integration_test_wf: t1 completes, t2 (no retries) fails, so the leaf FAILS."""
    work(client, "integration_task_1", {"op": "task1.done"})
    fail(client, poll(client, "integration_task_2"), "task2 failed")
    wf = finished(client, leaf)
    assert wf["status"] == "FAILED"
    assert rows(wf) == [
        ("t1", "integration_task_1", "COMPLETED"),
        ("t2", "integration_task_2", "FAILED"),
    ]


def test_fork_join_sub_workflow_retries_the_failed_child(harness: TestClient) -> None:
    """fork_join_sub_workflow.json: st1 (`sub_workflow_task`, one retry) runs the child
    `sub_workflow`; its task fails, so the child FAILS and st1 FAILS and is retried with a new
    child, which completes; once t2 completes the JOIN and the workflow COMPLETE."""
    with_child_defs(harness)
    load(harness, "fork_join_sub_workflow.json")
    wf_id = start(harness, "integration_test_fork_join_sw", input=PARAMS)
    wf = workflow(harness, wf_id)
    assert [(ref, kind) for ref, kind, _ in rows(wf)] == [
        ("fanouttask", "FORK"), ("st1", "SUB_WORKFLOW"),
        ("t2", "integration_task_2"), ("fanouttask_join", "JOIN"),
    ]  # fmt: skip
    assert task_of(wf, "fanouttask_join")["inputData"]["joinOn"] == ["st1", "t2"]
    first = child_of(harness, wf_id, "st1")
    assert rows(workflow(harness, first)) == [("t1", "simple_task_in_sub_wf", "SCHEDULED")]
    fail(harness, poll(harness, "simple_task_in_sub_wf"), "Failed....")
    assert finished(harness, first)["status"] == "FAILED"
    second = child_of(harness, wf_id, "st1", not_=first)
    wf = workflow(harness, wf_id)
    assert rows(wf)[1] == ("st1", "SUB_WORKFLOW", "FAILED")
    assert rows(wf)[4] == ("st1", "SUB_WORKFLOW", "IN_PROGRESS")
    assert wf["tasks"][4]["retriedTaskId"] == wf["tasks"][1]["taskId"]
    work(harness, "simple_task_in_sub_wf")
    assert finished(harness, second)["status"] == "COMPLETED"
    wf = until(
        harness, wf_id, lambda w: task_of(w, "st1")["status"] == "COMPLETED", "st1 to complete"
    )
    assert wf["status"] == "RUNNING"
    assert states(wf)["fanouttask_join"] == ("JOIN", "IN_PROGRESS")
    work(harness, "integration_task_2")
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert rows(wf) == [
        ("fanouttask", "FORK", "COMPLETED"),
        ("st1", "SUB_WORKFLOW", "FAILED"),
        ("t2", "integration_task_2", "COMPLETED"),
        ("fanouttask_join", "JOIN", "COMPLETED"),
        ("st1", "SUB_WORKFLOW", "COMPLETED"),
    ]


def test_fork_join_with_optional_sub_workflow_forks_completes_with_errors(
    harness: TestClient,
) -> None:
    """fork_join_with_optional_sub_workflow_forks_integration_test.json: both optional
    SUB_WORKFLOW branches (no task definition, so no retry) get a FAILED child; they end
    COMPLETED_WITH_ERRORS, so does the JOIN, and the workflow COMPLETES."""
    with_child_defs(harness)
    load(harness, "fork_join_with_optional_sub_workflow_forks_integration_test.json")
    wf_id = start(harness, "integration_test_fork_join_optional_sw", input=PARAMS)
    children = [child_of(harness, wf_id, "st1"), child_of(harness, wf_id, "st2")]
    for _ in children:
        fail(harness, poll(harness, "simple_task_in_sub_wf"), "Failed....")
    for child in children:
        assert finished(harness, child)["status"] == "FAILED"
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert rows(wf) == [
        ("fanouttask", "FORK", "COMPLETED"),
        ("st1", "SUB_WORKFLOW", "COMPLETED_WITH_ERRORS"),
        ("st2", "SUB_WORKFLOW", "COMPLETED_WITH_ERRORS"),
        ("fanouttask_join", "JOIN", "COMPLETED_WITH_ERRORS"),
    ]


def test_fork_join_with_permissive_sub_workflow_forks_fails_once_all_ended(
    harness: TestClient,
) -> None:
    """fork_join_with_permissive_sub_workflow_forks_integration_test.json: st1's child fails,
    st1 (permissive) FAILS but the JOIN waits for st2; when st2's child completes the JOIN
    FAILS with st1's reason and the workflow FAILS."""
    with_child_defs(harness)
    load(harness, "fork_join_with_permissive_sub_workflow_forks_integration_test.json")
    wf_id = start(harness, "integration_test_fork_join_permissive_sw", input=PARAMS)
    first, second = child_of(harness, wf_id, "st1"), child_of(harness, wf_id, "st2")
    polled = {}
    for _ in range(2):
        found = poll(harness, "simple_task_in_sub_wf")
        polled[found["workflowInstanceId"]] = found
    fail(harness, polled[first], "Failed....")
    wf = until(harness, wf_id, lambda w: task_of(w, "st1")["status"] == "FAILED", "st1 to fail")
    assert wf["status"] == "RUNNING"
    assert states(wf)["st2"] == ("SUB_WORKFLOW", "IN_PROGRESS")
    assert states(wf)["fanouttask_join"] == ("JOIN", "IN_PROGRESS")
    complete(harness, polled[second], {"done": True})
    wf = finished(harness, wf_id)
    assert wf["status"] == "FAILED"
    assert rows(wf) == [
        ("fanouttask", "FORK", "COMPLETED"),
        ("st1", "SUB_WORKFLOW", "FAILED"),
        ("st2", "SUB_WORKFLOW", "COMPLETED"),
        ("fanouttask_join", "JOIN", "FAILED"),
    ]
    assert "Failed...." in task_of(wf, "st1")["reasonForIncompletion"]
    assert "Failed...." in task_of(wf, "fanouttask_join")["reasonForIncompletion"]


def test_hierarchical_fork_join_swf_fails_up_three_levels_then_root_retry_completes(
    harness: TestClient,
) -> None:
    """hierarchical_fork_join_swf.json: the root runs itself as mid level, which runs
    integration_test_wf as leaf. The leaf's t2 fails, so the leaf, then the mid level and the
    root FAIL (st1 FAILED, JOIN CANCELED). POST /retry on the root starts a new st1 attempt
    with a new mid level and leaf; when they complete the root COMPLETES."""
    task_defs(harness, task_def("integration_task_2"))
    load(harness, "simple_workflow_1_integration_test.json")
    load(harness, "hierarchical_fork_join_swf.json")
    wf_input = {**PARAMS, "subwf": "hierarchical_fork_join_swf", "nextSubwf": "integration_test_wf"}
    root = start(harness, "hierarchical_fork_join_swf", input=wf_input)
    mid = child_of(harness, root, "st1")
    work(harness, "integration_task_2", {"op": "task2.done"})
    work(harness, "integration_task_2", {"op": "task2.done"})
    leaf = child_of(harness, mid, "st1")
    assert workflow(harness, leaf)["workflowName"] == "integration_test_wf"
    fail_leaf(harness, leaf)
    failed_shape = [
        ("fanouttask", "FORK", "COMPLETED"),
        ("st1", "SUB_WORKFLOW", "FAILED"),
        ("t2", "integration_task_2", "COMPLETED"),
        ("fanouttask_join", "JOIN", "CANCELED"),
    ]
    for level in (mid, root):
        wf = finished(harness, level)
        assert wf["status"] == "FAILED"
        assert rows(wf) == failed_shape
    retry(harness, root)
    new_mid = child_of(harness, root, "st1", not_=mid)
    wf = workflow(harness, root)
    assert wf["status"] == "RUNNING"
    assert rows(wf)[3:] == [
        ("fanouttask_join", "JOIN", "IN_PROGRESS"),
        ("st1", "SUB_WORKFLOW", "IN_PROGRESS"),
    ]
    assert wf["tasks"][4]["retriedTaskId"] == wf["tasks"][1]["taskId"]
    work(harness, "integration_task_2", {"op": "task2.done"})
    new_leaf = child_of(harness, new_mid, "st1", not_=leaf)
    work(harness, "integration_task_1", {"op": "task1.done"})
    work(harness, "integration_task_2", {"op": "task2.done"})
    for level in (new_leaf, new_mid):
        assert finished(harness, level)["status"] == "COMPLETED"
    wf = finished(harness, root)
    assert wf["status"] == "COMPLETED"
    assert [status for _, _, status in rows(wf)] == [
        "COMPLETED", "FAILED", "COMPLETED", "COMPLETED", "COMPLETED",
    ]  # fmt: skip


def test_nested_fork_join_swf_child_restart_resumes_the_parent(harness: TestClient) -> None:
    """nested_fork_join_swf.json: a SUB_WORKFLOW in an inner fork. The child's t2 fails, so
    the child and the parent FAIL (st1 FAILED, both JOINs CANCELED). Restarting the child (same
    id) puts st1 back IN_PROGRESS and the parent RUNNING; when the child completes, both JOINs
    and the parent COMPLETE."""
    task_defs(harness, task_def("integration_task_2"))
    load(harness, "simple_workflow_1_integration_test.json")
    load(harness, "nested_fork_join_swf.json")
    parent = start(
        harness, "nested_fork_join_swf", input={**PARAMS, "subwf": "integration_test_wf"}
    )
    wf = workflow(harness, parent)
    assert non_joins(wf) == ["outer_fork", "inner_fork", "st1", "t2", "t3"]
    assert len(wf["tasks"]) == 7
    work(harness, "integration_task_2", {"op": "task1.done"})
    work(harness, "integration_task_2", {"op": "task1.done"})
    child = child_of(harness, parent, "st1")
    fail_leaf(harness, child)
    wf = finished(harness, parent)
    assert wf["status"] == "FAILED"
    assert states(wf) == {
        "outer_fork": ("FORK", "COMPLETED"),
        "inner_fork": ("FORK", "COMPLETED"),
        "st1": ("SUB_WORKFLOW", "FAILED"),
        "t2": ("integration_task_2", "COMPLETED"),
        "inner_join": ("JOIN", "CANCELED"),
        "t3": ("integration_task_2", "COMPLETED"),
        "outer_join": ("JOIN", "CANCELED"),
    }
    response = harness.post(f"/api/workflow/{child}/restart")
    assert response.status_code == 204, response.text
    assert rows(workflow(harness, child)) == [("t1", "integration_task_1", "SCHEDULED")]
    wf = until(
        harness,
        parent,
        lambda w: (
            w["status"] == "RUNNING"
            and all(
                task_of(w, ref)["status"] == "IN_PROGRESS" for ref in ("inner_join", "outer_join")
            )
        ),
        "the parent to resume",
    )
    assert states(wf)["st1"] == ("SUB_WORKFLOW", "IN_PROGRESS")
    assert task_of(wf, "st1")["subWorkflowId"] == child
    work(harness, "integration_task_1", {"op": "task1.done"})
    work(harness, "integration_task_2", {"op": "task2.done"})
    assert finished(harness, child)["status"] == "COMPLETED"
    wf = finished(harness, parent)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 7
    assert all(status == "COMPLETED" for _, _, status in rows(wf))


def test_nested_fork_join_with_sub_workflow_joins_the_child_too(harness: TestClient) -> None:
    """nested_fork_join_with_sub_workflow_integration_test.json: the nested fork/DECISION tree
    of nested_fork_join plus a third branch sw1 running integration_test_wf; join1 waits for
    t11, join2 and sw1; once the child completes and t20 ends, t15 runs; 14 tasks, COMPLETED."""
    load(harness, "simple_workflow_1_integration_test.json")
    load(harness, "nested_fork_join_with_sub_workflow_integration_test.json")
    wf_id = start(harness, "FanInOutNestedSubWorkflowTest", input={"case": "a"})
    wf = workflow(harness, wf_id)
    assert len(wf["tasks"]) == 8
    assert non_joins(wf) == ["fork1", "t11", "fork2", "t12", "t13", "sw1"]
    assert task_of(wf, "join1")["inputData"]["joinOn"] == ["t11", "join2", "sw1"]
    assert task_of(wf, "join2")["inputData"]["joinOn"] == ["t14", "t20"]
    for n in (11, 12, 13, 16, 14):
        work(harness, f"integration_task_{n}")
    wf = workflow(harness, wf_id)
    assert states(wf)["t19"] == ("integration_task_19", "SCHEDULED")
    assert states(wf)["d1"] == ("DECISION", "COMPLETED")
    child = child_of(harness, wf_id, "sw1")
    assert rows(workflow(harness, child)) == [("t1", "integration_task_1", "SCHEDULED")]
    work(harness, "integration_task_1", {"op": "task1.done"})
    work(harness, "integration_task_2", {"uuid": "u"})
    assert finished(harness, child)["status"] == "COMPLETED"
    wf = until(
        harness, wf_id, lambda w: task_of(w, "sw1")["status"] == "COMPLETED", "sw1 to complete"
    )
    assert states(wf)["join1"] == ("JOIN", "IN_PROGRESS")
    work(harness, "integration_task_19")
    work(harness, "integration_task_20")
    wf = workflow(harness, wf_id)
    assert states(wf)["join2"] == ("JOIN", "COMPLETED")
    assert states(wf)["join1"] == ("JOIN", "COMPLETED")
    work(harness, "integration_task_15")
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 14
    assert all(status == "COMPLETED" for _, _, status in rows(wf))
