"""Conductor's DO_WHILE fixtures (test-harness), registered unchanged and driven over HTTP.

Expected states come from Conductor's `DoWhileSpec`: the task list in `seq` order, each body
task's ref suffixed `__<iteration>` (the first iteration included), the loop's `iteration`
counter and its output keyed by iteration.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from .drive import JSON, complete, poll, report, start, wait_for, work, workflow
from .test_fixtures import harness, load, terminal

__all__ = [
    "by_ref",
    "complete_in_place",
    "finished",
    "harness",
    "iterations",
    "refs",
    "shape",
    "with_tasks",
]


def shape(wf: JSON) -> list[tuple[str, str]]:
    """Each task's (taskType, status), in the workflow's task order."""
    return [(t["taskType"], t["status"]) for t in wf["tasks"]]


def refs(wf: JSON) -> list[str]:
    return [t["referenceTaskName"] for t in wf["tasks"]]


def iterations(wf: JSON) -> list[int]:
    return [int(t["iteration"]) for t in wf["tasks"]]


def by_ref(wf: JSON, ref: str) -> JSON:
    found: JSON = next(t for t in wf["tasks"] if t["referenceTaskName"] == ref)
    return found


def finished(client: TestClient, wf_id: str) -> JSON:
    return wait_for(lambda: terminal(client, wf_id), what=f"workflow {wf_id} to end")


def with_tasks(client: TestClient, wf_id: str, count: int) -> JSON:
    """The workflow once it holds `count` tasks (a JOIN may be evaluated asynchronously)."""

    def check() -> JSON | None:
        wf = workflow(client, wf_id)
        return wf if len(wf["tasks"]) == count else None

    return wait_for(check, what=f"workflow {wf_id} to hold {count} tasks")


def complete_in_place(client: TestClient, task: JSON, output: JSON | None = None) -> None:
    """Complete a task (a WAIT) by id, as `updateTask(new TaskResult(task))` does."""
    response = report(client, task, "COMPLETED", output)
    assert response.status_code == 200, response.text


def test_do_while_five_loop_over_mixes_system_and_worker_tasks(harness: TestClient) -> None:
    """do_while_five_loop_over_integration_test.json (loop 2): LAMBDA and JQ body tasks run
    inline, each worker task waits for its poll; every body ref is `__1` then `__2`; the
    DO_WHILE completes after the second iteration and only then integration_task_3 (iteration 0)
    is scheduled."""
    load(harness, "do_while_five_loop_over_integration_test.json")
    wf_id = start(harness, "do_while_five_loop_over_integration_test", input={"loop": 2})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    assert shape(wf) == [
        ("DO_WHILE", "IN_PROGRESS"),
        ("LAMBDA", "COMPLETED"),
        ("JSON_JQ_TRANSFORM", "COMPLETED"),
        ("integration_task_1", "SCHEDULED"),
    ]
    assert refs(wf) == ["loopTask", "lambda_locs__1", "jq_add_location__1", "integration_task_1__1"]
    assert iterations(wf)[1:] == [1, 1, 1]
    assert wf["tasks"][1]["outputData"] == {"result": {"locationRanId": "some location id"}}
    assert wf["tasks"][2]["outputData"]["result"] == {"out": {"locationId": "some location id"}}

    first = poll(harness, "integration_task_1")
    assert (first["referenceTaskName"], first["iteration"]) == ("integration_task_1__1", 1)
    complete(harness, first, {"n": 1})
    wf = workflow(harness, wf_id)
    assert shape(wf)[3:] == [
        ("integration_task_1", "COMPLETED"),
        ("JSON_JQ_TRANSFORM", "COMPLETED"),
        ("integration_task_2", "SCHEDULED"),
    ]
    complete(harness, poll(harness, "integration_task_2"), {"n": 2})
    wf = workflow(harness, wf_id)
    assert len(wf["tasks"]) == 9
    assert shape(wf)[0] == ("DO_WHILE", "IN_PROGRESS")
    assert wf["tasks"][0]["iteration"] == 2
    assert shape(wf)[6:] == [
        ("LAMBDA", "COMPLETED"),
        ("JSON_JQ_TRANSFORM", "COMPLETED"),
        ("integration_task_1", "SCHEDULED"),
    ]
    assert iterations(wf)[6:] == [2, 2, 2]

    second = poll(harness, "integration_task_1")
    assert (second["referenceTaskName"], second["iteration"]) == ("integration_task_1__2", 2)
    complete(harness, second)
    work(harness, "integration_task_2")
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    assert len(wf["tasks"]) == 12
    assert shape(wf)[0] == ("DO_WHILE", "COMPLETED")
    assert all(status == "COMPLETED" for _, status in shape(wf)[1:11])
    last = wf["tasks"][11]
    assert (last["taskType"], last["status"]) == ("integration_task_3", "SCHEDULED")
    assert (last["referenceTaskName"], last["iteration"]) == ("integration_task_3", 0)
    loop_output = wf["tasks"][0]["outputData"]
    assert loop_output["iteration"] == 2
    assert set(loop_output["1"]) == {
        "lambda_locs",
        "jq_add_location",
        "integration_task_1",
        "jq_create_hydrus_input",
        "integration_task_2",
    }
    assert loop_output["1"]["integration_task_1"] == {"n": 1}

    complete(harness, poll(harness, "integration_task_3"), {"done": True})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 12
    assert wf["output"] == {"done": True}


def test_do_while_system_tasks_run_both_iterations_inline(harness: TestClient) -> None:
    """do_while_system_tasks.json (loop 2): a body of LAMBDA + two JQ tasks runs both
    iterations during the start itself; the DO_WHILE is already COMPLETED and integration_task_1
    (iteration 0) waits for its worker."""
    load(harness, "do_while_system_tasks.json")
    wf_id = start(harness, "do_while_system_tasks", input={"loop": 2})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    body = [("LAMBDA", "COMPLETED"), *[("JSON_JQ_TRANSFORM", "COMPLETED")] * 2]
    assert shape(wf) == [
        ("DO_WHILE", "COMPLETED"),
        *body,
        *body,
        ("integration_task_1", "SCHEDULED"),
    ]
    assert iterations(wf) == [2, 1, 1, 1, 2, 2, 2, 0]
    assert refs(wf)[4:] == [
        "lambda_locs__2",
        "jq_add_location__2",
        "jq_create_hydrus_input__2",
        "integration_task_1",
    ]
    work(harness, "integration_task_1")
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 8


def test_do_while_multiple_runs_two_loops_in_sequence(harness: TestClient) -> None:
    """do_while_multiple_integration_test.json (loop 2, loop2 1): the first loop runs task_0
    then a fork of task_1/task_2 and a JOIN per iteration; once it completes, loopTask2 starts
    with integration_task_3__1; 13 tasks in all."""
    load(harness, "do_while_multiple_integration_test.json")
    wf_id = start(harness, "Do_While_Multiple", input={"loop": 2, "loop2": 1})
    assert shape(workflow(harness, wf_id)) == [
        ("DO_WHILE", "IN_PROGRESS"),
        ("integration_task_0", "SCHEDULED"),
    ]
    first_round = [
        ("DO_WHILE", "IN_PROGRESS"),
        ("integration_task_0", "COMPLETED"),
        ("FORK", "COMPLETED"),
        ("integration_task_1", "SCHEDULED"),
        ("integration_task_2", "SCHEDULED"),
        ("JOIN", "IN_PROGRESS"),
    ]
    work(harness, "integration_task_0")
    assert shape(workflow(harness, wf_id)) == first_round
    work(harness, "integration_task_1")
    work(harness, "integration_task_2")
    wf = with_tasks(harness, wf_id, 7)
    assert shape(wf)[5:] == [("JOIN", "COMPLETED"), ("integration_task_0", "SCHEDULED")]
    assert refs(wf)[5:] == ["join__1", "integration_task_0__2"]
    polled = work(harness, "integration_task_0")
    assert (polled["referenceTaskName"], polled["iteration"]) == ("integration_task_0__2", 2)
    work(harness, "integration_task_1")
    work(harness, "integration_task_2")
    wf = with_tasks(harness, wf_id, 13)
    assert shape(wf)[0] == ("DO_WHILE", "COMPLETED")
    assert shape(wf)[10:] == [
        ("JOIN", "COMPLETED"),
        ("DO_WHILE", "IN_PROGRESS"),
        ("integration_task_3", "SCHEDULED"),
    ]
    assert refs(wf)[11:] == ["loopTask2", "integration_task_3__1"]
    work(harness, "integration_task_3")
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 13
    assert shape(wf)[11] == ("DO_WHILE", "COMPLETED")
    assert wf["tasks"][11]["outputData"]["iteration"] == 1


def test_do_while_as_subtask_of_a_fork_branch(harness: TestClient) -> None:
    """do_while_as_subtask_integration_test.json (loop 1): the loop is the first task of a fork
    branch; the JOIN on `loopTask` and integration_task_2 completes once both ended, and carries
    the loop's output."""
    load(harness, "do_while_as_subtask_integration_test.json")
    wf_id = start(harness, "Do_While_SubTask", input={"loop": 1})
    wf = workflow(harness, wf_id)
    assert shape(wf) == [
        ("FORK", "COMPLETED"),
        ("DO_WHILE", "IN_PROGRESS"),
        ("integration_task_2", "SCHEDULED"),
        ("JOIN", "IN_PROGRESS"),
        ("integration_task_0", "SCHEDULED"),
    ]
    assert refs(wf) == ["fork", "loopTask", "integration_task_2", "join", "integration_task_0__1"]
    work(harness, "integration_task_0")
    assert shape(workflow(harness, wf_id))[4:] == [
        ("integration_task_0", "COMPLETED"),
        ("integration_task_1", "SCHEDULED"),
    ]
    work(harness, "integration_task_1", {"looped": True})
    wf = workflow(harness, wf_id)
    assert shape(wf)[1:4] == [
        ("DO_WHILE", "COMPLETED"),
        ("integration_task_2", "SCHEDULED"),
        ("JOIN", "IN_PROGRESS"),
    ]
    work(harness, "integration_task_2", {"side": 2})
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert all(status == "COMPLETED" for _, status in shape(wf))
    assert len(wf["tasks"]) == 6
    join = by_ref(wf, "join")
    assert join["outputData"]["integration_task_2"] == {"side": 2}
    assert join["outputData"]["loopTask"]["1"]["integration_task_1"] == {"looped": True}


