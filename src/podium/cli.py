"""The `podium` command."""

from __future__ import annotations

import asyncio
from typing import Annotated

import orjson
import typer

from podium import __version__
from podium.auth.proxy import TrustedProxies
from podium.config import DEFAULT_DB, Settings
from podium.errors import PodiumError

__all__ = ["main"]

app = typer.Typer(
    help="Podium: a durable workflow server that speaks the Conductor REST API.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
apps_app = typer.Typer(help="Applications (machine clients) and their access keys.")
app.add_typer(apps_app, name="apps")

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="PODIUM_DB", help=f"Database URL [default: {DEFAULT_DB}]"),
]


@app.command()
def server(
    host: Annotated[str, typer.Option(envvar="PODIUM_HOST", help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PODIUM_PORT", help="Port")] = 8080,
    db: DbOption = None,
    demo: Annotated[
        bool, typer.Option(envvar="PODIUM_DEMO", help="Load demo definitions and run demo workers")
    ] = False,
    log_level: Annotated[str, typer.Option(envvar="PODIUM_LOG_LEVEL")] = "INFO",
    sqlite_synchronous: Annotated[
        str, typer.Option(envvar="PODIUM_SQLITE_SYNCHRONOUS", help="NORMAL or FULL")
    ] = "NORMAL",
    migrate: Annotated[
        bool, typer.Option(envvar="PODIUM_MIGRATE", help="Apply migrations at start")
    ] = True,
    auth: Annotated[
        bool,
        typer.Option(
            envvar="PODIUM_AUTH", help="Require a token on every request (see docs/howto/auth.md)"
        ),
    ] = False,
    insecure: Annotated[
        bool,
        typer.Option(
            envvar="PODIUM_INSECURE",
            help="Allow a non-loopback --host with authentication off",
        ),
    ] = False,
    token_ttl: Annotated[
        int,
        typer.Option(envvar="PODIUM_TOKEN_TTL", min=60, help="Seconds a token stays valid"),
    ] = 3600,
    jwt_jwks_url: Annotated[
        str | None,
        typer.Option(
            envvar="PODIUM_JWT_JWKS_URL",
            help="Accept bearer JWTs of an issuer publishing its keys here (needs --auth)",
        ),
    ] = None,
    jwt_issuer: Annotated[
        str | None, typer.Option(envvar="PODIUM_JWT_ISSUER", help="Their required `iss`")
    ] = None,
    jwt_audience: Annotated[
        str | None, typer.Option(envvar="PODIUM_JWT_AUDIENCE", help="Their required `aud`")
    ] = None,
    jwt_roles_claim: Annotated[
        str,
        typer.Option(
            envvar="PODIUM_JWT_ROLES_CLAIM", help="Claim (or dotted path) holding the roles"
        ),
    ] = "roles",
    jwt_groups_claim: Annotated[
        str | None,
        typer.Option(
            envvar="PODIUM_JWT_GROUPS_CLAIM",
            help="Claim (or dotted path) holding the caller's groups (none unless set)",
        ),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            envvar="PODIUM_TRUSTED_PROXY",
            help="IP or CIDR of a reverse proxy whose X-User headers name the caller "
            "(repeatable; needs --auth)",
        ),
    ] = None,
    open_monitoring: Annotated[
        bool,
        typer.Option(
            envvar="PODIUM_OPEN_MONITORING",
            help="With --auth, health and metrics still answer without a token",
        ),
    ] = True,
    oidc_issuer: Annotated[
        str | None,
        typer.Option(
            envvar="PODIUM_OIDC_ISSUER",
            help="OpenID Connect issuer people sign in to the UI with (needs --auth)",
        ),
    ] = None,
    oidc_client_id: Annotated[
        str | None,
        typer.Option(envvar="PODIUM_OIDC_CLIENT_ID", help="This server's client id there"),
    ] = None,
    oidc_client_secret: Annotated[
        str | None,
        typer.Option(
            envvar="PODIUM_OIDC_CLIENT_SECRET",
            help="Its client secret (prefer the variable: flags show in process lists)",
            show_default=False,
        ),
    ] = None,
    oidc_scopes: Annotated[
        str, typer.Option(envvar="PODIUM_OIDC_SCOPES", help="Scopes the sign-in asks for")
    ] = "openid email profile",
    oidc_roles_claim: Annotated[
        str,
        typer.Option(envvar="PODIUM_OIDC_ROLES_CLAIM", help="ID token claim holding the roles"),
    ] = "roles",
    oidc_groups_claim: Annotated[
        str,
        typer.Option(envvar="PODIUM_OIDC_GROUPS_CLAIM", help="ID token claim holding the groups"),
    ] = "groups",
    public_url: Annotated[
        str | None,
        typer.Option(
            envvar="PODIUM_PUBLIC_URL",
            help="Address people reach this server at, e.g. https://podium.example.com",
        ),
    ] = None,
    session_ttl: Annotated[
        int, typer.Option(envvar="PODIUM_SESSION_TTL", min=60, help="Seconds a UI session lasts")
    ] = 8 * 3600,
    db_pool_size: Annotated[
        int,
        typer.Option(
            envvar="PODIUM_DB_POOL_SIZE", min=1, help="Most PostgreSQL connections of this node"
        ),
    ] = 20,
    sweep_interval: Annotated[
        float, typer.Option(envvar="PODIUM_SWEEP_INTERVAL", help="Seconds between timeout sweeps")
    ] = 1.0,
    max_payload_bytes: Annotated[
        int, typer.Option(envvar="PODIUM_MAX_PAYLOAD_BYTES", help="Largest request body accepted")
    ] = 10 * 1024 * 1024,
    retention_days: Annotated[
        float,
        typer.Option(
            envvar="PODIUM_RETENTION_DAYS",
            min=0,
            help="Delete or archive executions that ended more than this many days ago "
            "(0 keeps them forever)",
        ),
    ] = 0.0,
    retention_mode: Annotated[
        str,
        typer.Option(
            envvar="PODIUM_RETENTION_MODE",
            help="delete (with their tasks, logs and history) or archive (keep the final JSON "
            "and the history)",
        ),
    ] = "delete",
    retention_batch: Annotated[
        int,
        typer.Option(
            envvar="PODIUM_RETENTION_BATCH", min=1, help="Executions per retention transaction"
        ),
    ] = 100,
    retention_interval: Annotated[
        float,
        typer.Option(
            envvar="PODIUM_RETENTION_INTERVAL", min=0.001, help="Seconds between retention rounds"
        ),
    ] = 60.0,
    max_poll_timeout_ms: Annotated[
        int,
        typer.Option(
            envvar="PODIUM_MAX_POLL_TIMEOUT_MS", help="Longest long poll a worker may ask"
        ),
    ] = 5000,
    http_allow: Annotated[
        str,
        typer.Option(
            envvar="PODIUM_HTTP_ALLOW",
            help="Comma list of hosts/IPs/CIDRs HTTP tasks "
            "may call although refused by default (loopback, link-local, metadata)",
        ),
    ] = "",
    http_deny: Annotated[
        str,
        typer.Option(
            envvar="PODIUM_HTTP_DENY",
            help="Comma list of hosts/IPs/CIDRs HTTP tasks may never call",
        ),
    ] = "",
    stale_updates: Annotated[
        str,
        typer.Option(
            envvar="PODIUM_STALE_UPDATES",
            help="reject (409) or ignore (200, like Conductor) results for attempts that are "
            "no longer live; either way they change nothing and are recorded in the history",
        ),
    ] = "reject",
    access_log: Annotated[
        bool, typer.Option(envvar="PODIUM_ACCESS_LOG", help="Log every HTTP request")
    ] = False,
    amqp_url: Annotated[
        str | None,
        typer.Option(
            envvar="PODIUM_AMQP_URL",
            help="RabbitMQ URL for amqp: events, e.g. amqp://user:pass@host:5672/ [default: none]",
        ),
    ] = None,
    nats_url: Annotated[
        str | None,
        typer.Option(
            envvar="PODIUM_NATS_URL",
            help="NATS URL for nats: events, e.g. nats://host:4222 [default: none]",
        ),
    ] = None,
) -> None:
    """Serve the API on http://HOST:PORT."""
    from podium.server import serve

    if jwt_jwks_url and not auth:
        raise typer.BadParameter("external JWTs need --auth", param_hint="--jwt-jwks-url")
    if trusted_proxy and not auth:
        raise typer.BadParameter("proxy identity needs --auth", param_hint="--trusted-proxy")
    if oidc_issuer and not auth:
        raise typer.BadParameter("UI sign-in needs --auth", param_hint="--oidc-issuer")
    if oidc_issuer and not (oidc_client_id and oidc_client_secret):
        raise typer.BadParameter(
            "needs --oidc-client-id and PODIUM_OIDC_CLIENT_SECRET", param_hint="--oidc-issuer"
        )
    proxies = tuple(p for value in trusted_proxy or () for p in _csv(value))
    try:
        TrustedProxies(proxies)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--trusted-proxy") from exc
    if stale_updates not in {"reject", "ignore"}:
        raise typer.BadParameter("must be reject or ignore", param_hint="--stale-updates")
    if retention_mode.lower() not in {"delete", "archive"}:
        raise typer.BadParameter("must be delete or archive", param_hint="--retention-mode")
    if sqlite_synchronous.upper() not in {"NORMAL", "FULL"}:
        raise typer.BadParameter("must be NORMAL or FULL", param_hint="--sqlite-synchronous")
    settings = Settings.from_env(
        host=host,
        port=port,
        db=db,
        demo=demo,
        log_level=log_level,
        sqlite_synchronous=sqlite_synchronous.upper(),
        migrate=migrate,
        auth=auth,
        insecure=insecure,
        token_ttl=token_ttl,
        jwt_jwks_url=jwt_jwks_url,
        jwt_issuer=jwt_issuer,
        jwt_audience=jwt_audience,
        jwt_roles_claim=jwt_roles_claim,
        jwt_groups_claim=jwt_groups_claim,
        trusted_proxy=proxies or None,
        open_monitoring=open_monitoring,
        oidc_issuer=oidc_issuer,
        oidc_client_id=oidc_client_id,
        oidc_client_secret=oidc_client_secret,
        oidc_scopes=oidc_scopes,
        oidc_roles_claim=oidc_roles_claim,
        oidc_groups_claim=oidc_groups_claim,
        public_url=public_url.rstrip("/") if public_url else None,
        session_ttl=session_ttl,
        db_pool_size=db_pool_size,
        sweep_interval=sweep_interval,
        retention_days=retention_days,
        retention_mode=retention_mode.lower(),
        retention_batch=retention_batch,
        retention_interval=retention_interval,
        max_payload_bytes=max_payload_bytes,
        access_log=access_log,
        max_poll_timeout_ms=max_poll_timeout_ms,
        stale_updates=stale_updates,
        http_allow=_csv(http_allow),
        http_deny=_csv(http_deny),
        amqp_url=amqp_url,
        nats_url=nats_url,
    )
    serve(settings)


@db_app.command("migrate")
def db_migrate(db: DbOption = None) -> None:
    """Bring the database schema up to date."""
    from podium.server import make_store

    settings = Settings.from_env(db=db, migrate=False)
    store = make_store(settings)

    async def run() -> list[int]:
        await store.open()
        try:
            return await store.migrate()
        finally:
            await store.close()

    applied = asyncio.run(run())
    typer.echo(f"applied migrations: {applied}" if applied else "schema is up to date")


@db_app.command("verify")
def db_verify(db: DbOption = None) -> None:
    """Check, read-only, that the schema is up to date (exit 1 when migrations are missing).

    API nodes can run this with a database user that has no DDL rights, and start with
    --no-migrate; one deploy step runs `podium db migrate`.
    """
    from podium.server import make_store

    store = make_store(Settings.from_env(db=db, migrate=False))

    async def run() -> list[int]:
        await store.open()
        try:
            return await store.pending_migrations()
        finally:
            await store.close()

    missing = asyncio.run(run())
    if missing:
        typer.echo(f"missing migrations: {missing} (run `podium db migrate`)")
        raise typer.Exit(1)
    typer.echo("schema is up to date")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def main() -> None:
    app()


@apps_app.command("create")
def apps_create(
    name: Annotated[str, typer.Argument(help="The application's name")],
    role: Annotated[
        list[str], typer.Option("--role", help="A role (repeatable), e.g. ADMIN or WORKER")
    ],
    db: DbOption = None,
) -> None:
    """Create an application with one access key; print `{"id", "keyId", "keySecret"}`.

    The secret is shown only here: store it (e.g. as CONDUCTOR_AUTH_SECRET of the workers).
    This is how the first admin is made, before any token exists.
    """
    from podium.server import make_store
    from podium.services.applications import ApplicationService
    from podium.services.context import ServiceContext

    store = make_store(Settings.from_env(db=db))

    async def run() -> dict[str, str]:
        await store.open()
        try:
            applications = ApplicationService(ServiceContext(store=store))
            created = await applications.create_application(name, role, actor="cli")
            key = await applications.create_access_key(created["id"])
        finally:
            await store.close()
        return {"id": created["id"], "keyId": key["id"], "keySecret": key["secret"]}

    try:
        typer.echo(orjson.dumps(asyncio.run(run())).decode())
    except PodiumError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
