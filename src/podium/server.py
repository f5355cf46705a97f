"""Wiring: builds the store, the services, the API and the background loops from settings."""

from __future__ import annotations

import asyncio
import io
import ipaddress
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn
from fastapi import FastAPI

from podium.api.app import create_app
from podium.auth.jwks import ExternalIssuer, JwksVerifier
from podium.auth.oidc import OidcClient, OidcProvider
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

_STOP_S = 10.0  # how long shutdown waits for the cancelled background loops
_RESTART_S = 0.5  # the first wait before a crashed loop starts again; it doubles up to the max
_MAX_RESTART_S = 30.0


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
        token_ttl_s=settings.token_ttl,
        external=external_issuer(settings),
    )
    app = create_app(svc, settings, metrics, oidc_client(settings))
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
        wakeups = svc.ctx.wakeups
        runs: dict[str, Callable[[], Awaitable[None]]] = {
            "sweeper": svc.sweeper.run,
            "system-task-runner": svc.runner.run,
            "event-processor": svc.event_processor.run,
        }
        if svc.retention.policy.enabled:
            runs["retention"] = svc.retention.run
        if listener is not None:
            runs["listen"] = partial(listener.listen, wakeups.notify, wakeups.notify_all)
        if settings.demo:
            from podium.demo import load_demo, run_demo_workers

            await load_demo(svc)
            runs["demo-workers"] = partial(run_demo_workers, svc)
        loops = [asyncio.create_task(_forever(name, run), name=name) for name, run in runs.items()]
        log.info("server started", extra={"action": "server_started", **settings.redacted()})
        try:
            yield
        finally:
            for loop in loops:
                loop.cancel()
            # Bounded: a loop that ignores its cancellation must not keep the process alive.
            _, stuck = await asyncio.wait(loops, timeout=_STOP_S)
            for loop in stuck:
                where = io.StringIO()
                loop.print_stack(file=where)
                log.error(
                    "background loop did not stop",
                    extra={
                        "action": "loop_stuck",
                        "loop": loop.get_name(),
                        "where": where.getvalue(),
                    },
                )
            await svc.event_processor.buses.close()
            await svc.ctx.store.close()
            log.info("server stopped", extra={"action": "server_stopped"})

    return lifespan


async def _forever(name: str, run: Callable[[], Awaitable[None]]) -> None:
    """Run a background loop for the life of the server, starting it again if it ever fails.

    Every node runs every loop and there is no leader to take over: a loop that died would
    leave its work (timeouts, system tasks) to the other nodes, or to nobody on a single node.
    """
    delay = _RESTART_S
    while True:
        try:
            await run()
            log.error("background loop ended", extra={"action": "loop_ended", "loop": name})
        except Exception:
            log.exception("background loop crashed", extra={"action": "loop_crashed", "loop": name})
        await asyncio.sleep(delay)
        delay = min(delay * 2, _MAX_RESTART_S)


def external_issuer(settings: Settings) -> JwksVerifier | None:
    """The verifier of external bearer JWTs the settings ask for (`--jwt-*`), or None."""
    if settings.jwt_jwks_url is None:
        return None
    if not settings.jwt_issuer or not settings.jwt_audience:
        raise SystemExit("--jwt-jwks-url needs --jwt-issuer and --jwt-audience too")
    issuer = ExternalIssuer(
        settings.jwt_jwks_url,
        settings.jwt_issuer,
        settings.jwt_audience,
        settings.jwt_roles_claim,
        settings.jwt_groups_claim,
    )
    return JwksVerifier(issuer, _fetch_json)


def oidc_client(settings: Settings) -> OidcClient | None:
    """The identity provider people sign in to the UI with (`--oidc-*`), or None."""
    if settings.oidc_issuer is None:
        return None
    if not settings.oidc_client_id or not settings.oidc_client_secret:
        raise SystemExit("--oidc-issuer needs --oidc-client-id and PODIUM_OIDC_CLIENT_SECRET")
    provider = OidcProvider(
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_client_secret,
        scopes=settings.oidc_scopes,
        roles_claim=settings.oidc_roles_claim,
        groups_claim=settings.oidc_groups_claim,
    )
    return OidcClient(provider, _fetch_json, _post_form)


async def _post_form(
    url: str, form: Mapping[str, str], credentials: tuple[str, str]
) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        answer = await client.post(url, data=dict(form), auth=credentials)
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found


async def _fetch_json(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        answer = await client.get(url)
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found


def refuse_insecure_bind(settings: Settings) -> None:
    """Exit unless the address is loopback, authentication is on, or `--insecure` says so."""
    if settings.auth or settings.insecure or _loopback(settings.host):
        return
    log.error(
        "refusing to serve without authentication on a non-loopback address",
        extra={"action": "insecure_bind_refused", "host": settings.host},
    )
    raise SystemExit(
        f"refusing to listen on {settings.host} without authentication: anyone who reaches "
        "it could run and change workflows. Turn authentication on (--auth, see "
        "docs/howto/auth.md) or, on a network you trust, pass --insecure."
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def serve(settings: Settings) -> None:
    """Run the server until interrupted."""
    configure_logging(settings.log_level, access_log=settings.access_log)
    refuse_insecure_bind(settings)
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
