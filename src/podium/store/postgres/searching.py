"""Workflow and task search in PostgreSQL, with the query grammar of `podium.model.search`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from psycopg.rows import TupleRow

from podium.model.executions import Task, Workflow
from podium.model.search import TASK_FIELDS, WORKFLOW_FIELDS, parse_query, parse_sort
from podium.store import MAX_TOTAL_HITS, Page, SearchRequest
from podium.store.postgres.base import PgBase
from podium.store.postgres.search import free_text_to_sql, order_by, to_sql
from podium.store.sql_search import count_sql, total_from_page
from podium.store.sqlite.searching import TASK_COLUMNS, WORKFLOW_COLUMNS

__all__ = ["NULLABLE_COLUMNS", "SearchMixin"]

NULLABLE_COLUMNS = frozenset(
    {"w.correlation_id", "w.parent_workflow_id", "w.idempotency_key", "w.created_by"}
    | {"t.domain", "t.worker_id"}
)
"""The searchable columns that may hold NULL (the schema declares every other NOT NULL)."""


@dataclass(frozen=True, slots=True)
class _Rows:
    """The table a search reads: its alias in the generated SQL and its key column."""

    table: str
    alias: str
    key: str


_WORKFLOWS = _Rows("workflow", "w", "workflow_id")
_TASKS = _Rows("task", "t", "task_id")


@dataclass(frozen=True, slots=True)
class _Search:
    """One search's SQL: `base` is its `FROM ... WHERE ...`, `args` the parameters of both."""

    rows: _Rows
    base: str
    order: str
    args: list[Any]
    free_text: bool


class SearchMixin(PgBase):
    """Search methods of the PostgreSQL transaction."""

    async def search_workflows(self, request: SearchRequest) -> Page[Workflow]:
        where, params = to_sql(parse_query(request.query, WORKFLOW_FIELDS), WORKFLOW_COLUMNS)
        text_sql, text_params = free_text_to_sql(request.free_text, "w.body")
        sort = parse_sort(request.sort, WORKFLOW_FIELDS)
        order = order_by(sort, WORKFLOW_COLUMNS, NULLABLE_COLUMNS) or "ORDER BY w.create_time DESC"
        base = f"FROM workflow w WHERE ({where}) AND ({text_sql})"
        search = _Search(_WORKFLOWS, base, order, [*params, *text_params], bool(text_params))
        total, bodies = await self._page(search, request)
        return Page(total, [Workflow.from_record(orjson.loads(b)) for b in bodies])

    async def search_tasks(self, request: SearchRequest) -> Page[Task]:
        where, params = to_sql(parse_query(request.query, TASK_FIELDS), TASK_COLUMNS)
        text_sql, text_params = free_text_to_sql(request.free_text, "t.body")
        sort = parse_sort(request.sort, TASK_FIELDS)
        order = order_by(sort, TASK_COLUMNS, NULLABLE_COLUMNS) or "ORDER BY t.scheduled_time DESC"
        base = (
            "FROM task t JOIN workflow w ON w.workflow_id = t.workflow_id"
            f" WHERE ({where}) AND ({text_sql})"
        )
        search = _Search(_TASKS, base, order, [*params, *text_params], bool(text_params))
        total, bodies = await self._page(search, request)
        return Page(total, [Task.from_record(orjson.loads(b)) for b in bodies])

    async def _page(self, search: _Search, request: SearchRequest) -> tuple[int, list[bytes]]:
        """The bodies of the requested page of the matching rows, and how many rows match."""
        if search.free_text:
            return await self._counted_page(search, request)
        # `base` and `order` come from `search.py`: fixed fragments and placeholders only.
        page = f"SELECT {search.rows.alias}.body {search.base} {search.order} LIMIT %s OFFSET %s"
        rows = await self._search(page, [*search.args, request.size, request.start])
        total = total_from_page(request, len(rows))
        if total is None:
            total = await self._count(search)
        return total, [bytes(r[0]) for r in rows]

    async def _counted_page(
        self, search: _Search, request: SearchRequest
    ) -> tuple[int, list[bytes]]:
        """A free-text search's page, counted in the same pass over the matches.

        PostgreSQL cannot tell how many rows a text matches and plans for few: it reads every
        candidate of the trigram index to sort them. Counting them on the way is then free,
        where a separate count would read them again.
        """
        rows = search.rows
        page = (
            f"SELECT {rows.alias}.{rows.key}, count(*) OVER () {search.base} {search.order}"
            " LIMIT %s OFFSET %s"
        )
        found = await self._search(page, [*search.args, request.size, request.start])
        if not found:  # past the last match: the window saw no row to count
            total = total_from_page(request, 0)
            return (await self._count(search) if total is None else total), []
        keys = [r[0] for r in found]
        bodies = await self._search(
            f"SELECT {rows.key}, body FROM {rows.table} WHERE {rows.key} = ANY(%s)", [keys]
        )
        by_key = {key: bytes(body) for key, body in bodies}
        return min(int(found[0][1]), MAX_TOTAL_HITS), [by_key[k] for k in keys if k in by_key]

    async def _count(self, search: _Search) -> int:
        counted = await self._search(count_sql(search.base, "%s"), [*search.args, MAX_TOTAL_HITS])
        return int(counted[0][0])

    async def _search(self, query: str, args: list[Any]) -> list[TupleRow]:
        # Never a prepared statement: a generic plan, blind to the values, can miss the index
        # that the values call for (a free-text pattern, a rare status).
        cur = await self.conn.execute(query, args, prepare=False)
        return await cur.fetchall()
