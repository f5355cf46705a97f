"""Workflow and task search over the in-memory tables, selecting what the SQLite store selects.

Rows are matched with `podium.model.search.matches` over the camelCase fields (the SQLite
translation is proven to select exactly those rows) and `free_text_matches` over the stored JSON
body. Sorting follows SQL: NULLs first ascending, last descending; text by code point. Totals
stop at `MAX_TOTAL_HITS`, as the SQL stores' counts do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from podium.model.executions import Task, Workflow
from podium.model.search import (
    TASK_FIELDS,
    WORKFLOW_FIELDS,
    free_text_matches,
    matches,
    parse_query,
    parse_sort,
)
from podium.store import MAX_TOTAL_HITS, Page, SearchRequest
from podium.store.memory_state import MemoryState, TaskRow, WorkflowRow, sql_page

__all__ = ["search_tasks", "search_workflows"]

R = TypeVar("R")
Hit = tuple[Mapping[str, Any], R]

# The SQLite store's order when the request names none: newest first.
_WORKFLOW_DEFAULT_SORT = [("startTime", False)]
_TASK_DEFAULT_SORT = [("scheduledTime", False)]


def search_workflows(state: MemoryState, request: SearchRequest) -> Page[Workflow]:
    """One page of the executions matching `request`, and how many matched in all."""
    query = parse_query(request.query, WORKFLOW_FIELDS)
    sort = parse_sort(request.sort, WORKFLOW_FIELDS) or _WORKFLOW_DEFAULT_SORT
    hits: list[Hit[WorkflowRow]] = [
        (fields, row)
        for row in state.workflows.rows()
        if matches(query, fields := row.search_row())
        and free_text_matches(request.free_text, row.body.decode())
    ]
    page = sql_page(_ordered(hits, sort), request.start, request.size)
    return Page(min(len(hits), MAX_TOTAL_HITS), [row.load() for _, row in page])


def search_tasks(state: MemoryState, request: SearchRequest) -> Page[Task]:
    """One page of the attempts matching `request` (of executions that exist), and the total."""
    query = parse_query(request.query, TASK_FIELDS)
    sort = parse_sort(request.sort, TASK_FIELDS) or _TASK_DEFAULT_SORT
    hits: list[Hit[TaskRow]] = []
    for row in state.tasks.rows():
        workflow = state.workflows.get(row.workflow_id)
        if workflow is None:  # the SQLite store joins the workflow row
            continue
        fields = row.search_row(workflow.name)
        if matches(query, fields) and free_text_matches(request.free_text, row.body.decode()):
            hits.append((fields, row))
    page = sql_page(_ordered(hits, sort), request.start, request.size)
    return Page(min(len(hits), MAX_TOTAL_HITS), [row.load() for _, row in page])


def _ordered(hits: list[Hit[R]], sort: list[tuple[str, bool]]) -> list[Hit[R]]:
    """`ORDER BY` the sort terms: stable sorts from the last term to the first."""
    ordered = list(hits)
    for field, ascending in reversed(sort):
        ordered.sort(key=_sort_key(field), reverse=not ascending)
    return ordered


def _sort_key(field: str) -> Callable[[Hit[Any]], tuple[bool, Any]]:
    def key(hit: Hit[Any]) -> tuple[bool, Any]:
        value = hit[0].get(field)
        return (False, 0) if value is None else (True, value)

    return key
