"""`podium server --demo`: example definitions and in-process workers for them.

The demo is a checkout (reserve stock, charge payment with retries, confirm). Its workers run
inside the server process, through the same services real workers reach over HTTP.
"""

from __future__ import annotations

import asyncio
import json
import logging
from importlib import resources
from typing import Any

from podium.errors import PodiumError
from podium.model.requests import StartWorkflowRequest, TaskResult, TaskResultStatus
from podium.model.validation import parse_task_def, parse_workflow_def
from podium.services import Services

__all__ = ["DEMO_TASKS", "load_demo", "run_demo_workers"]

log = logging.getLogger("podium.demo")

DEMO_TASKS = ("reserve_stock", "charge_payment", "confirm_order")
_WORKER_ID = "podium-demo-worker"


def _read(name: str) -> Any:
    return json.loads(resources.files("podium.demo").joinpath(name).read_text())


async def load_demo(svc: Services, *, start_examples: int = 3) -> list[str]:
    """Register the demo definitions and start a few example checkouts."""
    await svc.metadata.register_tasks([parse_task_def(d) for d in _read("taskdefs.json")])
    definition = parse_workflow_def(_read("checkout.json"))
    await svc.metadata.register_workflow(definition, overwrite=True)
    ids = []
    for n in range(1, start_examples + 1):
        order = {
            "orderId": f"demo-{n}",
            "amount": 10 * n,
            "currency": "EUR",
            "items": [{"sku": "book", "qty": n}],
        }
        request = StartWorkflowRequest(name="checkout", input=order, correlationId=f"demo-{n}")
        ids.append(await svc.workflows.start(request, actor="demo"))
    log.info("demo loaded", extra={"action": "demo_loaded", "workflowIds": ids})
    return ids


def _work(task_type: str, data: dict[str, Any], retry_count: int) -> dict[str, Any]:
    order = str(data.get("orderId"))
    if task_type == "reserve_stock":
        return {"reservationId": f"res-{order}"}
    if task_type == "charge_payment":
        # Every other order fails its first charge, to show retries in the demo.
        if retry_count == 0 and order.endswith(("1", "3", "5", "7", "9")):
            raise RuntimeError("payment gateway timed out")
        return {"paymentId": f"pay-{order}", "charged": data.get("amount")}
    return {"status": "CONFIRMED", "orderId": order}


async def _worker(svc: Services, task_type: str) -> None:
    while True:
        try:
            tasks = await svc.tasks.poll(
                task_type, worker_id=_WORKER_ID, domain=None, count=10, timeout_ms=1000
            )
            for task in tasks:
                try:
                    output = _work(task_type, task.inputData, task.retryCount)
                    status, reason = TaskResultStatus.COMPLETED, None
                except RuntimeError as exc:
                    output, status, reason = {}, TaskResultStatus.FAILED, str(exc)
                await svc.tasks.update(
                    TaskResult(
                        workflowInstanceId=task.workflowInstanceId,
                        taskId=task.taskId,
                        status=status,
                        outputData=output,
                        reasonForIncompletion=reason,
                        workerId=_WORKER_ID,
                    )
                )
        except PodiumError as exc:
            log.warning(
                "demo worker error", extra={"action": "demo_worker_error", "error": exc.message}
            )
            await asyncio.sleep(1)


async def run_demo_workers(svc: Services) -> None:
    """Run one in-process worker per demo task type until cancelled."""
    async with asyncio.TaskGroup() as group:
        for task_type in DEMO_TASKS:
            group.create_task(_worker(svc, task_type))
