"""Conductor's branching fixtures (SWITCH, DECISION, EXCLUSIVE_JOIN, TERMINATE in a branch),
registered unchanged and driven to the end.

Expected states follow Conductor's SwitchTaskSpec, DecisionTaskSpec, ExclusiveJoinSpec and
LambdaAndTerminateTaskSpec. The SWITCH and DECISION twins of a fixture share one scenario
helper: they must behave the same, only the task type and its output key differ.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .drive import JSON, complete, poll, poll_none, start, task_def, task_defs, work, workflow
from .test_fixtures import harness, load
from .test_fixtures_fork import finished, rows, task_of

__all__ = ["harness"]

SWITCH = ("SWITCH", "evaluationResult")
DECISION = ("DECISION", "caseOutput")


def cases(wf: JSON, key: str) -> list[list[str]]:
    """The case each SWITCH/DECISION of the workflow chose, in order."""
    return [t["outputData"][key] for t in wf["tasks"] if t["taskType"] in {"SWITCH", "DECISION"}]


def nested_conditions(client: TestClient, fixture: str, kind: tuple[str, str]) -> None:
    kind_type, key = kind
    load(client, fixture)
    wf_id = start(client, "ConditionalTaskWF", input={"param1": "nested", "param2": "one"})
    wf = workflow(client, wf_id)
    assert rows(wf) == [
        ("conditional", kind_type, "COMPLETED"),
        ("nestedCondition", kind_type, "COMPLETED"),
        ("t1", "integration_task_1", "SCHEDULED"),
    ]
    assert cases(wf, key) == [["nested"], ["one"]]
    t1 = poll(client, "integration_task_1")
    assert t1["inputData"] == {"p1": "nested", "p2": "one"}
    complete(client, t1)
    wf = finished(client, wf_id)
    assert wf["status"] == "COMPLETED"
    assert rows(wf)[2:] == [
        ("t1", "integration_task_1", "COMPLETED"),
        ("finalCase", kind_type, "COMPLETED"),
    ]
    assert cases(wf, key)[2] == ["null"], "no finalCase input: an empty defaultCase runs nothing"

    wf_id = start(
        client,
        "ConditionalTaskWF",
        input={"param1": "three", "param2": "two", "finalCase": "notify"},
    )
    t3 = poll(client, "integration_task_3")
    assert t3["inputData"] == {"tp3": "workflow.input.param2"}, "not an expression: a literal"
    complete(client, t3)
    assert rows(workflow(client, wf_id))[2:] == [
        ("finalCase", kind_type, "COMPLETED"),
        ("integration_task_4", "integration_task_4", "SCHEDULED"),
    ]
    work(client, "integration_task_4")
    wf = finished(client, wf_id)
    assert wf["status"] == "COMPLETED"
    assert cases(wf, key) == [["three"], ["notify"]]
    assert [ref for ref, _, _ in rows(wf)] == [
        "conditional",
        "t3",
        "finalCase",
        "integration_task_4",
    ]

    wf_id = start(client, "ConditionalTaskWF", input={"param1": "xxx", "param2": "two"})
    work(client, "integration_task_10")
    wf = finished(client, wf_id)
    assert wf["status"] == "COMPLETED"
    assert rows(wf) == [
        ("conditional", kind_type, "COMPLETED"),
        ("t10", "integration_task_10", "COMPLETED"),
        ("finalCase", kind_type, "COMPLETED"),
    ]
    assert cases(wf, key) == [["xxx"], ["null"]]


def test_conditional_switch_nested_cases_and_default(harness: TestClient) -> None:
    """conditional_switch_task_workflow_integration_test.json: nested SWITCHes. "nested"/"one"
    runs t1; "three" runs t3 then the final SWITCH's "notify" branch; an unknown case runs the
    default t10. A final SWITCH with no finalCase matches nothing and runs nothing."""
    nested_conditions(harness, "conditional_switch_task_workflow_integration_test.json", SWITCH)


def test_conditional_decision_nested_cases_and_default(harness: TestClient) -> None:
    """conditional_task_workflow_integration_test.json: the same three-level tree with the
    legacy DECISION (caseValueParam); output `caseOutput` instead of `evaluationResult`."""
    nested_conditions(harness, "conditional_task_workflow_integration_test.json", DECISION)


def test_conditional_system_task_workflow_routes_on_a_task_output(harness: TestClient) -> None:
    """conditional_system_task_workflow_integration_test.json: the DECISION reads
    `${t1.output.case}`; case "one" runs t2, then t3 after the DECISION; the workflow output
    is `{o2: ${t1.output.op}}`."""
    task_defs(harness, task_def("user_task", retryCount=1))
    load(harness, "conditional_system_task_workflow_integration_test.json")
    wf_id = start(harness, "ConditionalSystemWorkflow", input={"param1": "p1", "param2": "p2"})
    assert rows(workflow(harness, wf_id)) == [("t1", "integration_task_1", "SCHEDULED")]
    t1 = poll(harness, "integration_task_1")
    assert t1["inputData"] == {"tp11": "p1", "tp12": "p2"}
    complete(harness, t1, {"case": "one", "op": "t1 op"})
    wf = workflow(harness, wf_id)
    assert rows(wf) == [
        ("t1", "integration_task_1", "COMPLETED"),
        ("decision", "DECISION", "COMPLETED"),
        ("t2", "integration_task_2", "SCHEDULED"),
    ]
    assert task_of(wf, "decision")["outputData"] == {"caseOutput": ["one"]}
    t2 = poll(harness, "integration_task_2")
    assert t2["inputData"] == {"tp21": "p1"}
    complete(harness, t2)
    t3 = poll(harness, "integration_task_3")
    assert t3["inputData"] == {"tp31": "p2"}
    complete(harness, t3, {"op": "t3 op"})
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert [ref for ref, _, _ in rows(wf)] == ["t1", "decision", "t2", "t3"]
    assert wf["output"] == {"o2": "t1 op"}


def test_conditional_system_task_workflow_user_task_branch(harness: TestClient) -> None:
    """conditional_system_task_workflow_integration_test.json, case "two": routes to a
    `USER_TASK`, a system task that exists only in Conductor's own test suite."""
    pytest.skip("USER_TASK is a test-only system task of Conductor's harness (UserTask.java)")


