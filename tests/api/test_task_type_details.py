"""Task-type details the fixtures leave out: DO_WHILE list mode and keepLastN, NOOP, INLINE
value-param, WAIT until, dynamic forks from a task name, rerun inside a fork."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import register
from .drive import JSON, complete, poll, start, task_def, task_defs, wait_for, work, workflow


def _ended(client: TestClient, wf_id: str) -> JSON:
    def check() -> JSON | None:
        wf = workflow(client, wf_id)
        return wf if wf["status"] not in {"RUNNING", "PAUSED"} else None

    return wait_for(check, what=f"workflow {wf_id} to end")


def _one(name: str, task: JSON, **extra: object) -> JSON:
    return {"name": name, "version": 1, "tasks": [task], **extra}


def test_do_while_list_mode_iterates_over_items(client: TestClient) -> None:
    loop = {
        "name": "each",
        "taskReferenceName": "each",
        "type": "DO_WHILE",
        "items": "${workflow.input.orders}",
        "loopOver": [
            {
                "name": "tag",
                "taskReferenceName": "tag",
                "type": "INLINE",
                "inputParameters": {
                    "evaluatorType": "javascript",
                    "item": "${each.output.loopItem}",
                    "expression": "'order-' + $.item",
                },
            }
        ],
    }
    register(client, _one("each_order", loop))
    wf = _ended(client, start(client, "each_order", input={"orders": [7, 8, 9]}))
    assert wf["status"] == "COMPLETED"
    results = [t["outputData"]["result"] for t in wf["tasks"] if t["taskType"] == "INLINE"]
    assert results == ["order-7", "order-8", "order-9"]
    assert wf["tasks"][0]["outputData"]["iteration"] == 3
    empty = _ended(client, start(client, "each_order", input={"orders": []}))
    assert empty["status"] == "COMPLETED"
    assert empty["tasks"][0]["outputData"] == {"iteration": 0}


def test_keep_last_n_removes_older_iterations(client: TestClient) -> None:
    loop = {
        "name": "spin",
        "taskReferenceName": "spin",
        "type": "DO_WHILE",
        "inputParameters": {"keepLastN": 2},
        "loopCondition": "$.spin['iteration'] < 6",
        "loopOver": [{"name": "noop", "taskReferenceName": "noop", "type": "NOOP"}],
    }
    register(client, _one("spin_wf", loop))
    wf = _ended(client, start(client, "spin_wf"))
    assert wf["status"] == "COMPLETED"
    kept = [t["referenceTaskName"] for t in wf["tasks"] if t["taskType"] == "NOOP"]
    assert kept[-1] == "noop__6"
    assert "noop__1" not in kept
    assert "noop__2" not in kept
    assert len(kept) <= 3
    output = wf["tasks"][0]["outputData"]
    assert "1" not in output
    assert "6" in output


def test_inline_value_param_and_noop(client: TestClient) -> None:
    inline = {
        "name": "pick",
        "taskReferenceName": "pick",
        "type": "INLINE",
        "inputParameters": {
            "evaluatorType": "value-param",
            "expression": "choice",
            "choice": "${workflow.input.choice}",
        },
    }
    register(
        client,
        {
            "name": "pick_wf",
            "version": 1,
            "tasks": [inline, {"name": "n", "taskReferenceName": "n", "type": "NOOP"}],
        },
    )
    wf = _ended(client, start(client, "pick_wf", input={"choice": {"a": 1}}))
    assert wf["status"] == "COMPLETED"
    assert wf["tasks"][0]["outputData"] == {"result": {"a": 1}}
    assert wf["tasks"][1]["status"] == "COMPLETED"


def test_wait_until_a_past_date_completes_and_a_bad_date_fails(client: TestClient) -> None:
    register(
        client,
        _one(
            "until_wf",
            {
                "name": "w",
                "taskReferenceName": "w",
                "type": "WAIT",
                "inputParameters": {"until": "${workflow.input.at}"},
            },
        ),
    )
    past = _ended(client, start(client, "until_wf", input={"at": "2020-01-01 10:00 UTC"}))
    assert past["status"] == "COMPLETED"
    bad = _ended(client, start(client, "until_wf", input={"at": "next tuesday"}))
    assert bad["status"] == "FAILED"
    assert bad["tasks"][0]["status"] == "FAILED_WITH_TERMINAL_ERROR"


def test_dynamic_fork_from_a_task_name_and_inputs(client: TestClient) -> None:
    task_defs(client, task_def("notify", retryCount=0))
    fork = {
        "name": "fan",
        "taskReferenceName": "fan",
        "type": "FORK_JOIN_DYNAMIC",
        "inputParameters": {"forkTaskName": "notify", "forkTaskInputs": "${workflow.input.people}"},
    }
    join = {"name": "join", "taskReferenceName": "join", "type": "JOIN"}
    register(client, {"name": "fan_wf", "version": 1, "tasks": [fork, join]})
    wf_id = start(client, "fan_wf", input={"people": [{"to": "ann"}, {"to": "bob"}]})
    got = sorted(work(client, "notify", {"sent": True})["inputData"]["to"] for _ in range(2))
    assert got == ["ann", "bob"]
    wf = _ended(client, wf_id)
    assert wf["status"] == "COMPLETED"
    joined = wf["tasks"][-1]
    assert joined["taskType"] == "JOIN"
    assert sorted(joined["outputData"]) == ["_notify_0", "_notify_1"]


def test_rerun_from_a_task_inside_a_fork(client: TestClient) -> None:
    task_defs(
        client,
        task_def("left", retryCount=0),
        task_def("right", retryCount=0),
        task_def("after", retryCount=0),
    )
    fork = {
        "name": "fork",
        "taskReferenceName": "fork",
        "type": "FORK_JOIN",
        "forkTasks": [
            [{"name": "left", "taskReferenceName": "left"}],
            [{"name": "right", "taskReferenceName": "right"}],
        ],
    }
    join = {
        "name": "join",
        "taskReferenceName": "join",
        "type": "JOIN",
        "joinOn": ["left", "right"],
    }
    register(
        client,
        {
            "name": "forked",
            "version": 1,
            "tasks": [fork, join, {"name": "after", "taskReferenceName": "after"}],
        },
    )
    wf_id = start(client, "forked")
    complete(client, poll(client, "left"), {"v": 1})
    complete(client, poll(client, "right"), {"v": 2})
    complete(client, poll(client, "after"))
    done = _ended(client, wf_id)
    right = next(t for t in done["tasks"] if t["referenceTaskName"] == "right")
    response = client.post(
        f"/api/workflow/{wf_id}/rerun",
        json={"reRunFromTaskId": right["taskId"], "taskInput": {"x": 1}},
    )
    assert response.status_code == 200, response.text
    again = poll(client, "right")
    assert again["taskId"] == right["taskId"]
    assert again["inputData"]["x"] == 1
    complete(client, again, {"v": 3})
    complete(client, poll(client, "after"))
    final = _ended(client, wf_id)
    assert final["status"] == "COMPLETED"
    join_task = next(t for t in final["tasks"] if t["taskType"] == "JOIN")
    assert join_task["outputData"]["right"] == {"v": 3}


def test_invalid_javascript_is_refused_when_the_definition_is_saved(client: TestClient) -> None:
    switch = {
        "name": "s",
        "taskReferenceName": "s",
        "type": "SWITCH",
        "evaluatorType": "javascript",
        "expression": "$.a > 1 ? 'x' :",
        "decisionCases": {"x": [{"name": "n", "taskReferenceName": "n", "type": "NOOP"}]},
    }
    bad = {"name": "bad_js", "version": 1, "tasks": [switch]}
    response = client.post("/api/metadata/workflow", json=bad)
    assert response.status_code == 400
    [violation] = response.json()["validationErrors"]
    assert "is not valid JavaScript: SyntaxError" in violation["message"]
    assert client.get("/api/metadata/workflow/bad_js").status_code == 404
    assert client.post("/api/metadata/workflow/validate", json=bad).status_code == 400
