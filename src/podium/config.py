"""Settings: one explicit object. The only module that knows about `PODIUM_*` variables.

Precedence: command-line flag, then environment variable, then default. Every setting has both
(the CLI declares the variable of each flag, so `podium server --help` lists them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

__all__ = ["Settings"]

DEFAULT_DB = "sqlite:///podium.db"


@dataclass(frozen=True, slots=True)
class Settings:
    """How one `podium server` process runs."""

    host: str = "127.0.0.1"
    port: int = 8080
    db: str = DEFAULT_DB
    demo: bool = False
    log_level: str = "INFO"
    sqlite_synchronous: str = "NORMAL"
    migrate: bool = True
    auth: bool = False
    """Every request needs a principal (a token), except the token endpoint and monitoring."""
    insecure: bool = False
    """Allow binding a non-loopback address with authentication off."""
    token_ttl: int = 3600
    """Seconds a token from `POST /api/token` stays valid (the SDKs renew after 45 minutes)."""
    jwt_jwks_url: str | None = None
    """Accept bearer JWTs of an external issuer whose keys are published here (with --auth)."""
    jwt_issuer: str | None = None
    """The `iss` those tokens must carry."""
    jwt_audience: str | None = None
    """The `aud` those tokens must include."""
    jwt_roles_claim: str = "roles"
    """The claim (or dotted path into nested claims) holding the caller's roles."""
    jwt_groups_claim: str | None = None
    """The claim (or dotted path) holding the groups the caller belongs to (None: none)."""
    trusted_proxy: tuple[str, ...] = ()
    """Addresses (IPs or CIDRs) of reverse proxies whose identity headers (`X-User`,
    `X-User-Email`, `X-User-Roles`, `X-User-Groups`) name the caller; from any other address
    they are dropped."""
    open_monitoring: bool = True
    """With authentication on, health and metrics endpoints still answer without a token."""
    oidc_issuer: str | None = None
    """People sign in to the UI with this OpenID Connect issuer (with --auth)."""
    oidc_client_id: str | None = None
    """This server's client id at the issuer (also the ID tokens' audience)."""
    oidc_client_secret: str | None = field(default=None, repr=False)
    """Its client secret (set it through `PODIUM_OIDC_CLIENT_SECRET`; never logged)."""
    oidc_scopes: str = "openid email profile"
    oidc_roles_claim: str = "roles"
    """The ID token claim (or dotted path) holding the person's roles."""
    oidc_groups_claim: str = "groups"
    """The ID token claim (or dotted path) holding the person's groups."""
    public_url: str | None = None
    """The address people reach this server at (`https://podium.example.com`): the sign-in's
    redirect address, and `https` there marks the UI's cookies Secure."""
    session_ttl: int = 8 * 3600
    """Seconds a UI session lasts before the person signs in again."""
    db_pool_size: int = 20
    """Most PostgreSQL connections one node opens (a transaction holds one while it runs)."""
    sweep_interval: float = 1.0
    retention_days: float = 0.0
    """Delete or archive executions that ended more than this many days ago (0: keep forever)."""
    retention_mode: str = "delete"
    """`delete` (rows, tasks, logs and history) or `archive` (keep final JSON and history)."""
    retention_batch: int = 100
    """Executions deleted or archived per transaction."""
    retention_interval: float = 60.0
    """Seconds between two retention rounds."""
    max_payload_bytes: int = 10 * 1024 * 1024
    max_poll_timeout_ms: int = 5000
    access_log: bool = False
    http_allow: tuple[str, ...] = ()
    """Destinations HTTP tasks may call although refused by default (loopback, link-local)."""
    http_deny: tuple[str, ...] = ()
    """Destinations HTTP tasks may never call (hostnames, IPs or CIDRs)."""
    stale_updates: str = "reject"
    """`reject` (409) or `ignore` (200, as Conductor): results for attempts no longer live."""
    amqp_url: str | None = None
    """RabbitMQ for `amqp:` events, e.g. `amqp://user:pass@host:5672/` (None: not configured)."""
    nats_url: str | None = None
    """NATS for `nats:` events, e.g. `nats://host:4222` (None: not configured)."""
    conductor_env: Mapping[str, str] = field(default_factory=dict)
    """`CONDUCTOR_ENV_*` variables: `${workflow.env.X}` reads them (never other variables)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, overridden by `PODIUM_<NAME>` variables, overridden by `overrides`."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"PODIUM_{f.name.upper()}")
            if raw is not None and f.name != "conductor_env":
                values[f.name] = _convert(f.default, raw, f.name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["conductor_env"] = {k: v for k, v in env.items() if k.startswith("CONDUCTOR_ENV_")}
        return cls(**values)  # type: ignore[arg-type]

    def redacted(self) -> dict[str, object]:
        """The settings safe to log: credentials in the database URL are masked."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "conductor_env"}
        out["db"] = _mask_url(self.db)
        out["oidc_client_secret"] = "***" if self.oidc_client_secret else None
        for name in ("amqp_url", "nats_url"):
            value = out[name]
            out[name] = _mask_url(value) if isinstance(value, str) else value
        return out


def _convert(default: object, raw: str, name: str) -> object:
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            raise ValueError(f"PODIUM_{name.upper()} must be true or false, not {raw!r}")
        return lowered in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def _mask_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