def branch_in_fork(client: TestClient, fixture: str, kind: str, ref: str) -> None:
    load(client, fixture)
    wf_id = start(
        client, "ForkConditionalTest", input={"param1": "p1", "param2": "p2", "case": "c"}
    )
    assert rows(workflow(client, wf_id)) == [
        ("forkTask", "FORK", "COMPLETED"),
        (ref, kind, "COMPLETED"),
        ("t1", "integration_task_1", "SCHEDULED"),
        ("t10", "integration_task_10", "SCHEDULED"),
        ("joinTask", "JOIN", "IN_PROGRESS"),
    ]
    work(client, "integration_task_1")
    work(client, "integration_task_10", {"n": 10})
    wf = workflow(client, wf_id)
    assert rows(wf)[4:] == [
        ("joinTask", "JOIN", "IN_PROGRESS"),
        ("t2", "integration_task_2", "SCHEDULED"),
    ]
    assert task_of(wf, "joinTask")["inputData"]["joinOn"] == ["t20", "t10"]
    work(client, "integration_task_2")
    assert rows(workflow(client, wf_id))[6] == ("t20", "integration_task_20", "SCHEDULED")
    work(client, "integration_task_20", {"n": 20})
    wf = finished(client, wf_id)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 7
    join = task_of(wf, "joinTask")
    assert join["status"] == "COMPLETED"
    assert join["outputData"] == {"t20": {"n": 20}, "t10": {"n": 10}}
    poll_none(client, "integration_task_5")


def test_decision_and_fork_join_runs_the_case_inside_a_branch(harness: TestClient) -> None:
    """decision_and_fork_join_integration_test.json: a DECISION heads one fork branch; case
    "c" runs t1->t2, then t20 (the branch's last task); the JOIN waits for t20 and t10."""
    branch_in_fork(
        harness, "decision_and_fork_join_integration_test.json", "DECISION", "decisionTask"
    )


def test_switch_and_fork_join_runs_the_case_inside_a_branch(harness: TestClient) -> None:
    """switch_and_fork_join_integration_test.json: the SWITCH twin of
    decision_and_fork_join: case "c" runs t1->t2->t20 in its branch; the JOIN waits for t20
    and t10."""
    branch_in_fork(harness, "switch_and_fork_join_integration_test.json", "SWITCH", "switchTask")


def terminate_in_branch(client: TestClient, fixture: str, kind: str, ref: str) -> None:
    load(client, fixture)
    wf_input = {"param1": "p1", "param2": "p2", "case": "two"}
    wf_id = start(client, "ConditionalTerminateWorkflow", input=wf_input)
    assert rows(workflow(client, wf_id)) == [("t1", "integration_task_1", "SCHEDULED")]
    complete(client, poll(client, "integration_task_1"), {"op": "task1 completed"})
    wf = finished(client, wf_id)
    assert wf["status"] == "FAILED"
    assert rows(wf) == [
        ("t1", "integration_task_1", "COMPLETED"),
        (ref, kind, "COMPLETED"),
        ("terminate0", "TERMINATE", "COMPLETED"),
    ]
    assert [t["seq"] for t in wf["tasks"]] == [1, 2, 3]
    terminate = task_of(wf, "terminate0")
    assert wf["reasonForIncompletion"] == (
        f"Workflow is FAILED by TERMINATE task: {terminate['taskId']}"
    )
    assert wf["output"] == {"output": "task1 completed"}, "TERMINATE's output, not o2"
    poll_none(client, "integration_task_3")

    wf_id = start(client, "ConditionalTerminateWorkflow", input={**wf_input, "case": "one"})
    work(client, "integration_task_1", {"op": "t1"})
    t2 = poll(client, "integration_task_2")
    assert t2["inputData"] == {"tp21": "p1"}
    complete(client, t2)
    work(client, "integration_task_3", {"op": "t3 done"})
    wf = finished(client, wf_id)
    assert wf["status"] == "COMPLETED"
    assert [ref for ref, _, _ in rows(wf)] == ["t1", ref, "t2", "t3"]
    assert wf["output"] == {"o2": "t3 done"}


