"""The search query language: parsing, sorting, the in-memory matcher and free text."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.errors import BadRequest
from podium.model.search import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    TASK_FIELDS,
    WORKFLOW_FIELDS,
    And,
    Compare,
    Op,
    Or,
    Query,
    fold_case,
    free_text_matches,
    matches,
    parse_query,
    parse_sort,
)
from podium.model.statuses import WorkflowStatus


def parse(query: str) -> Query:
    parsed = parse_query(query, WORKFLOW_FIELDS)
    assert parsed is not None
    return parsed


def quote(value: str, mark: str = '"') -> str:
    """Render `value` as a quoted query value, escaping the backslash and the quote."""
    return mark + value.replace("\\", "\\\\").replace(mark, "\\" + mark) + mark


def bad_request(query: str, fields: frozenset[str] = WORKFLOW_FIELDS) -> str:
    with pytest.raises(BadRequest) as caught:
        parse_query(query, fields)
    return caught.value.message


STATUS_RUNNING = Compare("status", Op.EQ, ("RUNNING",))
TYPE_A = Compare("workflowType", Op.EQ, ("A",))
CORRELATION_X = Compare("correlationId", Op.EQ, ("x",))


# ----------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("workflowType IN (A,B)", Compare("workflowType", Op.IN, ("A", "B"))),
        ('workflowId="3f2c-11"', Compare("workflowId", Op.EQ, ("3f2c-11",))),
        (
            "workflowType='wf' AND status='COMPLETED'",
            And(
                (Compare("workflowType", Op.EQ, ("wf",)), Compare("status", Op.EQ, ("COMPLETED",)))
            ),
        ),
        (
            "correlationId='c' AND workflowType='w'",
            And((Compare("correlationId", Op.EQ, ("c",)), Compare("workflowType", Op.EQ, ("w",)))),
        ),
        ('correlationId = "x"', CORRELATION_X),
        (
            'status IN (RUNNING) AND correlationId = "x"',
            And((Compare("status", Op.IN, ("RUNNING",)), CORRELATION_X)),
        ),
        ("startTime > 1700000000000", Compare("startTime", Op.GT, (1_700_000_000_000,))),
    ],
)
def test_the_spec_examples_parse(query: str, expected: Query) -> None:
    assert parse(query) == expected


@pytest.mark.parametrize("query", [None, "", "   ", "\t\n"])
def test_an_empty_query_means_no_filter(query: str | None) -> None:
    assert parse_query(query, WORKFLOW_FIELDS) is None
    assert matches(None, {"status": "RUNNING"})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status != RUNNING", Compare("status", Op.NE, ("RUNNING",))),
        ("startTime < 5", Compare("startTime", Op.LT, (5,))),
        ("startTime >= -5", Compare("startTime", Op.GE, (-5,))),
        ("endTime<=+5", Compare("endTime", Op.LE, (5,))),
        ("version BETWEEN 1 AND 3", Compare("version", Op.BETWEEN, (1, 3))),
        ("workflowId STARTS_WITH abc", Compare("workflowId", Op.STARTS_WITH, ("abc",))),
        ("endTime IS null", Compare("endTime", Op.IS_NULL)),
        ("endTime IS not null", Compare("endTime", Op.IS_NOT_NULL)),
        ("startTime = '17'", Compare("startTime", Op.EQ, (17,))),
        ("priority IN (1, '2' , 3)", Compare("priority", Op.IN, (1, 2, 3))),
    ],
)
def test_every_operator_parses(query: str, expected: Query) -> None:
    assert parse(query) == expected


def test_keywords_are_case_insensitive() -> None:
    lower = parse("status in (A) and endTime is NOT Null or version between 1 and 2")
    upper = parse("status IN (A) AND endTime IS NOT NULL OR version BETWEEN 1 AND 2")
    assert lower == upper
    assert parse("workflowId starts_with x") == Compare("workflowId", Op.STARTS_WITH, ("x",))


def test_field_names_are_case_sensitive() -> None:
    assert "'WorkflowType'" in bad_request("WorkflowType = x")


def test_and_binds_tighter_than_or() -> None:
    assert parse("status = RUNNING OR workflowType = A AND correlationId = x") == Or(
        (STATUS_RUNNING, And((TYPE_A, CORRELATION_X)))
    )
    assert parse("workflowType = A AND correlationId = x OR status = RUNNING") == Or(
        (And((TYPE_A, CORRELATION_X)), STATUS_RUNNING)
    )


def test_parentheses_override_precedence() -> None:
    assert parse("(status = RUNNING OR workflowType = A) AND correlationId = x") == And(
        (Or((STATUS_RUNNING, TYPE_A)), CORRELATION_X)
    )
    assert parse("((((status = RUNNING))))") == STATUS_RUNNING


def test_same_connectives_are_flattened() -> None:
    expected = And((STATUS_RUNNING, TYPE_A, CORRELATION_X))
    assert parse("status = RUNNING AND (workflowType = A AND correlationId = x)") == expected
    assert parse("(status = RUNNING AND workflowType = A) AND correlationId = x") == expected


def test_between_keeps_its_and_out_of_the_boolean_and() -> None:
    assert parse("version BETWEEN 1 AND 2 AND status = RUNNING") == And(
        (Compare("version", Op.BETWEEN, (1, 2)), STATUS_RUNNING)
    )


@pytest.mark.parametrize(
    ("query", "value"),
    [
        ("correlationId = 'it''s'", None),  # SQL-style doubling is not an escape
        ("correlationId = 'a b AND c'", "a b AND c"),
        ('correlationId = "x = (1, 2)"', "x = (1, 2)"),
        (r'correlationId = "say \"hi\""', 'say "hi"'),
        (r"correlationId = 'it\'s'", "it's"),
        (r'correlationId = "back\\slash"', "back\\slash"),
        (r'correlationId = "kept \n as is"', "kept \\n as is"),
        ('correlationId = ""', ""),
        ("correlationId = order-7.1:x", "order-7.1:x"),
        ("correlationId = é-ü", "é-ü"),
    ],
)
def test_values_may_be_quoted_or_bare(query: str, value: str | None) -> None:
    if value is None:
        bad_request(query)
    else:
        assert parse(query) == Compare("correlationId", Op.EQ, (value,))


@given(st.text(), st.sampled_from(['"', "'"]))
def test_any_quoted_value_round_trips(value: str, mark: str) -> None:
    parsed = parse(f"correlationId = {quote(value, mark)}")
    assert isinstance(parsed, Compare)
    assert parsed.values == (value,)
    assert parsed.op is (Op.LIKE if "*" in value else Op.EQ)


def test_a_star_makes_equality_a_wildcard() -> None:
    assert parse("workflowType = order*") == Compare("workflowType", Op.LIKE, ("order*",))
    assert parse("workflowType != '*x*'") == Compare("workflowType", Op.NOT_LIKE, ("*x*",))
    # Only = and != take wildcards; elsewhere a star is an ordinary character.
    assert parse("workflowType IN (a*)") == Compare("workflowType", Op.IN, ("a*",))
    assert parse("workflowType STARTS_WITH a*") == Compare("workflowType", Op.STARTS_WITH, ("a*",))


@pytest.mark.parametrize(
    "query", ["startTime > yesterday", "endTime = 1.5", "updateTime = '2024-01-01'", "version = 1*"]
)
def test_integer_fields_reject_other_values(query: str) -> None:
    message = bad_request(query)
    assert "takes" in message
    assert "position" in message


def test_integer_fields_reject_values_beyond_64_bits() -> None:
    bad_request(f"startTime > {2**63}")
    assert parse(f"startTime > {2**63 - 1}") == Compare("startTime", Op.GT, (2**63 - 1,))


def test_starts_with_does_not_apply_to_integers() -> None:
    assert "STARTS_WITH" in bad_request("version STARTS_WITH 1")


@pytest.mark.parametrize(
    ("query", "position", "explanation"),
    [
        ("status", 6, "expected an operator"),
        ("status =", 8, "expected a value"),
        ("status = RUNNING workflowType = A", 17, "expected AND, OR or the end"),
        ("status = RUNNING AND", 20, "expected a field name"),
        ("status = RUNNING OR OR", 20, "expected a field name"),
        ("(status = RUNNING", 17, "expected ')' to close the '(' at position 0"),
        ("status = RUNNING)", 16, "expected AND, OR or the end"),
        ("()", 1, "expected a field name"),
        ("status IN A", 10, "expected '(' after IN"),
        ("status IN ()", 11, "expected a value"),
        ("status IN (A B)", 13, "expected ',' or ')'"),
        ("status IN (A,)", 13, "expected a value"),
        ("version BETWEEN 1 2", 18, "expected AND"),
        ("version BETWEEN 1 AND", 21, "expected a value"),
        ("endTime IS 5", 11, "expected 'null' or 'not null'"),
        ("endTime IS NOT 5", 15, "expected 'null' or 'not null'"),
        ("status LIKE x", 7, "expected an operator"),
        ("status == x", 8, "expected a value"),
        ("status ! x", 7, "unexpected character"),
        ('status = "open', 9, "never closed"),
        (r"status = 'open\'", 9, "never closed"),
        ("= x", 0, "expected a field name"),
    ],
)
def test_syntax_errors_name_the_position(query: str, position: int, explanation: str) -> None:
    message = bad_request(query)
    assert f"position {position}:" in message
    assert explanation in message


def test_an_unknown_field_names_the_allowed_ones() -> None:
    message = bad_request("status = RUNNING AND classifier = x")
    assert "Unknown search field 'classifier' at position 21" in message
    assert ", ".join(sorted(WORKFLOW_FIELDS)) in message


def test_fields_depend_on_what_is_searched() -> None:
    assert parse_query("taskDefName = t AND scheduledTime > 0", TASK_FIELDS) is not None
    assert "'taskDefName'" in bad_request("taskDefName = t")
    assert "'correlationId'" in bad_request("correlationId = c", TASK_FIELDS)


def test_limits_guard_the_parser_and_sqlite() -> None:
    nested = "(" * (MAX_DEPTH + 1) + "status = A" + ")" * (MAX_DEPTH + 1)
    assert "nest deeper" in bad_request(nested)
    parse("(" * MAX_DEPTH + "status = A" + ")" * MAX_DEPTH)
    many = " OR ".join(["status = A"] * (MAX_CONDITIONS + 1))
    assert "at most" in bad_request(many)
    assert "longer than" in bad_request("status = " + "x" * MAX_QUERY_LENGTH)


@given(st.text(max_size=60))
def test_garbage_is_a_bad_request_never_a_crash(query: str) -> None:
    with contextlib.suppress(BadRequest):
        parse_query(query, WORKFLOW_FIELDS)


# -------------------------------------------------------------------------------------- sort


def test_parse_sort() -> None:
    assert parse_sort("workflowId:ASC|startTime:DESC", WORKFLOW_FIELDS) == [
        ("workflowId", True),
        ("startTime", False),
    ]
    assert parse_sort(" status , endTime:desc ", WORKFLOW_FIELDS) == [
        ("status", True),
        ("endTime", False),
    ]
    assert parse_sort(None, WORKFLOW_FIELDS) == []
    assert parse_sort("", WORKFLOW_FIELDS) == []
    assert parse_sort("|", WORKFLOW_FIELDS) == []


@pytest.mark.parametrize(
    ("sort", "explanation"),
    [("nope:ASC", "Unknown sort field 'nope'"), ("status:UP", "must be ASC or DESC")],
)
def test_parse_sort_rejects_what_it_cannot_sort_by(sort: str, explanation: str) -> None:
    with pytest.raises(BadRequest, match=explanation):
        parse_sort(sort, WORKFLOW_FIELDS)


# ----------------------------------------------------------------------------------- matches

ROWS: dict[str, dict[str, Any]] = {
    "running": {
        "workflowId": "wf-1",
        "workflowType": "OrderFlow",
        "status": "RUNNING",
        "correlationId": "x",
        "startTime": 1_700_000_000_000,
        "endTime": None,
        "version": 9,
    },
    "done": {
        "workflowId": "wf-2",
        "workflowType": "orderflow",
        "status": "COMPLETED",
        "correlationId": "y",
        "startTime": 1_600_000_000_000,
        "endTime": 1_600_000_000_500,
        "version": 10,
    },
    "bare": {"workflowId": "WF-3", "workflowType": "Ship_50%", "status": "FAILED"},
}


def matching(query: str) -> set[str]:
    parsed = parse(query)
    return {name for name, row in ROWS.items() if matches(parsed, row)}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("workflowType IN (OrderFlow, Ship_50%)", {"running", "bare"}),
        ('workflowId="wf-2"', {"done"}),
        ("workflowType='orderflow' AND status='COMPLETED'", {"done"}),
        ("workflowType='OrderFlow' AND status='COMPLETED'", set()),
        ('status IN (RUNNING) AND correlationId = "x"', {"running"}),
        ("startTime > 1700000000000", set()),
        ("startTime >= 1700000000000", {"running"}),
        ("startTime < 1700000000000", {"done"}),
        ("startTime BETWEEN 1600000000000 AND 1700000000000", {"running", "done"}),
        ("version > 9", {"done"}),  # numeric, not "10" < "9"
        ("version BETWEEN 9 AND 9", {"running"}),
        ("status != RUNNING", {"done", "bare"}),
        ("correlationId != x", {"done"}),  # a missing value satisfies only IS null
        ("endTime IS null", {"running", "bare"}),
        ("endTime IS not null", {"done"}),
        ("workflowType = order*", {"running", "done"}),
        ("workflowType = *FLOW", {"running", "done"}),
        ("workflowType != order*", {"bare"}),
        ("workflowType = Ship_50*", {"bare"}),
        ("workflowType = Ship?50*", set()),
        ("workflowType = *%", {"bare"}),
        ("workflowType = *", {"running", "done", "bare"}),
        ("workflowId STARTS_WITH wf", {"running", "done"}),
        ("workflowId STARTS_WITH WF", {"bare"}),
        ("workflowId > wf-1", {"done"}),
        ("status = RUNNING OR status = FAILED AND workflowId = wf-1", {"running"}),
        ("(status = RUNNING OR status = FAILED) AND workflowId = WF-3", {"bare"}),
    ],
)
def test_matches_selects_the_right_rows(query: str, names: set[str]) -> None:
    assert matching(query) == names


def test_matches_reads_integers_and_enums_from_the_row() -> None:
    row = {"startTime": "1700000000000", "version": 2.0, "status": WorkflowStatus.RUNNING}
    assert matches(parse("startTime = 1700000000000 AND version = 2 AND status = RUNNING"), row)
    assert not matches(parse("startTime > 0"), {"startTime": "not a number"})


def test_wildcards_fold_ascii_case_only() -> None:
    # SQLite's LIKE folds ASCII only; the in-memory matcher must agree with it.
    assert matches(parse("correlationId = *e*"), {"correlationId": "ÉTÉ E"})
    assert not matches(parse("correlationId = *é*"), {"correlationId": "ÉTÉ"})
    assert fold_case("ÀBc") == "Àbc"


conditions = st.sampled_from(
    [
        "status = RUNNING",
        "status = FAILED",
        "workflowType = order*",
        "version > 9",
        "endTime IS null",
    ]
)


@given(conditions, conditions, conditions, st.sampled_from(list(ROWS.values())))
def test_precedence_matches_boolean_logic(a: str, b: str, c: str, row: dict[str, Any]) -> None:
    def hit(condition: str) -> bool:
        return matches(parse(condition), row)

    assert matches(parse(f"{a} OR {b} AND {c}"), row) == (hit(a) or (hit(b) and hit(c)))
    assert matches(parse(f"{a} AND {b} OR {c}"), row) == ((hit(a) and hit(b)) or hit(c))
    assert matches(parse(f"{a} AND ({b} OR {c})"), row) == (hit(a) and (hit(b) or hit(c)))


# --------------------------------------------------------------------------------- free text


@pytest.mark.parametrize(
    ("free_text", "expected"),
    [
        (None, True),
        ("", True),
        ("*", True),
        ("  *  ", True),
        ("order-123", True),
        ("ORDER-123", True),
        ("*order-123*", True),
        ("order-124", False),
        ('"workflowType":"flow"', True),
        ("é", False),  # ASCII case folding only, as SQLite's LOWER()
    ],
)
def test_free_text_matches(free_text: str | None, expected: bool) -> None:
    assert free_text_matches(free_text, '{"workflowType":"Flow","input":"Order-123 É"}') is expected