def test_do_while_iteration_fix_reads_the_iteration_in_a_lambda(harness: TestClient) -> None:
    """do_while_iteration_fix_test.json (loop 2): `${loopTask['iteration']}` gives the LAMBDA
    its loop counter, so the two LAMBDAs return 0 and 1 and the workflow completes at start."""
    load(harness, "do_while_iteration_fix_test.json")
    wf_id = start(harness, "Do_While_Workflow_Iteration_Fix", input={"loop": 2})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert shape(wf) == [
        ("DO_WHILE", "COMPLETED"),
        ("LAMBDA", "COMPLETED"),
        ("LAMBDA", "COMPLETED"),
    ]
    assert refs(wf) == ["loopTask", "form_uri__1", "form_uri__2"]
    assert [t["inputData"]["index"] for t in wf["tasks"][1:]] == [1, 2]
    assert [t["outputData"]["result"] for t in wf["tasks"][1:]] == [0, 1]
    assert wf["tasks"][0]["outputData"]["iteration"] == 2


def test_do_while_high_iteration_runs_500_lambda_iterations(harness: TestClient) -> None:
    """do_while_high_iteration_test.json (loop 500): 500 synchronous LAMBDA iterations
    complete during the start without overflowing: 501 tasks, iterations 1..500."""
    load(harness, "do_while_high_iteration_test.json")
    wf_id = start(harness, "do_while_high_iteration_test", input={"loop": 500})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 501
    assert shape(wf)[0] == ("DO_WHILE", "COMPLETED")
    assert wf["tasks"][0]["iteration"] == 500
    assert set(shape(wf)[1:]) == {("LAMBDA", "COMPLETED")}
    assert iterations(wf)[1:] == list(range(1, 501))
    assert refs(wf)[500] == "lambda_task__500"


