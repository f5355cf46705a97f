"""Workflow and task search in PostgreSQL, with the query grammar of `podium.model.search`."""

from __future__ import annotations

from typing import Any

import orjson

from podium.model.executions import Task, Workflow
from podium.model.search import TASK_FIELDS, WORKFLOW_FIELDS, parse_query, parse_sort
from podium.store import MAX_TOTAL_HITS, Page, SearchRequest
from podium.store.postgres.base import PgBase
from podium.store.postgres.search import free_text_to_sql, order_by, to_sql
from podium.store.sql_search import count_sql, total_from_page
from podium.store.sqlite.searching import TASK_COLUMNS, WORKFLOW_COLUMNS

__all__ = ["SearchMixin"]


class SearchMixin(PgBase):
    """Search methods of the PostgreSQL transaction."""

    async def search_workflows(self, request: SearchRequest) -> Page[Workflow]:
        where, params = to_sql(parse_query(request.query, WORKFLOW_FIELDS), WORKFLOW_COLUMNS)
        text_sql, text_params = free_text_to_sql(request.free_text, "w.body")
        order = order_by(parse_sort(request.sort, WORKFLOW_FIELDS), WORKFLOW_COLUMNS)
        base = f"FROM workflow w WHERE ({where}) AND ({text_sql})"
        order = order or "ORDER BY w.create_time DESC"
        total, bodies = await self._page(base, order, [*params, *text_params], request)
        return Page(total, [Workflow.from_record(orjson.loads(b)) for b in bodies])

    async def search_tasks(self, request: SearchRequest) -> Page[Task]:
        where, params = to_sql(parse_query(request.query, TASK_FIELDS), TASK_COLUMNS)
        text_sql, text_params = free_text_to_sql(request.free_text, "t.body")
        order = order_by(parse_sort(request.sort, TASK_FIELDS), TASK_COLUMNS)
        base = (
            "FROM task t JOIN workflow w ON w.workflow_id = t.workflow_id"
            f" WHERE ({where}) AND ({text_sql})"
        )
        order = order or "ORDER BY t.scheduled_time DESC"
        body = "t.body"
        total, bodies = await self._page(base, order, [*params, *text_params], request, body)
        return Page(total, [Task.from_record(orjson.loads(b)) for b in bodies])

    async def _page(
        self,
        base: str,
        order: str,
        args: list[Any],
        request: SearchRequest,
        body: str = "w.body",
    ) -> tuple[int, list[bytes]]:
        """The bodies of the requested page of the rows `base` selects, and how many it selects."""
        # `base` and `order` come from `search.py`: fixed fragments and placeholders only.
        rows = await self._all(
            f"SELECT {body} {base} {order} LIMIT %s OFFSET %s",
            [*args, request.size, request.start],
        )
        total = total_from_page(request, len(rows))
        if total is None:
            counted = await self._one(count_sql(base, "%s"), [*args, MAX_TOTAL_HITS])
            total = int(counted[0]) if counted else 0
        return total, [bytes(r[0]) for r in rows]
