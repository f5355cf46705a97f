"""The pure decider on sequential workflows of worker tasks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.model.statuses import TaskStatus, WorkflowStatus

from .harness import Sim


def simple(n: int = 3, **task_extra: Any) -> dict[str, Any]:
    tasks = [
        {
            "name": f"task_{i}",
            "taskReferenceName": f"t{i}",
            "type": "SIMPLE",
            "inputParameters": {
                "prev": f"${{t{i - 1}.output.value}}" if i else "${workflow.input.x}"
            },
            **task_extra,
        }
        for i in range(n)
    ]
    return {"name": "wf", "version": 1, "tasks": tasks}


def test_start_schedules_the_first_task_with_resolved_input() -> None:
    sim = Sim.start(simple(), input={"x": 7})
    first = sim.live("t0")
    assert first.status is TaskStatus.SCHEDULED
    assert first.inputData == {"prev": 7}
    assert first.taskType == "task_0"
    assert first.seq == 1
    assert sim.decisions[0].queue[0].queue == "task_0"


def test_each_completion_schedules_the_next_with_the_previous_output() -> None:
    sim = Sim.start(simple())
    sim.finish("t0", output={"value": "a"})
    assert sim.live("t1").inputData == {"prev": "a"}
    sim.finish("t1", output={"value": "b"})
    assert sim.live("t2").inputData == {"prev": "b"}
    sim.finish("t2", output={"value": "c", "other": 1})
    assert sim.wf.status is WorkflowStatus.COMPLETED
    assert sim.wf.output == {"value": "c", "other": 1}, "default output is the last task's"
    assert sim.wf.endTime == sim.now


def test_output_parameters_are_evaluated_at_completion() -> None:
    definition = simple(2)
    definition["outputParameters"] = {"first": "${t0.output.value}", "in": "${workflow.input.x}"}
    sim = Sim.start(definition, input={"x": 1})
    sim.finish("t0", output={"value": "a"})
    sim.finish("t1", output={"value": "b"})
    assert sim.wf.output == {"first": "a", "in": 1}


def test_a_failed_task_is_retried_with_the_fixed_delay_then_fails_the_workflow() -> None:
    td = {"name": "task_0", "retryCount": 1, "retryDelaySeconds": 5, "retryLogic": "FIXED"}
    sim = Sim.start(simple(1, taskDefinition=td))
    decision = sim.finish("t0", TaskStatus.FAILED, reason="boom")
    retry = sim.live("t0")
    assert retry.retryCount == 1
    assert retry.retriedTaskId == sim.attempts("t0")[0].taskId
    assert retry.callbackAfterSeconds == 5
    assert decision.queue[0].visible_at == sim.now + 5000
    assert sim.attempts("t0")[0].retried
    sim.finish("t0", TaskStatus.FAILED, reason="boom again")
    assert sim.wf.status is WorkflowStatus.FAILED
    assert sim.wf.reasonForIncompletion == (
        f"Task {retry.taskId} failed with status: FAILED and reason: 'boom again'"
    )
    assert sim.wf.failedReferenceTaskNames == ["t0"]


def test_terminal_error_is_not_retried() -> None:
    sim = Sim.start(simple(2))
    sim.finish("t0", TaskStatus.FAILED_WITH_TERMINAL_ERROR, reason="bad card")
    assert sim.wf.status is WorkflowStatus.FAILED
    assert len(sim.attempts("t0")) == 1


def test_workflow_task_retry_count_overrides_the_task_def() -> None:
    sim = Sim.start(simple(1, retryCount=0))
    sim.finish("t0", TaskStatus.FAILED)
    assert sim.wf.status is WorkflowStatus.FAILED


@pytest.mark.parametrize(
    ("logic", "expected"),
    [
        ("FIXED", [10, 10, 10]),
        ("LINEAR_BACKOFF", [20, 40, 60]),
        ("EXPONENTIAL_BACKOFF", [10, 20, 40]),
    ],
)
def test_retry_delays(logic: str, expected: list[int]) -> None:
    td = {
        "name": "task_0",
        "retryCount": 3,
        "retryDelaySeconds": 10,
        "retryLogic": logic,
        "backoffScaleFactor": 2,
    }
    sim = Sim.start(simple(1, taskDefinition=td))
    delays = []
    for _ in expected:
        sim.finish("t0", TaskStatus.FAILED)
        delays.append(sim.live("t0").callbackAfterSeconds)
    assert delays == expected


def test_optional_task_completes_with_errors_and_the_flow_goes_on() -> None:
    sim = Sim.start(simple(2, optional=True, retryCount=0))
    sim.finish("t0", TaskStatus.FAILED, reason="nope")
    assert sim.attempts("t0")[0].status is TaskStatus.COMPLETED_WITH_ERRORS
    sim.finish("t1")
    assert sim.wf.status is WorkflowStatus.COMPLETED


def test_permissive_task_lets_the_flow_go_on_then_fails_the_workflow() -> None:
    sim = Sim.start(simple(2, permissive=True, retryCount=0))
    sim.finish("t0", TaskStatus.FAILED, reason="nope")
    sim.finish("t1")
    assert sim.wf.status is WorkflowStatus.FAILED
    assert "failed with status: FAILED and reason: 'nope'" in (sim.wf.reasonForIncompletion or "")


def test_response_timeout_times_the_attempt_out_and_retries_it() -> None:
    td = {
        "name": "task_0",
        "responseTimeoutSeconds": 10,
        "timeoutSeconds": 100,
        "retryCount": 1,
        "retryDelaySeconds": 0,
    }
    sim = Sim.start(simple(1, taskDefinition=td))
    sim.poll("t0")
    sim.now += 9_000
    sim.decide()
    assert sim.live("t0").status is TaskStatus.IN_PROGRESS
    sim.now += 1_000
    sim.decide()
    first, retry = sim.attempts("t0")
    assert first.status is TaskStatus.TIMED_OUT
    assert first.reasonForIncompletion == (
        f"responseTimeout: 10 exceeded for the taskId: {first.taskId} with Task Definition: task_0"
    )
    assert retry.status is TaskStatus.SCHEDULED


def test_task_timeout_with_time_out_wf_times_the_workflow_out() -> None:
    td = {
        "name": "task_0",
        "timeoutSeconds": 30,
        "responseTimeoutSeconds": 30,
        "timeoutPolicy": "TIME_OUT_WF",
    }
    sim = Sim.start(simple(2, taskDefinition=td))
    sim.poll("t0")
    sim.now += 30_000
    sim.decide()
    assert sim.wf.status is WorkflowStatus.TIMED_OUT
    assert sim.attempts("t0")[0].status is TaskStatus.TIMED_OUT


def test_workflow_timeout() -> None:
    definition = {**simple(1), "timeoutSeconds": 5, "timeoutPolicy": "TIME_OUT_WF"}
    sim = Sim.start(definition, timeoutAt=1_005_000)
    sim.now = 1_005_000
    sim.decide()
    assert sim.wf.status is WorkflowStatus.TIMED_OUT
    assert sim.wf.reasonForIncompletion == (
        "Workflow timed out after 5 seconds. Timeout configured as 5 seconds. "
        "Timeout policy configured to TIME_OUT_WF"
    )
    assert sim.attempts("t0")[0].status is TaskStatus.CANCELED


def test_terminate_cancels_live_tasks_without_a_failure_workflow() -> None:
    definition = {**simple(2), "failureWorkflow": "cleanup"}
    sim = Sim.start(definition)
    decision = sim.terminate("operator said so")
    assert sim.wf.status is WorkflowStatus.TERMINATED
    assert sim.attempts("t0")[0].status is TaskStatus.CANCELED
    assert decision.unqueue == [sim.attempts("t0")[0].taskId]
    assert decision.failure_workflow is None


def test_failure_workflow_name_read_from_the_input() -> None:
    definition = {**simple(1, retryCount=0), "failureWorkflow": "$workflow.input.onFailure"}
    sim = Sim.start(definition, input={"onFailure": "cleanup"})
    decision = sim.finish("t0", TaskStatus.FAILED, reason="x")
    assert decision.failure_workflow is not None
    assert decision.failure_workflow.name == "cleanup"
    assert decision.failure_workflow.input["workflowId"] == "wf-1"
    assert decision.failure_workflow.input["failureStatus"] == "FAILED"


def test_task_domains_star_and_fallback() -> None:
    sim = Sim.start(simple(2), taskToDomain={"*": "blue", "task_1": "green,NO_DOMAIN"})
    assert sim.live("t0").domain == "blue"
    assert sim.decisions[0].queue[0].queue == "blue:task_0"
    sim.finish("t0")
    assert sim.live("t1").domain is None, "no active domain and NO_DOMAIN last: no domain"


def test_active_domain_wins() -> None:
    sim = Sim.start(simple(2), taskToDomain={"task_1": "green,red"})
    sim.task_to_domain_active.add(("task_1", "red"))
    sim.finish("t0")
    assert sim.live("t1").domain == "red"


def test_cpewf_task_id_and_env() -> None:
    definition = simple(1)
    definition["tasks"][0]["inputParameters"] = {
        "me": "${CPEWF_TASK_ID}",
        "region": "${workflow.env.REGION}",
    }
    sim = Sim.start(definition)
    task = sim.live("t0")
    assert task.inputData == {"me": task.taskId, "region": "eu"}


def test_start_delay_and_priority_reach_the_queue() -> None:
    sim = Sim.start(simple(1, startDelay=3), priority=7)
    entry = sim.decisions[0].queue[0]
    assert entry.visible_at == sim.now + 3000
    assert entry.priority == 7


def test_the_decider_loads_only_referenced_tasks() -> None:
    definition = simple(6)
    definition["tasks"][5]["inputParameters"] = {"a": "${t0.output.value}"}
    sim = Sim.start(definition)
    for i in range(5):
        sim.finish(f"t{i}", output={"value": i})
    assert sim.live("t5").inputData == {"a": 0}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["ok", "fail", "terminal"]), min_size=1, max_size=30),
    st.integers(min_value=0, max_value=2),
)
def test_any_run_keeps_one_live_attempt_and_ends_correctly(
    outcomes: list[str], retries: int
) -> None:
    sim = Sim.start(simple(4, retryCount=retries))
    for outcome in outcomes:
        if sim.wf.status.terminal:
            break
        live = [t for t in sim.tasks.values() if not t.status.terminal]
        assert len(live) == 1
        status = {
            "ok": TaskStatus.COMPLETED,
            "fail": TaskStatus.FAILED,
            "terminal": TaskStatus.FAILED_WITH_TERMINAL_ERROR,
        }[outcome]
        sim.finish(live[0].referenceTaskName, status)
    seqs = sorted(t.seq for t in sim.tasks.values())
    assert seqs == list(range(1, len(seqs) + 1))
    if sim.wf.status is WorkflowStatus.COMPLETED:
        assert all(sim.attempts(f"t{i}")[-1].status is TaskStatus.COMPLETED for i in range(4))
    if sim.wf.status is WorkflowStatus.FAILED:
        assert not any(t.status is TaskStatus.SCHEDULED for t in sim.tasks.values())
