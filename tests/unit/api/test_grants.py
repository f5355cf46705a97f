"""A search narrowed by grants: one more condition of the query, values quoted safely."""

from __future__ import annotations

import pytest

from podium.api.grants import RESOURCE_RULES, narrowed_search
from podium.api.policy import ROUTE_POLICY
from podium.auth.policy import Permission
from podium.errors import Forbidden
from podium.model.search import WORKFLOW_FIELDS, matches, parse_query
from podium.services.access import Rights
from podium.store import SearchRequest


def rights(*types: str) -> Rights:
    return Rights({("WORKFLOW_DEF", "READ"): frozenset(types)})


def test_roles_that_read_everything_search_unchanged() -> None:
    search = SearchRequest("status = RUNNING", start=5)
    assert narrowed_search(search, None) is search


def test_a_caller_reading_nothing_searches_nothing() -> None:
    assert narrowed_search(SearchRequest("status = RUNNING"), rights()) is None


def test_the_limit_is_and_ed_to_the_query_and_quotes_every_name() -> None:
    search = SearchRequest("status = RUNNING OR status = PAUSED", "x", "startTime:DESC", 10, 20)
    narrowed = narrowed_search(search, rights('odd "one" \\ here', "plain"))
    assert narrowed is not None
    assert (narrowed.free_text, narrowed.sort, narrowed.start, narrowed.size) == (
        "x",
        "startTime:DESC",
        10,
        20,
    )
    assert narrowed.query is not None
    query = parse_query(narrowed.query, WORKFLOW_FIELDS)
    assert matches(query, {"status": "PAUSED", "workflowType": 'odd "one" \\ here'})
    assert matches(query, {"status": "RUNNING", "workflowType": "plain"})
    assert not matches(query, {"status": "RUNNING", "workflowType": "other"})
    assert not matches(query, {"status": "COMPLETED", "workflowType": "plain"})


def test_too_many_readable_types_to_search_by_is_refused_clearly() -> None:
    with pytest.raises(Forbidden, match="too many to search by"):
        narrowed_search(SearchRequest(), rights(*(f"type_{i:05}" for i in range(2000))))


def test_grants_never_open_worker_or_admin_routes() -> None:
    for route, permission in ROUTE_POLICY.items():
        if permission in (Permission.TASK_WORK, Permission.ADMIN):
            assert route not in RESOURCE_RULES, route
    assert RESOURCE_RULES.keys() <= ROUTE_POLICY.keys()
