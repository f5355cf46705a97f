"""Hello, Podium: two workers, a two-step workflow, and one blocking execution.

Start a server, then run this file with the SDK pointed at it:

    podium server &
    CONDUCTOR_SERVER_URL=http://localhost:8080/api python docs/examples/hello_worker.py

It prints `COMPLETED {'greeting': 'Hello, Podium!', 'shouted': 'HELLO, PODIUM!'}`.
"""

# No `from __future__ import annotations` here: the SDK reads the worker's parameter types at run
# time to convert the task input, and postponed (string) annotations break that conversion.
from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models.task_def import TaskDef
from conductor.client.orkes_clients import OrkesClients
from conductor.client.worker.worker_task import worker_task
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.task.simple_task import SimpleTask

WORKFLOW = "hello_podium"


@worker_task(task_definition_name="hello_greet")
def greet(name: str) -> dict[str, str]:
    """A worker: its parameters come from the task input, its return value is the output."""
    return {"greeting": f"Hello, {name}!"}


@worker_task(task_definition_name="hello_shout")
def shout(text: str) -> dict[str, str]:
    return {"shouted": text.upper()}


def register(config: Configuration) -> None:
    """Register the task definitions and the workflow (both calls overwrite what exists)."""
    clients = OrkesClients(config)
    metadata = clients.get_metadata_client()
    for name in ("hello_greet", "hello_shout"):
        # Without a definition a task gets Conductor's defaults: 3 retries, 60 s apart.
        metadata.register_task_def(
            TaskDef(
                name=name,
                retry_count=2,
                retry_delay_seconds=1,
                response_timeout_seconds=30,
                owner_email="docs@example.com",
            )
        )
    workflow = ConductorWorkflow(clients.get_workflow_executor(), name=WORKFLOW, version=1)
    greet_task = SimpleTask("hello_greet", "greet").input(
        key="name", value="${workflow.input.name}"
    )
    shout_task = SimpleTask("hello_shout", "shout").input(
        key="text", value=greet_task.output("greeting")
    )
    workflow >> greet_task >> shout_task
    workflow.output_parameters(
        {"greeting": greet_task.output("greeting"), "shouted": shout_task.output("shouted")}
    )
    workflow.register(overwrite=True)


def main() -> None:
    config = Configuration()  # reads CONDUCTOR_SERVER_URL, default http://localhost:8080/api
    register(config)
    executor = OrkesClients(config).get_workflow_executor()
    # TaskHandler runs each @worker_task function in its own process, polling Podium.
    with TaskHandler(configuration=config, scan_for_annotated_workers=True) as handler:
        handler.start_processes()
        run = executor.execute(
            name=WORKFLOW, version=1, workflow_input={"name": "Podium"}, wait_for_seconds=20
        )
    print(run.status, run.output)
    if run.status != "COMPLETED":
        raise SystemExit(f"workflow {run.workflow_id} ended {run.status}")


# The guard matters: TaskHandler starts its worker processes with "spawn", which imports this file.
if __name__ == "__main__":
    main()
