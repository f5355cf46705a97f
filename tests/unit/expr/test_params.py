from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.expr import java_str, referenced_roots, resolve_params, resolve_value

from ._helpers import LazyDoc, NeedsLoadingError, json_values

DOC: dict[str, Any] = {
    "workflow": {
        "input": {
            "n": 7,
            "f": 1.0,
            "big": 1e10,
            "flag": True,
            "none": None,
            "map": {"a": 1, "b": [1, 2]},
            "list": [1, "a", None],
            "key": "n",
            "idx": 1,
            "ref": "t1",
        },
        "workflowId": "wf-1",
    },
    "t1": {"output": {"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], "k": "key"}},
}
ENV = {
    "CONDUCTOR_ENV_REGION": "eu",
    "CONDUCTOR_ENV_CFG": '{"obj": {"a": 1}, "list": [1, 2], "url": "http://x"}',
    "CONDUCTOR_ENV_BROKEN": "{not json",
    "MY_VAR": "mine",
}


def resolve(value: Any, *, task_id: str | None = None) -> Any:
    return resolve_value(value, DOC, task_id=task_id, env=ENV)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("n", 7),
        ("f", 1.0),
        ("flag", True),
        ("none", None),
        ("map", {"a": 1, "b": [1, 2]}),
        ("list", [1, "a", None]),
        ("key", "n"),
        ("missing", None),
    ],
)
def test_a_lone_expression_keeps_the_value_type(name: str, expected: Any) -> None:
    result = resolve(f"${{workflow.input.{name}}}")
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("n", "7"),
        ("f", "1.0"),
        ("big", "1.0E10"),
        ("flag", "true"),
        ("none", "null"),
        ("missing", "null"),
        ("map", "{a=1, b=[1, 2]}"),
        ("list", "[1, a, null]"),
    ],
)
def test_embedded_expressions_print_like_java(name: str, printed: str) -> None:
    assert resolve(f"<${{workflow.input.{name}}}>") == f"<{printed}>"


def test_several_expressions_in_one_string() -> None:
    assert resolve("${workflow.workflowId}:${workflow.input.n}:${t1.output.k}") == "wf-1:7:key"


def test_indefinite_results_print_as_json() -> None:
    assert resolve("${t1.output.items[*].id}") == [1, 2]
    assert resolve("ids ${t1.output.items[*].id}") == "ids [1,2]"
    assert resolve("names ${t1.output.items[*].name}") == 'names ["a","b"]'
    assert resolve("${t1.output.items[?(@.id == 2)]}") == [{"id": 2, "name": "b"}]
    assert resolve("x ${t1.output.items[?(@.id == 2)]}") == 'x [{"id":2,"name":"b"}]'


def test_nested_expressions_resolve_inner_first_as_strings() -> None:
    assert resolve("${workflow.input.${workflow.input.key}}") == 7
    assert resolve("${t1.output.items[${workflow.input.idx}].name}") == "b"
    assert resolve("${${workflow.input.ref}.output.k}") == "key"
    assert resolve("x ${workflow.input.${t1.output.missing}}") == "x null"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${}", ""),
        ("${   }", ""),
        ("a${}b${ }c", "abc"),
    ],
)
def test_blank_expressions_become_empty_strings(text: str, expected: str) -> None:
    assert resolve(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$${workflow.input.n}", "${workflow.input.n}"),
        ("$${a} = ${workflow.input.n}", "${a} = 7"),
        ("cost: $$5 and $5", "cost: $$5 and $5"),
        ("$${workflow.input.${workflow.input.key}}", "${workflow.input.n}"),
        ("${workflow.input.n", "${workflow.input.n"),
        ("{no dollar}", "{no dollar}"),
    ],
)
def test_escapes_and_unclosed_expressions_stay_literal(text: str, expected: str) -> None:
    assert resolve(text) == expected


def test_task_id() -> None:
    assert resolve("${CPEWF_TASK_ID}", task_id="task-9") == "task-9"
    assert resolve("id=${CPEWF_TASK_ID}", task_id="task-9") == "id=task-9"
    # Conductor leaves a system parameter without a value untouched.
    assert resolve("${CPEWF_TASK_ID}") == "${CPEWF_TASK_ID}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${workflow.env.REGION}", "eu"),
        ("${workflow.env.MISSING}", None),
        ("${workflow.env.CFG.obj.a}", 1),
        ("${workflow.env.CFG.list[*]}", [1, 2]),
        ("${workflow.env.CFG.obj}", {"a": 1}),
        ("${workflow.env.CFG.nope}", None),
        ("${workflow.env.BROKEN.a}", None),
        ("c=${workflow.env.CFG.obj}", 'c={"a":1}'),
        ("u=${workflow.env.CFG.url}", "u=http://x"),
        ("${MY_VAR}", "mine"),
        ("v-${MY_VAR}", "v-mine"),
        ("${NETFLIX_ENV}", "${NETFLIX_ENV}"),
    ],
)
def test_environment(text: str, expected: Any) -> None:
    assert resolve(text) == expected


