"""The task definition in force for a task, and Conductor's ad-hoc defaults when there is none."""

from __future__ import annotations

import orjson

from podium.model.definitions import TaskDef, WorkflowTask
from podium.model.executions import Task

__all__ = ["SYSTEM_TYPES", "effective_task_def", "is_worker_type", "task_def_of"]

# Types the server runs itself; every other type is a worker task (SIMPLE or a custom type).
SYSTEM_TYPES = frozenset(
    {
        "DECISION",
        "SWITCH",
        "FORK_JOIN",
        "FORK",
        "FORK_JOIN_DYNAMIC",
        "JOIN",
        "EXCLUSIVE_JOIN",
        "DO_WHILE",
        "SUB_WORKFLOW",
        "START_WORKFLOW",
        "HTTP",
        "INLINE",
        "LAMBDA",
        "WAIT",
        "HUMAN",
        "EVENT",
        "TERMINATE",
        "SET_VARIABLE",
        "JSON_JQ_TRANSFORM",
        "KAFKA_PUBLISH",
        "NOOP",
        "DYNAMIC",
        "USER_DEFINED",
    }
)


def is_worker_type(task_type: str) -> bool:
    """True for tasks that external workers poll for."""
    return task_type not in SYSTEM_TYPES


def effective_task_def(wt: WorkflowTask) -> TaskDef:
    """The def of a task: inline or registered (populated at start), else Conductor's ad-hoc one.

    Worker tasks without a def get retryCount 3, retryDelaySeconds 60 and a 3600 s response
    timeout; system tasks get no retries and no response timeout.
    """
    if wt.taskDefinition is not None:
        return wt.taskDefinition
    if is_worker_type(wt.type or "SIMPLE"):
        return _adhoc(wt.name, retries=3, response_timeout=3600)
    return _adhoc(wt.name, retries=0, response_timeout=0)


def _adhoc(name: str, *, retries: int, response_timeout: int) -> TaskDef:
    return TaskDef.model_construct(
        **{
            **TaskDef(name=name).__dict__,
            "retryCount": retries,
            "responseTimeoutSeconds": response_timeout,
        }
    )


_TD_CACHE: dict[tuple[str, bytes], TaskDef] = {}


def task_def_of(task: Task) -> TaskDef:
    """The def in force for a stored attempt (from its WorkflowTask, else the ad-hoc one)."""
    td_json = task.task_definition
    if td_json is None:
        worker = is_worker_type(task.taskType)
        return _ADHOC_WORKER if worker else _ADHOC_SYSTEM
    key = (task.taskDefName, orjson.dumps(td_json))
    cached = _TD_CACHE.get(key)
    if cached is None:
        if len(_TD_CACHE) > 4096:
            _TD_CACHE.clear()
        cached = _TD_CACHE[key] = TaskDef.model_validate(td_json)
    return cached


_ADHOC_WORKER = _adhoc("adhoc", retries=3, response_timeout=3600)
_ADHOC_SYSTEM = _adhoc("adhoc", retries=0, response_timeout=0)
