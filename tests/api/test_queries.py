"""Reading executions: search, correlation ids, running ids, status, task pages, history."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import register, two_step
from .drive import JSON, assert_error, complete, poll, start, workflow


def by_ref(client: TestClient, wf_id: str, ref: str, output: JSON) -> None:
    """Complete the live task `ref` of one execution (no poll needed)."""
    response = client.post(f"/api/tasks/{wf_id}/{ref}/COMPLETED", json=output)
    assert response.status_code == 200, response.text
    assert response.text, f"no live {ref} in {wf_id}"


def search(client: TestClient, **params: Any) -> JSON:
    response = client.get("/api/workflow/search", params=params)
    assert response.status_code == 200, response.text
    found: JSON = response.json()
    return found


@pytest.fixture
def three_runs(client: TestClient) -> list[str]:
    """order-1 COMPLETED, order-2 and order-3 RUNNING (two_step), plus one `other` run."""
    register(client, two_step())
    register(client, two_step("other"))
    ids = [
        start(client, "two_step", input={"x": word}, correlationId=f"order-{n}")
        for n, word in ((1, "alpha"), (2, "beta"), (3, "gamma"))
    ]
    start(client, "other", input={"x": "beta"}, correlationId="order-2")
    by_ref(client, ids[0], "a", {"value": "A"})
    by_ref(client, ids[0], "b", {"value": "B"})
    assert workflow(client, ids[0])["status"] == "COMPLETED"
    return ids


def test_search_by_query_counts_total_hits(client: TestClient, three_runs: list[str]) -> None:
    done = search(client, query="status = 'COMPLETED'")
    assert done["totalHits"] == 1
    [row] = done["results"]
    assert (row["workflowId"], row["workflowType"], row["status"]) == (
        three_runs[0],
        "two_step",
        "COMPLETED",
    )
    assert row["correlationId"] == "order-1"
    running = search(client, query="workflowType = 'two_step' AND status = 'RUNNING'")
    assert running["totalHits"] == 2
    assert {r["workflowId"] for r in running["results"]} == set(three_runs[1:])
    assert search(client, query="workflowType IN (two_step, other)")["totalHits"] == 4


def test_search_by_free_text(client: TestClient, three_runs: list[str]) -> None:
    found = search(client, freeText="gamma")
    assert [r["workflowId"] for r in found["results"]] == [three_runs[2]]
    assert found["totalHits"] == 1
    assert search(client, freeText="beta")["totalHits"] == 2
    assert search(client, freeText="*")["totalHits"] == 4
    both = search(client, freeText="beta", query="workflowType = 'two_step'")
    assert [r["workflowId"] for r in both["results"]] == [three_runs[1]]


def test_search_sorts_and_pages_with_total_hits(client: TestClient, three_runs: list[str]) -> None:
    query = "workflowType = 'two_step'"
    first = search(client, query=query, sort="correlationId:DESC", start=0, size=2)
    assert first["totalHits"] == 3
    assert [r["correlationId"] for r in first["results"]] == ["order-3", "order-2"]
    rest = search(client, query=query, sort="correlationId:DESC", start=2, size=2)
    assert rest["totalHits"] == 3
    assert [r["correlationId"] for r in rest["results"]] == ["order-1"]
    ascending = search(client, query=query, sort="correlationId:ASC")
    assert [r["correlationId"] for r in ascending["results"]] == ["order-1", "order-2", "order-3"]
    assert search(client, query=query, start=5)["results"] == []


def test_correlated_get_returns_running_unless_closed_are_asked(
    client: TestClient, three_runs: list[str]
) -> None:
    url = "/api/workflow/two_step/correlated/order-1"
    assert client.get(url).json() == []
    [closed] = client.get(url, params={"includeClosed": "true"}).json()
    assert closed["workflowId"] == three_runs[0]
    assert not closed.get("tasks")
    [with_tasks] = client.get(url, params={"includeClosed": "true", "includeTasks": "true"}).json()
    assert [t["referenceTaskName"] for t in with_tasks["tasks"]] == ["a", "b"]
    [running] = client.get("/api/workflow/two_step/correlated/order-2").json()
    assert running["workflowId"] == three_runs[1], "the `other` run with order-2 is not listed"


def test_correlated_post_answers_per_correlation_id(
    client: TestClient, three_runs: list[str]
) -> None:
    response = client.post(
        "/api/workflow/two_step/correlated",
        params={"includeClosed": "true"},
        json=["order-1", "order-3", "nobody"],
    )
    assert response.status_code == 200
    found = response.json()
    assert set(found) == {"order-1", "order-3", "nobody"}
    assert [w["workflowId"] for w in found["order-1"]] == [three_runs[0]]
    assert [w["workflowId"] for w in found["order-3"]] == [three_runs[2]]
    assert found["nobody"] == []
    open_only = client.post("/api/workflow/two_step/correlated", json=["order-1"]).json()
    assert open_only == {"order-1": []}


def test_running_ids_by_version_and_by_time_window(
    client: TestClient, three_runs: list[str]
) -> None:
    assert set(client.get("/api/workflow/running/two_step").json()) == set(three_runs[1:])
    assert client.get("/api/workflow/running/two_step", params={"version": 2}).json() == []
    created = [workflow(client, i)["createTime"] for i in three_runs]
    window = {"startTime": min(created), "endTime": max(created) + 1}
    in_window = client.get("/api/workflow/running/two_step", params=window).json()
    assert set(in_window) == set(three_runs)


def test_status_endpoint(client: TestClient, three_runs: list[str]) -> None:
    done = three_runs[0]
    assert client.get(f"/api/workflow/{done}/status").json() == {
        "workflowId": done,
        "correlationId": "order-1",
        "status": "COMPLETED",
    }
    full = client.get(
        f"/api/workflow/{done}/status", params={"includeOutput": "true", "includeVariables": "true"}
    ).json()
    assert full["output"] == {"value": "B"}
    assert full["variables"] == {}
    assert_error(
        client.get("/api/workflow/ghost/status"), 404, "No such workflow found by id: ghost"
    )


def test_task_page_with_paging_and_status_filter(client: TestClient) -> None:
    register(client, two_step())
    wf_id = start(client, "two_step")
    by_ref(client, wf_id, "a", {"value": "A"})
    url = f"/api/workflow/{wf_id}/tasks"
    first = client.get(url, params={"start": 0, "count": 1}).json()
    assert first["totalHits"] == 2
    assert [t["referenceTaskName"] for t in first["results"]] == ["a"]
    second = client.get(url, params={"start": 1, "count": 1}).json()
    assert [t["referenceTaskName"] for t in second["results"]] == ["b"]
    scheduled = client.get(url, params={"status": "SCHEDULED"}).json()
    assert scheduled["totalHits"] == 1
    assert [t["referenceTaskName"] for t in scheduled["results"]] == ["b"]
    lower = client.get(url, params={"status": "completed"}).json()
    assert [t["referenceTaskName"] for t in lower["results"]] == ["a"]
    both = client.get(url, params=[("status", "COMPLETED"), ("status", "SCHEDULED")]).json()
    assert both["totalHits"] == 2
    assert client.get(url, params={"status": "FAILED"}).json() == {"totalHits": 0, "results": []}


def history(client: TestClient, wf_id: str) -> list[JSON]:
    response = client.get(f"/api/workflow/{wf_id}/history")
    assert response.status_code == 200, response.text
    events: list[JSON] = response.json()
    return events


def test_history_records_every_transition_in_order_and_never_rewrites_it(
    client: TestClient,
) -> None:
    register(client, two_step())
    wf_id = start(client, "two_step")
    a = poll(client, "step_a", worker="w-a")
    complete(client, a, {"value": "A"})
    assert client.put(f"/api/workflow/{wf_id}/pause").status_code == 200
    assert client.put(f"/api/workflow/{wf_id}/resume").status_code == 200
    early = history(client, wf_id)
    assert [(e["event"], e.get("taskReferenceName")) for e in early] == [
        ("workflow_started", None),
        ("task_scheduled", "a"),
        ("task_polled", "a"),
        ("task_updated", "a"),
        ("task_scheduled", "b"),
        ("workflow_paused", None),
        ("workflow_resumed", None),
    ]
    assert [e["actor"] for e in early] == [
        "api",
        "api",
        "worker:w-a",
        "worker:w-a",
        "worker:w-a",
        "api",
        "api",
    ]
    assert all(e["node"] and e["workflowId"] == wf_id for e in early)
    assert (early[3]["fromStatus"], early[3]["toStatus"]) == ("IN_PROGRESS", "COMPLETED")
    assert early[3]["taskId"] == a["taskId"]
    assert (early[5]["fromStatus"], early[5]["toStatus"]) == ("RUNNING", "PAUSED")
    b = poll(client, "step_b", worker="w-b")
    complete(client, b, {"value": "B"})
    later = history(client, wf_id)
    assert later[: len(early)] == early, "earlier entries are never rewritten"
    added = [(e["event"], e.get("taskReferenceName"), e["actor"]) for e in later[len(early) :]]
    assert added[:2] == [("task_polled", "b", "worker:w-b"), ("task_updated", "b", "worker:w-b")]
    assert added[-1][0] == "workflow_completed"
    assert later[-1]["toStatus"] == "COMPLETED"
    seqs = [e["seq"] for e in later]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    times = [e["time"] for e in later]
    assert times == sorted(times)


def test_history_of_unknown_workflow_is_404(client: TestClient) -> None:
    assert_error(client.get("/api/workflow/ghost/history"), 404)