def test_decision_and_terminate_fails_the_workflow_from_a_branch(harness: TestClient) -> None:
    """decision_and_terminate_integration_test.json: case "two" runs TERMINATE FAILED with
    `workflowOutput: ${t1.output.op}`: the workflow FAILS with that output and t3 never runs;
    case "one" runs t2 then t3 and completes with the outputParameters."""
    terminate_in_branch(
        harness, "decision_and_terminate_integration_test.json", "DECISION", "decision"
    )


def test_switch_and_terminate_fails_the_workflow_from_a_branch(harness: TestClient) -> None:
    """switch_and_terminate_integration_test.json: the SWITCH twin of decision_and_terminate:
    TERMINATE FAILED in case "two"; case "one" runs t2 then t3."""
    terminate_in_branch(harness, "switch_and_terminate_integration_test.json", "SWITCH", "switch")


def test_switch_with_no_default_case_goes_on_to_the_next_task(harness: TestClient) -> None:
    """switch_with_no_default_case_integration_test.json: with no `case` input the SWITCH
    evaluates to "null", matches nothing and has no defaultCase: t2 after it runs at once;
    case "c" runs t1 first."""
    load(harness, "switch_with_no_default_case_integration_test.json")
    wf_id = start(harness, "SwitchWithNoDefaultCaseWF", input={"param1": "p1", "param2": "p2"})
    wf = workflow(harness, wf_id)
    assert rows(wf) == [
        ("switchTask", "SWITCH", "COMPLETED"),
        ("t2", "integration_task_2", "SCHEDULED"),
    ]
    assert task_of(wf, "switchTask")["outputData"]["evaluationResult"] == ["null"]
    t2 = poll(harness, "integration_task_2")
    assert t2["inputData"] == {"p1": "p1", "p2": "p2"}
    complete(harness, t2)
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert rows(wf) == [
        ("switchTask", "SWITCH", "COMPLETED"),
        ("t2", "integration_task_2", "COMPLETED"),
    ]

    wf_id = start(harness, "SwitchWithNoDefaultCaseWF", input={"case": "c"})
    work(harness, "integration_task_1")
    work(harness, "integration_task_2")
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert [ref for ref, _, _ in rows(wf)] == ["switchTask", "t1", "t2"]


def exclusive_join(client: TestClient, wf_input: JSON, refs: list[tuple[str, str]]) -> JSON:
    """Run the workflow, completing each (task type, ref) with `{taskReferenceName: ref}`."""
    wf_id = start(client, "ExclusiveJoinTestWorkflow", input=wf_input)
    for task_type, ref in refs:
        work(client, task_type, {"taskReferenceName": ref})
    return finished(client, wf_id)


def test_exclusive_join_takes_the_output_of_the_branch_that_ran(harness: TestClient) -> None:
    """exclusive_join_integration_test.json: EXCLUSIVE_JOIN copies the output of the first
    joinOn task (task3, task5) that ran, else of the first defaultExclusiveJoinTask that ran
    (task2, task4, task1); a DECISION case with no branch and no default runs nothing."""
    load(harness, "exclusive_join_integration_test.json")
    wf = exclusive_join(harness, {"decision_1": "null"}, [("integration_task_1", "task1")])
    assert wf["status"] == "COMPLETED"
    assert rows(wf) == [
        ("task1", "integration_task_1", "COMPLETED"),
        ("decision1", "DECISION", "COMPLETED"),
        ("exclusiveJoin", "EXCLUSIVE_JOIN", "COMPLETED"),
    ]
    assert task_of(wf, "exclusiveJoin")["outputData"] == {"taskReferenceName": "task1"}

    both_true = {"decision_1": "true", "decision_2": "true"}
    steps = [("integration_task_1", "task1"), ("integration_task_2", "task2")]
    wf = exclusive_join(harness, both_true, [*steps, ("integration_task_3", "task3")])
    assert wf["status"] == "COMPLETED"
    assert rows(wf) == [
        ("task1", "integration_task_1", "COMPLETED"),
        ("decision1", "DECISION", "COMPLETED"),
        ("task2", "integration_task_2", "COMPLETED"),
        ("decision2", "DECISION", "COMPLETED"),
        ("task3", "integration_task_3", "COMPLETED"),
        ("exclusiveJoin", "EXCLUSIVE_JOIN", "COMPLETED"),
    ]
    assert task_of(wf, "exclusiveJoin")["outputData"] == {"taskReferenceName": "task3"}
    assert wf["output"] == {"taskReferenceName": "task3"}, "the last task's output"

    false_null = {"decision_1": "false", "decision_3": "null"}
    wf = exclusive_join(harness, false_null, [steps[0], ("integration_task_4", "task4")])
    assert wf["status"] == "COMPLETED"
    assert [ref for ref, _, _ in rows(wf)] == [
        "task1", "decision1", "task4", "decision3", "exclusiveJoin",
    ]  # fmt: skip
    assert task_of(wf, "exclusiveJoin")["outputData"] == {"taskReferenceName": "task4"}
