"""The ports: the one narrow seam between Podium's use cases and storage.

`Store` opens units of work; a `Tx` is one transaction. Every state change of a workflow (its row,
its tasks, their queue entries and the history records) goes through one `Tx` and commits
together or not at all. Implementations: `podium.store.memory` (tests), `podium.store.sqlite`.

Definitions are handed over as plain JSON objects (Conductor's shapes): parsing and validating
them is the model's job, storing them is ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from podium.model.executions import HistoryEvent, PollData, QueueEntry, Task, Workflow

__all__ = [
    "JSON",
    "MAX_TOTAL_HITS",
    "AuditQuery",
    "AuditRecord",
    "Grant",
    "Page",
    "SearchRequest",
    "Store",
    "Tx",
    "UiSession",
]

JSON = dict[str, Any]
T = TypeVar("T")

MAX_TOTAL_HITS = 10_000
"""Searches count their matches up to this many: a larger total is reported as 10,000.

Counting every match of a broad search costs as much as reading them all (hundreds of
milliseconds over a million executions); Conductor's Elasticsearch 7 index stops counting at
10,000 too (Elasticsearch's default `track_total_hits`). Pages beyond it are still served.
"""


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A search over workflows or tasks: `query` uses the grammar of `podium.model.search`."""

    query: str | None = None
    free_text: str | None = None
    sort: str | None = None
    start: int = 0
    size: int = 100


@dataclass(frozen=True, slots=True, order=True)
class Grant:
    """One access right: `subject` (type USER, GROUP or ROLE, and its id; an application is
    the USER `app:<id>`) may do `access` (READ, CREATE, UPDATE, DELETE, EXECUTE) on `target`
    (type WORKFLOW_DEF, TASK_DEF, TAG, ..., and its id)."""

    subject_type: str
    subject_id: str
    target_type: str
    target_id: str
    access: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One state-changing request: who, from where, what, when, and how it ended."""

    at: int
    """When it was answered (epoch ms)."""
    principal: str
    """Who: `app:<id>`, a person's id, or `anonymous`."""
    address: str
    """The client's address."""
    method: str
    path: str
    """The request path as sent (query string left out)."""
    resource: str
    """What it acted on, e.g. `workflow:<id>`, `WORKFLOW_DEF:<name>` ("" when none)."""
    status: int
    """The HTTP status answered."""
    node: str
    seq: int = 0
    """Assigned by the store, increasing; 0 before it is stored."""


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """A page of the audit log, newest first; every filter is optional."""

    since: int = 0
    """Records at or after this time (epoch ms)."""
    until: int = 0
    """Records at or before this time (0: no bound)."""
    principal: str | None = None
    resource: str | None = None
    start: int = 0
    size: int = 100


@dataclass(frozen=True, slots=True)
class UiSession:
    """A person's session in the UI, as recorded when its cookie was issued."""

    id: str
    """An opaque id derived from the cookie's `sid` (never the cookie itself)."""
    principal_id: str
    name: str
    issued_at: int
    """Epoch seconds, as `expires_at` and `ended_at`."""
    expires_at: int
    ended_at: int | None = None
    """When it was ended (signed out, or by an admin); None while it is open."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of search results and how many matched in all."""

    total: int
    """How many matched in all, up to `MAX_TOTAL_HITS`."""
    items: list[T]


class Tx(Protocol):
    """One transaction. Reads see the transaction's own writes."""

    # -- definitions -------------------------------------------------------------------------
    async def get_workflow_def(self, name: str, version: int | None) -> JSON | None:
        """The definition with this name and version, or the latest version when None."""
        ...

    async def list_workflow_defs(self, *, latest_only: bool = False) -> list[JSON]:
        """All definitions ordered by name then version (or only each name's latest)."""
        ...

    async def put_workflow_def(self, definition: JSON) -> None:
        """Create or replace the definition `definition["name"]` / `definition["version"]`."""
        ...

    async def delete_workflow_def(self, name: str, version: int) -> bool:
        """Delete one version; False when it did not exist."""
        ...

    async def get_task_def(self, name: str) -> JSON | None:
        """The registered task definition, or None."""
        ...

    async def list_task_defs(self) -> list[JSON]:
        """All task definitions ordered by name."""
        ...

    async def put_task_def(self, definition: JSON) -> None:
        """Create or replace the task definition `definition["name"]`."""
        ...

    async def delete_task_def(self, name: str) -> bool:
        """Delete a task definition; False when it did not exist."""
        ...

    async def put_snapshot(self, digest: str, body: bytes) -> None:
        """Keep an execution's definition snapshot under its content hash (idempotent)."""
        ...

    async def get_snapshot(self, digest: str) -> bytes | None:
        """A definition snapshot by content hash."""
        ...

    # -- workflows ---------------------------------------------------------------------------
    async def insert_workflow(self, workflow: Workflow) -> None:
        """Store a new execution."""
        ...

    async def update_workflow(self, workflow: Workflow) -> None:
        """Store the new state of an existing execution."""
        ...

    async def get_workflow(self, workflow_id: str, *, lock: bool = True) -> Workflow | None:
        """One execution (without tasks). With `lock` (PostgreSQL) its row stays locked until
        this Tx ends, so decisions on one execution serialise across nodes; reads that change
        nothing pass `lock=False` and neither wait for nor block a decision."""
        ...

    async def lock_with_tasks(
        self, workflow_id: str, task_id: str
    ) -> tuple[Workflow | None, Task | None, list[Task]]:
        """`get_workflow` (locked), then `get_task(task_id)` and `pending_tasks(workflow_id)`,
        read after the lock is held (PostgreSQL: in one round trip)."""
        ...

    async def delete_workflow(self, workflow_id: str) -> None:
        """Remove an execution, its tasks, their queue entries and logs (history stays)."""
        ...

    async def archive_workflow(self, workflow_id: str, body: bytes, at: int) -> None:
        """Keep the final JSON of a removed execution readable by id."""
        ...

    async def get_archived_workflow(self, workflow_id: str) -> bytes | None:
        """The archived JSON of a removed execution, or None."""
        ...

    async def ended_workflow_ids(self, ended_before: int, limit: int) -> list[str]:
        """Retention candidates: up to `limit` (> 0) ended executions (COMPLETED, FAILED,
        TIMED_OUT, TERMINATED) whose end and last update are both before `ended_before` and
        whose parent execution, if they have one, is gone; earliest end first. In PostgreSQL
        they are locked for this Tx, and rows another transaction holds are skipped."""
        ...

    async def archived_workflow_ids(self, archived_before: int, limit: int) -> list[str]:
        """Up to `limit` (> 0) archived executions archived before `archived_before`, oldest
        first; locked and skipped like `ended_workflow_ids`."""
        ...

    async def purge_workflows(self, workflow_ids: Sequence[str]) -> None:
        """Delete executions for good: their rows, tasks, queue entries, logs, archived JSON
        and history. This is the only deletion of history the store allows, and only of the
        executions it removes in the same call."""
        ...

    async def find_workflow_by_idempotency_key(self, name: str, key: str) -> Workflow | None:
        """The newest execution of `name` started with this idempotency key."""
        ...

    async def workflows_by_correlation_id(
        self, name: str, correlation_id: str, *, include_closed: bool
    ) -> list[Workflow]:
        """Executions of `name` with this correlation id (only RUNNING ones unless closed too)."""
        ...

    async def running_workflow_ids(
        self, name: str, version: int | None, start: int, end: int
    ) -> list[str]:
        """Ids of running executions of name/version, or of every one started in [start, end]."""
        ...

    async def search_workflows(self, request: SearchRequest) -> Page[Workflow]:
        """Executions matching a structured query and free text."""
        ...

    async def due_workflows(self, now: int, limit: int) -> list[str]:
        """Executions whose workflow timeout (running or paused) or, for running ones, a task
        check is due at `now` or before; earliest due first, each id once."""
        ...

    # -- tasks -------------------------------------------------------------------------------
    async def insert_tasks(self, tasks: Sequence[Task], check_at: Sequence[int]) -> None:
        """Store new task attempts, each with the time its timeouts must next be checked.

        A duplicate id fails the whole unit with Conflict (raised here, or by PostgreSQL when
        the unit reads again or commits)."""
        ...

    async def update_tasks(self, tasks: Sequence[Task], check_at: Sequence[int]) -> None:
        """Store the new state of existing task attempts (check_at 0: nothing to check)."""
        ...

    async def get_task(self, task_id: str) -> Task | None:
        """One task attempt by id."""
        ...

    async def get_tasks(self, task_ids: Sequence[str]) -> list[Task]:
        """Task attempts by id, in the order asked (missing ones left out)."""
        ...

    async def workflow_tasks(self, workflow_id: str) -> list[Task]:
        """Every attempt of an execution, ordered by seq."""
        ...

    async def pending_tasks(self, workflow_id: str) -> list[Task]:
        """Attempts the decider has not moved past yet (not executed, not retried), by seq."""
        ...

    async def latest_tasks(self, workflow_id: str, refs: Sequence[str]) -> dict[str, Task]:
        """The newest attempt (highest seq) of each reference name (loop suffix stripped)."""
        ...

    async def delete_iterations(
        self, workflow_id: str, refs: Sequence[str], up_to_iteration: int
    ) -> None:
        """Remove the attempts of loop-body refs whose iteration is at most `up_to_iteration`."""
        ...

    async def delete_tasks(self, task_ids: Sequence[str]) -> None:
        """Remove task attempts (rerun/restart), with their queue entries."""
        ...

    async def search_tasks(self, request: SearchRequest) -> Page[Task]:
        """Task attempts matching a structured query and free text."""
        ...

    async def tasks_in_progress(self, task_type: str, start: int, count: int) -> list[Task]:
        """Live attempts of a task type (not yet acted on by the decider), oldest first."""
        ...

    async def count_in_progress(self, task_def_name: str) -> int:
        """How many live attempts of this task definition are IN_PROGRESS."""
        ...

    async def count_started_since(self, task_def_name: str, since: int) -> int:
        """How many attempts of this rate-limited task definition (rateLimitPerFrequency > 0
        when written) started at `since` or later."""
        ...

    # -- queues ------------------------------------------------------------------------------
    async def push(self, entries: Sequence[QueueEntry]) -> None:
        """Make tasks pollable (replacing an existing entry of the same task)."""
        ...

    async def pop(self, queue: str, count: int, now: int) -> list[str]:
        """Take up to `count` visible task ids from a queue, highest priority then oldest."""
        ...

    async def pop_tasks(self, queue: str, count: int, now: int) -> list[Task]:
        """Take up to `count` visible entries of a queue and return their tasks, locked.

        Order as `pop`. An entry whose task row another open transaction holds (another node
        deciding that workflow) is left in the queue, not returned, so a claim never waits
        on, nor overwrites, a concurrent decision; an entry without a task row is dropped.
        """
        ...

    async def unqueue(self, task_ids: Sequence[str]) -> None:
        """Remove the queue entries of these tasks, if any."""
        ...

    async def next_visible_at(self, queue: str) -> int | None:
        """When the earliest entry of a queue becomes visible, or None if it is empty."""
        ...

    async def queue_sizes(self, now: int) -> dict[str, int]:
        """Visible entries per queue name, sorted by name."""
        ...

    async def queue_depths(self) -> dict[str, tuple[int, int]]:
        """Per queue: (entries visible or not, entries of tasks already IN_PROGRESS)."""
        ...

    async def queued_task_ids(self, queue: str) -> list[str]:
        """Task ids that have an entry on this queue."""
        ...

    # -- polls, logs and history -------------------------------------------------------------
    async def record_poll(self, poll: PollData) -> None:
        """Remember the last poll of (queue, domain)."""
        ...

    async def poll_data(self, task_type: str | None) -> list[PollData]:
        """Last polls of one task type (every domain), or of all types."""
        ...

    async def add_task_logs(self, task_id: str, logs: Sequence[tuple[str, int]]) -> None:
        """Append (log line, created time) entries to a task's log."""
        ...

    async def task_logs(self, task_id: str) -> list[tuple[str, int]]:
        """A task's log lines, oldest first."""
        ...

    async def announce(self, keys: Iterable[str]) -> None:
        """Tell the other nodes sharing this database, once this Tx commits, that work under
        these wake-up keys changed (PostgreSQL NOTIFY; nothing for single-node stores)."""
        ...

    async def append_history(self, events: Sequence[HistoryEvent]) -> None:
        """Record state transitions; history is never updated, and deleted only by
        `purge_workflows`."""
        ...

    async def workflow_history(self, workflow_id: str) -> list[HistoryEvent]:
        """Every recorded transition of an execution and its tasks, in order."""
        ...

    # -- event handlers ----------------------------------------------------------------------
    async def get_event_handler(self, name: str) -> JSON | None:
        """The event handler `name` (Conductor JSON), or None."""
        ...

    async def list_event_handlers(
        self, event: str | None = None, active_only: bool = False
    ) -> list[JSON]:
        """Handlers ordered by name: all, or those of exactly this event string; with
        `active_only`, only those whose `active` is true."""
        ...

    async def put_event_handler(self, handler: JSON) -> None:
        """Create or replace the handler `handler["name"]` (its `event` and `active` are
        indexed)."""
        ...

    async def delete_event_handler(self, name: str) -> bool:
        """Delete a handler; False when it did not exist."""
        ...

    # -- applications, access keys and server secrets (authentication) -----------------------
    async def get_application(self, app_id: str) -> JSON | None:
        """The application `app_id` (its JSON as `podium.auth` keeps it), or None."""
        ...

    async def list_applications(self) -> list[JSON]:
        """Every application, ordered by id."""
        ...

    async def put_application(self, application: JSON) -> None:
        """Create or replace the application `application["id"]`."""
        ...

    async def delete_application(self, app_id: str) -> bool:
        """Delete an application, all its access keys and its tags; False when it did not
        exist."""
        ...

    async def get_access_key(self, key_id: str) -> JSON | None:
        """The access key `key_id` (it holds only a hash of its secret), or None."""
        ...

    async def list_access_keys(self, app_id: str) -> list[JSON]:
        """The access keys of one application, ordered by `createdAt`, then id."""
        ...

    async def put_access_key(self, key: JSON) -> None:
        """Create or replace the access key `key["id"]` of application `key["applicationId"]`
        (indexed by application)."""
        ...

    async def delete_access_key(self, key_id: str) -> bool:
        """Delete an access key; False when it did not exist."""
        ...

    async def add_grants(self, grants: Sequence[Grant]) -> None:
        """Record these grants; one that exists already is kept as it is."""
        ...

    async def remove_grants(self, grants: Sequence[Grant]) -> None:
        """Remove these grants; one that does not exist is ignored."""
        ...

    async def grants_of_subject(self, subject_type: str, subject_id: str) -> list[Grant]:
        """Every grant of one subject, ordered by target type, target id, access."""
        ...

    async def grants_on_target(self, target_type: str, target_id: str) -> list[Grant]:
        """Every grant on one target, ordered by subject type, subject id, access."""
        ...

    # -- people, groups and application tags ------------------------------------------------
    async def get_user(self, user_id: str) -> JSON | None:
        """A person's user record (its JSON as `podium.services` keeps it), or None."""
        ...

    async def list_users(self) -> list[JSON]:
        """Every user record, ordered by id."""
        ...

    async def put_user(self, user: JSON) -> None:
        """Create or replace the user record `user["id"]`."""
        ...

    async def delete_user(self, user_id: str) -> bool:
        """Delete a user record and its group memberships; False when it did not exist."""
        ...

    async def get_group(self, group_id: str) -> JSON | None:
        """A group (its JSON as `podium.services` keeps it), or None."""
        ...

    async def list_groups(self) -> list[JSON]:
        """Every group, ordered by id."""
        ...

    async def put_group(self, group: JSON) -> None:
        """Create or replace the group `group["id"]`."""
        ...

    async def delete_group(self, group_id: str) -> bool:
        """Delete a group and its memberships; False when it did not exist."""
        ...

    async def add_group_members(self, group_id: str, user_ids: Sequence[str]) -> None:
        """Make these users members of the group; a member already is kept as it is."""
        ...

    async def remove_group_members(self, group_id: str, user_ids: Sequence[str]) -> None:
        """Remove these users from the group; one who is not a member is ignored."""
        ...

    async def group_members(self, group_id: str) -> list[str]:
        """The user ids of a group's members, in code-point order."""
        ...

    async def groups_of_user(self, user_id: str) -> list[str]:
        """The ids of the groups a user belongs to, in code-point order."""
        ...

    async def application_tags(self, app_id: str) -> list[tuple[str, str]]:
        """An application's tags as (key, value), ordered by key, then value."""
        ...

    async def add_application_tags(self, app_id: str, tags: Sequence[tuple[str, str]]) -> None:
        """Tag an application; a tag it has already is kept as it is."""
        ...

    async def remove_application_tags(self, app_id: str, tags: Sequence[tuple[str, str]]) -> None:
        """Remove these tags of an application; one it does not have is ignored."""
        ...

    async def append_audit(self, records: Sequence[AuditRecord]) -> None:
        """Append to the audit log (each record gets the next `seq`); it is never rewritten."""
        ...

    async def audit_records(self, query: AuditQuery) -> Page[AuditRecord]:
        """Records matching every given filter (principal and resource exactly), newest
        (highest `seq`) first; `total` counts up to `MAX_TOTAL_HITS`."""
        ...

    # -- the UI's sessions --------------------------------------------------------------------
    async def put_session(self, session: UiSession) -> None:
        """Record a session (a session id is new: ids are random)."""
        ...

    async def get_session(self, session_id: str) -> UiSession | None:
        """One session, open or ended, or None (never recorded, or pruned)."""
        ...

    async def end_session(self, session_id: str, at: int) -> bool:
        """End an open session at `at`; False when there is none open with this id."""
        ...

    async def end_sessions_of(self, principal_id: str, at: int) -> int:
        """End every open session of one principal at `at`; how many were open."""
        ...

    async def open_sessions(self, principal_id: str | None, now: int) -> list[UiSession]:
        """Sessions neither ended nor expired at `now` (of one principal, or of everyone),
        oldest first (by issue time, then id)."""
        ...

    async def prune_sessions(self, expired_before: int) -> int:
        """Delete the sessions that expired before `expired_before`; how many."""
        ...

    async def server_secret(self, name: str, candidate: bytes) -> bytes:
        """The secret stored as `name`; stores `candidate` first when there is none. Every
        node gets the same value, even when several make their first call at once."""
        ...


class Store(Protocol):
    """A database: opens transactions, applies migrations, closes."""

    name: str

    async def open(self) -> None:
        """Connect and bring the schema up to date."""
        ...

    async def migrate(self) -> list[int]:
        """Apply the schema migrations the database lacks; the versions applied."""
        ...

    async def pending_migrations(self) -> list[int]:
        """The migrations the database lacks, without changing anything."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """One unit of work: commits when the block exits normally, rolls back otherwise."""
        ...