def test_do_while_set_variable_fix_reevaluates_the_loop_input(harness: TestClient) -> None:
    """do_while_set_variable_fix.json: the loop reads `${workflow.variables.value}`; the body's
    SET_VARIABLE sets it to "0", so `$.value > 0` is false after one iteration."""
    load(harness, "do_while_set_variable_fix.json")
    wf_id = start(harness, "do_while_Set_variable_fix", input={"value": 2})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert shape(wf) == [("DO_WHILE", "COMPLETED"), ("SET_VARIABLE", "COMPLETED")]
    assert wf["tasks"][1]["inputData"] == {"value": "0"}
    assert wf["variables"] == {"value": "0"}
    assert wf["tasks"][0]["outputData"]["iteration"] == 1


def test_do_while_with_decision_task_waits_in_each_iteration(harness: TestClient) -> None:
    """do_while_with_decision_task.json (list [1, 2]): each iteration picks `$.list.get(i)`
    (a Java List method in Conductor's script engine), the SWITCH takes its "true" branch and
    stops at a WAIT; completing the WAIT runs ComputeNumber and the next iteration; 9 tasks."""
    load(harness, "do_while_with_decision_task.json")
    wf_id = start(harness, "DO_While_with_Decision_task", input={"list": [1, 2]})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING", wf.get("reasonForIncompletion")
    assert shape(wf) == [
        ("DO_WHILE", "IN_PROGRESS"),
        ("INLINE", "COMPLETED"),
        ("SWITCH", "COMPLETED"),
        ("WAIT", "IN_PROGRESS"),
    ]
    assert wf["tasks"][1]["outputData"] == {"result": 1}
    assert wf["tasks"][2]["outputData"]["selectedCase"] == "true"

    complete_in_place(harness, wf["tasks"][3])
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    assert shape(wf) == [
        ("DO_WHILE", "IN_PROGRESS"),
        ("INLINE", "COMPLETED"),
        ("SWITCH", "COMPLETED"),
        ("WAIT", "COMPLETED"),
        ("INLINE", "COMPLETED"),
        ("INLINE", "COMPLETED"),
        ("SWITCH", "COMPLETED"),
        ("WAIT", "IN_PROGRESS"),
    ]
    assert wf["tasks"][0]["iteration"] == 2
    assert wf["tasks"][4]["referenceTaskName"] == "ComputeNumber__1"
    assert wf["tasks"][4]["outputData"] == {"result": 10}
    assert wf["tasks"][5]["outputData"] == {"result": 2}

    complete_in_place(harness, wf["tasks"][7])
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 9
    assert shape(wf)[0] == ("DO_WHILE", "COMPLETED")
    assert wf["tasks"][0]["iteration"] == 2
    assert shape(wf)[8] == ("INLINE", "COMPLETED")


