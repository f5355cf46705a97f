"""Use cases. `build_services` wires them around one store."""

from __future__ import annotations

from dataclasses import dataclass

from podium.services.context import Limits, ServiceContext, Wakeups
from podium.services.decisions import Decisions
from podium.services.events import EventHandlerService
from podium.services.hierarchy import Hierarchy
from podium.services.metadata import MetadataService
from podium.services.observer import NullObserver, Observer
from podium.services.operations import Operations
from podium.services.plans import Plans
from podium.services.runner import SystemTaskRunner
from podium.services.starting import Starter
from podium.services.sweeper import Sweeper
from podium.services.systasks import SystemTasks
from podium.services.taskadmin import TaskAdmin
from podium.services.tasks import TaskService
from podium.services.testing import WorkflowTester
from podium.services.workflows import WorkflowService
from podium.systasks.http import OutboundGuard

__all__ = [
    "Limits",
    "NullObserver",
    "Observer",
    "ServiceContext",
    "Services",
    "Wakeups",
    "build_services",
]


@dataclass(slots=True)
class Services:
    """Every use case of one server process."""

    ctx: ServiceContext
    metadata: MetadataService
    workflows: WorkflowService
    operations: Operations
    tasks: TaskService
    task_admin: TaskAdmin
    sweeper: Sweeper
    tester: WorkflowTester
    runner: SystemTaskRunner
    events: EventHandlerService


def build_services(
    ctx: ServiceContext,
    *,
    sweep_interval_s: float = 1.0,
    guard: OutboundGuard | None = None,
) -> Services:
    """Wire the use cases around one context."""
    plans = Plans()
    decisions = Decisions(ctx)
    starter = Starter(ctx, plans, decisions)
    tasks = TaskService(ctx, plans, decisions)
    operations = Operations(ctx, plans, decisions)
    workflows = WorkflowService(ctx, plans, starter)
    Hierarchy(ctx, plans, decisions, tasks)
    runner = SystemTaskRunner(ctx, SystemTasks(ctx), tasks, starter, guard=guard or OutboundGuard())
    return Services(
        ctx=ctx,
        metadata=MetadataService(ctx, plans),
        workflows=workflows,
        operations=operations,
        tasks=tasks,
        task_admin=TaskAdmin(ctx, tasks),
        sweeper=Sweeper(ctx, operations, sweep_interval_s),
        tester=WorkflowTester(workflows, tasks),
        events=EventHandlerService(ctx),
        runner=runner,
    )
