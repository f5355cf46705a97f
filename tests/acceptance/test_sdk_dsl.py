"""Workflows built with conductor-python's DSL (system tasks only), run with its executor."""

from __future__ import annotations

from typing import Any

import pytest
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.executor.workflow_executor import WorkflowExecutor
from conductor.client.workflow.task.do_while_task import LoopTask
from conductor.client.workflow.task.fork_task import ForkTask
from conductor.client.workflow.task.javascript_task import JavascriptTask
from conductor.client.workflow.task.json_jq_task import JsonJQTask
from conductor.client.workflow.task.set_variable_task import SetVariableTask
from conductor.client.workflow.task.switch_task import SwitchTask
from conductor.client.workflow.task.terminate_task import TerminateTask, WorkflowStatus

from tests.acceptance.harness import unique

pytestmark = pytest.mark.acceptance


@pytest.fixture
def executor(configuration: Any) -> Any:
    return WorkflowExecutor(configuration=configuration)


def test_dsl_switch_fork_script_jq_and_variables(executor: Any) -> None:
    wf = ConductorWorkflow(executor=executor, name=unique("dsl"), version=1)
    double = JavascriptTask("double", "$.n * 2", {"n": wf.input("n")})
    jq = JsonJQTask("sum", ".a + .b")
    jq.input_parameters.update({"a": "${double.output.result}", "b": 1})
    remember = SetVariableTask("remember")
    remember.input_parameters.update({"seen": "${sum.output.result}"})
    route = SwitchTask("route", "${workflow.input.kind}")
    route.switch_case("big", [JavascriptTask("big", "'big'")])
    route.default_case([JavascriptTask("small", "'small'")])
    wf >> double >> ForkTask("fan", [[jq], [remember]]) >> route
    wf.output_parameters({"sum": "${sum.output.result}", "variables": "${workflow.variables}"})
    wf.register(True)

    run = wf.execute(workflow_input={"n": 20, "kind": "big"}, wait_for_seconds=10)

    assert run.status == "COMPLETED", run
    assert run.output["sum"] == 41
    refs = [t.reference_task_name for t in run.tasks]
    assert "big" in refs
    assert "small" not in refs


def test_dsl_loop_and_terminate(executor: Any) -> None:
    wf = ConductorWorkflow(executor=executor, name=unique("dsl_loop"), version=1)
    wf >> LoopTask("loop", 3, [JavascriptTask("step", "$.loop ? 1 : 1")])
    wf >> TerminateTask("stop", WorkflowStatus.COMPLETED, "done looping")
    wf.register(True)

    run = wf.execute(workflow_input={}, wait_for_seconds=10)

    assert run.status == "COMPLETED", run
    steps = [t.reference_task_name for t in run.tasks if t.task_type == "INLINE"]
    assert steps == ["step__1", "step__2", "step__3"]
