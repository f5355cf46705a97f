"""Use cases. `build_services` wires them around one store."""

from __future__ import annotations

from dataclasses import dataclass

from podium.auth.jwks import JwksVerifier
from podium.events.bus import EventBuses
from podium.services.access import AccessService
from podium.services.applications import ApplicationService
from podium.services.audit import AuditService
from podium.services.context import (
    DEFINITIONS_CHANGED,
    HANDLERS_CHANGED,
    Limits,
    ServiceContext,
    Wakeups,
)
from podium.services.decisions import Decisions
from podium.services.directory import DirectoryService
from podium.services.event_processing import EventActions, EventProcessor, WatchedEventHandlers
from podium.services.events import EventHandlerService
from podium.services.hierarchy import Hierarchy
from podium.services.metadata import MetadataService
from podium.services.observer import NullObserver, Observer
from podium.services.operations import Operations
from podium.services.plans import Plans
from podium.services.retention import Retention, RetentionPolicy
from podium.services.runner import SystemTaskRunner
from podium.services.security import SecurityService
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
    "RetentionPolicy",
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
    event_processor: EventProcessor
    retention: Retention
    security: SecurityService
    applications: ApplicationService
    directory: DirectoryService
    audit: AuditService
    access: AccessService


def build_services(
    ctx: ServiceContext,
    *,
    sweep_interval_s: float = 1.0,
    guard: OutboundGuard | None = None,
    buses: EventBuses | None = None,
    retention: RetentionPolicy | None = None,
    token_ttl_s: int = 3600,
    external: JwksVerifier | None = None,
) -> Services:
    """Wire the use cases around one context (`buses`: where EVENT tasks and handlers go;
    `retention`: how long ended executions are kept, forever by default)."""
    plans = Plans()
    # Every node drops its prepared-definition cache when any node changes a definition.
    ctx.wakeups.on(DEFINITIONS_CHANGED, plans.invalidate)
    decisions = Decisions(ctx)
    starter = Starter(ctx, plans, decisions)
    tasks = TaskService(ctx, plans, decisions)
    operations = Operations(ctx, plans, decisions)
    workflows = WorkflowService(ctx, plans, starter)
    Hierarchy(ctx, plans, decisions, tasks)
    buses = buses or EventBuses({})
    runner = SystemTaskRunner(
        ctx, SystemTasks(ctx), tasks, starter, guard=guard or OutboundGuard(), buses=buses
    )
    task_admin = TaskAdmin(ctx, tasks)
    actions = EventActions(ctx, starter, tasks, task_admin, operations)
    processor = EventProcessor(ctx, EventHandlerService(ctx), buses, actions)
    ctx.wakeups.on(HANDLERS_CHANGED, processor.handlers_changed)
    return Services(
        ctx=ctx,
        metadata=MetadataService(ctx),
        workflows=workflows,
        operations=operations,
        tasks=tasks,
        task_admin=task_admin,
        sweeper=Sweeper(ctx, operations, sweep_interval_s),
        tester=WorkflowTester(workflows, tasks),
        events=WatchedEventHandlers(ctx),
        event_processor=processor,
        runner=runner,
        retention=Retention(ctx, operations, retention or RetentionPolicy()),
        security=SecurityService(ctx, token_ttl_s=token_ttl_s, external=external),
        applications=ApplicationService(ctx),
        directory=DirectoryService(ctx),
        audit=AuditService(ctx),
        access=AccessService(ctx),
    )