def script_failure(wf: JSON, failed: JSON) -> None:
    """Conductor's end for an INLINE script error: not retried, the workflow FAILS with the
    task's reason and the running loop is CANCELED."""
    assert failed["taskType"] == "INLINE"
    assert failed["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert "iteration" in failed["reasonForIncompletion"]
    assert failed["outputData"]["error"] == failed["reasonForIncompletion"]
    assert wf["status"] == "FAILED"
    assert wf["reasonForIncompletion"] == (
        f"Task {failed['taskId']} failed with status: FAILED and reason: "
        f"'{failed['reasonForIncompletion']}'"
    )


def test_do_while_timeline_ui_demo_fails_on_its_default_case_script(harness: TestClient) -> None:
    """do_while_timeline_ui_demo.json: the SWITCH takes its defaultCase ("default" is not a
    case); that INLINE reads `$.do_while_switch_ref['iteration']`, but an INLINE script's `$` is
    only its own input, so the script throws and the workflow FAILS in the first iteration (the
    second loop and final_summary never run)."""
    load(harness, "do_while_timeline_ui_demo.json")
    wf_id = start(harness, "do_while_timeline_ui_demo")
    wf = finished(harness, wf_id)
    assert shape(wf) == [
        ("DO_WHILE", "CANCELED"),
        ("SWITCH", "COMPLETED"),
        ("INLINE", "FAILED_WITH_TERMINAL_ERROR"),
    ]
    assert refs(wf) == ["do_while_switch_ref", "switch_ref__1", "default_case_ref__1"]
    assert wf["tasks"][1]["outputData"] == {
        "evaluationResult": ["default"],
        "selectedCase": "default",
    }
    script_failure(wf, wf["tasks"][2])


def test_do_while_cleanup_demo_fails_before_keep_last_n_applies(harness: TestClient) -> None:
    """do_while_cleanup_demo.json (keepLastN 3, max_iterations 5): the first body INLINE reads
    `$.do_while_loop_ref['iteration']`, absent from its own input, so it throws in iteration 1
    and the workflow FAILS; keepLastN never gets to prune anything."""
    load(harness, "do_while_cleanup_demo.json")
    wf_id = start(harness, "do_while_cleanup_demo", input={"max_iterations": 5})
    wf = finished(harness, wf_id)
    assert shape(wf) == [("DO_WHILE", "CANCELED"), ("INLINE", "FAILED_WITH_TERMINAL_ERROR")]
    assert refs(wf) == ["do_while_loop_ref", "generate_data_ref__1"]
    assert wf["tasks"][0]["inputData"]["keepLastN"] == 3
    script_failure(wf, wf["tasks"][1])
