"""Workflow and task search in SQLite, with the query grammar of `podium.model.search`."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from podium.model.executions import Task, Workflow
from podium.model.search import TASK_FIELDS, WORKFLOW_FIELDS, parse_query, parse_sort
from podium.store import MAX_TOTAL_HITS, Page, SearchRequest
from podium.store.sql_search import count_sql, total_from_page
from podium.store.sqlite.search import free_text_to_sql, order_by, to_sql

__all__ = ["SearchMixin"]

WORKFLOW_COLUMNS = {
    "workflowId": "w.workflow_id",
    "correlationId": "w.correlation_id",
    "workflowType": "w.workflow_name",
    "status": "w.status",
    "startTime": "w.create_time",
    "endTime": "w.end_time",
    "updateTime": "w.update_time",
    "parentWorkflowId": "w.parent_workflow_id",
    "version": "w.workflow_version",
    "priority": "w.priority",
    "idempotencyKey": "w.idempotency_key",
    "createdBy": "w.created_by",
}

TASK_COLUMNS = {
    "taskId": "t.task_id",
    "taskType": "t.task_type",
    "taskDefName": "t.task_def_name",
    "status": "t.status",
    "workflowId": "t.workflow_id",
    "workflowType": "w.workflow_name",
    "startTime": "t.start_time",
    "endTime": "t.end_time",
    "updateTime": "t.update_time",
    "scheduledTime": "t.scheduled_time",
    "referenceTaskName": "t.ref_name",
    "domain": "t.domain",
    "workerId": "t.worker_id",
}


class SearchMixin:
    """Search methods of the SQLite transaction."""

    conn: sqlite3.Connection

    async def search_workflows(self, request: SearchRequest) -> Page[Workflow]:
        where, params = to_sql(parse_query(request.query, WORKFLOW_FIELDS), WORKFLOW_COLUMNS)
        text_sql, text_params = free_text_to_sql(request.free_text, "CAST(w.body AS TEXT)")
        order = order_by(parse_sort(request.sort, WORKFLOW_FIELDS), WORKFLOW_COLUMNS)
        base = f"FROM workflow w WHERE ({where}) AND ({text_sql})"
        order = order or "ORDER BY w.create_time DESC"
        total, bodies = self._page(base, order, [*params, *text_params], request, "w.body")
        return Page(total, [Workflow.from_record(orjson.loads(b)) for b in bodies])

    async def search_tasks(self, request: SearchRequest) -> Page[Task]:
        where, params = to_sql(parse_query(request.query, TASK_FIELDS), TASK_COLUMNS)
        text_sql, text_params = free_text_to_sql(request.free_text, "CAST(t.body AS TEXT)")
        order = order_by(parse_sort(request.sort, TASK_FIELDS), TASK_COLUMNS)
        base = (
            "FROM task t JOIN workflow w ON w.workflow_id = t.workflow_id"
            f" WHERE ({where}) AND ({text_sql})"
        )
        order = order or "ORDER BY t.scheduled_time DESC"
        total, bodies = self._page(base, order, [*params, *text_params], request, "t.body")
        return Page(total, [Task.from_record(orjson.loads(b)) for b in bodies])

    def _page(
        self, base: str, order: str, args: list[Any], request: SearchRequest, body: str
    ) -> tuple[int, list[bytes]]:
        """The bodies of the requested page of the rows `base` selects, and how many it selects."""
        page = f"SELECT {body} {base} {order} LIMIT ? OFFSET ?"
        bodies = [r[0] for r in self.conn.execute(page, [*args, request.size, request.start])]
        total = total_from_page(request, len(bodies))
        if total is None:
            counted = self.conn.execute(count_sql(base, "?"), [*args, MAX_TOTAL_HITS])
            total = int(counted.fetchone()[0])
        return total, bodies