def test_env_defaults_to_empty_and_os_environ_is_never_read() -> None:
    assert resolve_value("${PATH}", DOC) is None
    assert resolve_value("${workflow.env.REGION}", DOC) is None
    assert resolve_value("${PATH}", DOC, env={"PATH": "/bin"}) == "/bin"
    # Names with dots are paths, never environment variables.
    assert resolve_value("${workflow.input.n}", DOC, env={"workflow.input.n": "x"}) == 7


@pytest.mark.parametrize(
    "text",
    [
        "${workflow.secrets.API_KEY}",
        "Bearer ${workflow.secrets.API_KEY}",
        "${workflow.secrets.CREDS.user}",
        "${workflow.secrets.${workflow.input.key}}",
    ],
)
def test_secrets_are_left_for_hand_off(text: str) -> None:
    assert resolve(text) == text


def test_resolve_params_walks_maps_and_lists_without_mutating() -> None:
    params: dict[str, Any] = {
        "plain": "text",
        "num": 3,
        "nothing": None,
        "flag": False,
        "map": {"inner": "${workflow.input.n}", "deep": [{"x": "${t1.output.k}"}]},
        "list": ["${workflow.input.flag}", 2, ["${workflow.input.none}"]],
    }
    original = copy.deepcopy(params)
    resolved = resolve_params(params, DOC)
    assert resolved == {
        "plain": "text",
        "num": 3,
        "nothing": None,
        "flag": False,
        "map": {"inner": 7, "deep": [{"x": "key"}]},
        "list": [True, 2, [None]],
    }
    assert params == original
    assert resolved["map"] is not params["map"]


def test_resolve_params_reads_a_lazy_document_by_root_only() -> None:
    doc = LazyDoc(DOC)
    resolved = resolve_params(
        {"a": "${workflow.input.n}", "b": "${t1.output.items[*].id}", "c": "${t9.output}"}, doc
    )
    assert resolved == {"a": 7, "b": [1, 2], "c": None}
    assert sorted(doc.reads) == ["t1", "t9", "workflow"]


def test_errors_raised_by_the_document_propagate() -> None:
    doc = LazyDoc(DOC, unloaded=frozenset({"t2"}))
    with pytest.raises(NeedsLoadingError):
        resolve_params({"a": "x ${t2.output.x}"}, doc)
    with pytest.raises(NeedsLoadingError):
        resolve_value("${workflow.input.${t2.output.k}}", doc)


def test_referenced_roots() -> None:
    value = {
        "a": "${t1.output.x}",
        "b": "x ${workflow.input.y}",
        "c": ["${t2.output.${t3.output.k}}", {"d": "${t4['output']}"}],
        "e": 5,
        "f": "${t5.output[?(@.id == $.t6.output.id)]}",
    }
    assert referenced_roots(value) == {"t1", "workflow", "t2", "t3", "t4", "t5", "t6"}


@pytest.mark.parametrize(
    ("value", "roots"),
    [
        ("${${workflow.input.ref}.output}", {"*", "workflow"}),
        ("${$..x}", {"*"}),
        ("${$.*}", {"*"}),
        ("${$.t1.output}", {"t1"}),
        ("${}", set()),
        ("$${t1.output}", set()),
        ("${workflow.secrets.KEY} ${workflow.env.X}", set()),
        ("${CPEWF_TASK_ID}", set()),
        ("${not valid path}", set()),
        ("plain", set()),
        ([1, None, True], set()),
    ],
)
def test_referenced_roots_edge_cases(value: Any, roots: set[str]) -> None:
    assert referenced_roots(value) == roots


@given(st.text().filter(lambda text: "${" not in text))
def test_strings_without_expressions_are_unchanged(text: str) -> None:
    assert resolve_value(text, LazyDoc({})) == text
    assert resolve_params({"k": text}, LazyDoc({})) == {"k": text}
    assert referenced_roots(text) == set()


@given(json_values)
def test_lone_expressions_preserve_values_and_embedding_prints_them(value: Any) -> None:
    doc = {"workflow": {"input": {"v": value}}}
    assert resolve_value("${workflow.input.v}", doc) == value
    assert resolve_value("v=${workflow.input.v}", doc) == "v=" + java_str(value).replace(
        "$${", "${"
    )


@given(json_values)
def test_resolution_never_mutates_its_input(params: Any) -> None:
    snapshot = copy.deepcopy(params)
    resolve_value(params, DOC)
    assert params == snapshot
