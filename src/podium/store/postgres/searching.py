"""Workflow and task search in PostgreSQL, with the query grammar of `podium.model.search`."""

from __future__ import annotations

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


class SearchMixin(PgBase):
    """Search methods of the PostgreSQL transaction."""

    async def search_workflows(self, request: SearchRequest) -> Page[Workflow]:
        where, params = to_sql(parse_query(request.query, WORKFLOW_FIELDS), WORKFLOW_COLUMNS)
        text_sql, text_params = free_text_to_sql(request.free_text, "w.body")
        sort = parse_sort(request.sort, WORKFLOW_FIELDS)
        order = order_by(sort, WORKFLOW_COLUMNS, NULLABLE_COLUMNS) or "ORDER BY w.create_time DESC"
        base = f"FROM workflow w WHERE ({where}) AND ({text_sql})"
        total, bodies = await self._page(base, order, [*params, *text_params], request)
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
        args = [*params, *text_params]
        total, bodies = await self._page(base, order, args, request, "t.body")
        return Page(total, [Task.from_record(orjson.loads(b)) for b in bodies])

    async def _page(
        self,
        base: str,
        order: str,
        args: list[Any],
        request: SearchRequest,
        body: str = "w.body",
    ) -> tuple[int, list[bytes]]:
        """The bodies of the requested page of the rows `base` selects, and how many it selects.

        Two statements, each planned for itself: the page (LIMIT: an index in the sort order may
        stop early) and, unless the page shows where the matches end, the capped count.
        """
        # `base` and `order` come from `search.py`: fixed fragments and placeholders only.
        page = f"SELECT {body} {base} {order} LIMIT %s OFFSET %s"
        rows = await self._search(page, [*args, request.size, request.start])
        total = total_from_page(request, len(rows))
        if total is None:
            counted = await self._search(count_sql(base, "%s"), [*args, MAX_TOTAL_HITS])
            total = int(counted[0][0])
        return total, [bytes(r[0]) for r in rows]

    async def _search(self, query: str, args: list[Any]) -> list[TupleRow]:
        # Never a prepared statement: a generic plan, blind to the values, can miss the index
        # that the values call for (a free-text pattern, a rare status).
        cur = await self.conn.execute(query, args, prepare=False)
        return await cur.fetchall()
