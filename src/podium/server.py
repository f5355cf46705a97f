"""Wiring: builds the store, the services, the API and the background loops from settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import uvicorn
from fastapi import FastAPI

from podium.api.app import create_app
from podium.config import Settings
from podium.events.factory import MissingDependency, build_buses
from podium.observability.events import LoggingObserver
from podium.observability.logs import configure_logging
from podium.services import Limits, RetentionPolicy, ServiceContext, Services, build_services
from podium.store import Store

if TYPE_CHECKING:
    from podium.store.postgres.notify import PostgresListener
from podium.store.sqlite import SqliteStore
from podium.systasks.http import OutboundGuard

__all__ = ["build_app", "make_store", "serve"]

log = logging.getLogger("podium.server")


def make_store(settings: Settings) -> Store:
    """The store named by the database URL."""
    if settings.db.startswith("sqlite:"):
        return SqliteStore(
            settings.db, synchronous=settings.sqlite_synchronous, migrate=settings.migrate
        )
    if settings.db in ("memory://", "memory:"):
        from podium.store.memory import MemoryStore

        return MemoryStore()
    if settings.db.startswith(("postgres://", "postgresql://")):
        try:
            from podium.store.postgres import PostgresStore
        except ImportError as exc:  # the optional dependency
            raise SystemExit("PostgreSQL needs: pip install 'podium[postgres]'") from exc
        return PostgresStore(settings.db, max_size=settings.db_pool_size, migrate=settings.migrate)
    raise SystemExit(
        f"Unsupported database URL: {settings.db!r} (try sqlite:///podium.db or memory://)"
    )


def build_app(settings: Settings) -> FastAPI:
    """The ASGI app with its lifespan: open the store, run the loops, close on shutdown."""
    metrics = LoggingObserver()
    store = make_store(settings)
    limits = Limits(max_poll_timeout_ms=settings.max_poll_timeout_ms)
    ctx = ServiceContext(
        store=store,
        observer=metrics,
        limits=limits,
        env=settings.conductor_env,
        reject_stale_updates=settings.stale_updates != "ignore",
    )
    guard = OutboundGuard(allow=settings.http_allow, deny=settings.http_deny)
    try:
        buses = build_buses(amqp_url=settings.amqp_url, nats_url=settings.nats_url)
    except MissingDependency as exc:
        raise SystemExit(str(exc)) from exc
    retention = RetentionPolicy(
        days=settings.retention_days,
        mode=settings.retention_mode,
        batch=settings.retention_batch,
        interval_s=settings.retention_interval,
    )
    svc = build_services(
        ctx,
        sweep_interval_s=settings.sweep_interval,
        guard=guard,
        buses=buses,
        retention=retention,
    )
    app = create_app(svc, settings, metrics)
    app.router.lifespan_context = _lifespan(svc, settings, _listener(store))
    return app


def _listener(store: Store) -> PostgresListener | None:
    """Several nodes share one PostgreSQL: their long polls wake through LISTEN/NOTIFY."""
    if store.name != "postgres":
        return None
    from podium.store.postgres import PostgresStore

    assert isinstance(store, PostgresStore)
    return store.listener()


def _lifespan(  # type: ignore[no-untyped-def]
    svc: Services, settings: Settings, listener: PostgresListener | None
):
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await svc.ctx.store.open()
        if not settings.migrate:
            missing = await svc.ctx.store.pending_migrations()
            if missing:
                await svc.ctx.store.close()
                message = f"the database lacks migrations {missing}: run `podium db migrate`"
                log.error(message, extra={"action": "schema_behind", "missing": missing})
                raise RuntimeError(message)
        loops = [
            asyncio.create_task(svc.sweeper.run(), name="sweeper"),
            asyncio.create_task(svc.runner.run(), name="system-task-runner"),
            asyncio.create_task(svc.event_processor.run(), name="event-processor"),
        ]
        if svc.retention.policy.enabled:
            loops.append(asyncio.create_task(svc.retention.run(), name="retention"))
        if listener is not None:
            loops.append(
                asyncio.create_task(
                    listener.listen(svc.ctx.wakeups.notify, svc.ctx.wakeups.notify_all),
                    name="listen",
                )
            )
        if settings.demo:
            from podium.demo import load_demo, run_demo_workers

            await load_demo(svc)
            loops.append(asyncio.create_task(run_demo_workers(svc), name="demo-workers"))
        log.info("server started", extra={"action": "server_started", **settings.redacted()})
        try:
            yield
        finally:
            for loop in loops:
                loop.cancel()
            for loop in loops:
                with contextlib.suppress(asyncio.CancelledError):
                    await loop
            await svc.event_processor.buses.close()
            await svc.ctx.store.close()
            log.info("server stopped", extra={"action": "server_stopped"})

    return lifespan


def serve(settings: Settings) -> None:
    """Run the server until interrupted."""
    configure_logging(settings.log_level, access_log=settings.access_log)
    app = build_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=settings.access_log,
        log_config=None,
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()
