"""Workflow and task search in SQLite, with the query grammar of `podium.model.search`."""

from __future__ import annotations

import sqlite3

import orjson

from podium.model.executions import Task, Workflow
from podium.model.search import TASK_FIELDS, WORKFLOW_FIELDS, parse_query, parse_sort
from podium.store import Page, SearchRequest
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
        args = [*params, *text_params]
        total = self.conn.execute(f"SELECT count(*) {base}", args).fetchone()[0]
        rows = self.conn.execute(
            f"SELECT w.body {base} {order or 'ORDER BY w.create_time DESC'} LIMIT ? OFFSET ?",
            [*args, request.size, request.start],
        )
        return Page(int(total), [Workflow.from_record(orjson.loads(r[0])) for r in rows])

    async def search_tasks(self, request: SearchRequest) -> Page[Task]:
        where, params = to_sql(parse_query(request.query, TASK_FIELDS), TASK_COLUMNS)
        text_sql, text_params = free_text_to_sql(request.free_text, "CAST(t.body AS TEXT)")
        order = order_by(parse_sort(request.sort, TASK_FIELDS), TASK_COLUMNS)
        base = (
            "FROM task t JOIN workflow w ON w.workflow_id = t.workflow_id"
            f" WHERE ({where}) AND ({text_sql})"
        )
        args = [*params, *text_params]
        total = self.conn.execute(f"SELECT count(*) {base}", args).fetchone()[0]
        rows = self.conn.execute(
            f"SELECT t.body {base} {order or 'ORDER BY t.scheduled_time DESC'} LIMIT ? OFFSET ?",
            [*args, request.size, request.start],
        )
        return Page(int(total), [Task.from_record(orjson.loads(r[0])) for r in rows])
