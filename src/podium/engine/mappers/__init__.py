"""Task-type mappers: the behaviour of each Conductor task type inside the decider."""

from __future__ import annotations

from podium.engine.mappers.base import Mapper, Run
from podium.engine.mappers.control import (
    DecisionMapper,
    NoopMapper,
    SetVariableMapper,
    SwitchMapper,
    TerminateMapper,
    UnsupportedTask,
)
from podium.engine.mappers.dynamic import DynamicMapper
from podium.engine.mappers.external import ExternalMapper, SubWorkflowMapper
from podium.engine.mappers.fork import (
    DynamicForkMapper,
    ExclusiveJoinMapper,
    ForkMapper,
    JoinMapper,
)
from podium.engine.mappers.loop import LoopMapper
from podium.engine.mappers.scripts import InlineMapper, JqMapper, LambdaMapper
from podium.engine.mappers.waiting import HumanMapper, WaitMapper
from podium.engine.mappers.worker import WorkerMapper
from podium.engine.plan import Node

__all__ = ["LoopMapper", "Mapper", "Run", "UnsupportedTask", "mapper_of"]

_WORKER = WorkerMapper()
_EXTERNAL = ExternalMapper()

MAPPERS: dict[str, Mapper] = {
    "SWITCH": SwitchMapper(),
    "DECISION": DecisionMapper(),
    "NOOP": NoopMapper(),
    "SET_VARIABLE": SetVariableMapper(),
    "TERMINATE": TerminateMapper(),
    "FORK_JOIN": ForkMapper(),
    "FORK_JOIN_DYNAMIC": DynamicForkMapper(),
    "JOIN": JoinMapper(),
    "EXCLUSIVE_JOIN": ExclusiveJoinMapper(),
    "DO_WHILE": LoopMapper(),
    "INLINE": InlineMapper(),
    "LAMBDA": LambdaMapper(),
    "JSON_JQ_TRANSFORM": JqMapper(),
    "WAIT": WaitMapper(),
    "HUMAN": HumanMapper(),
    "DYNAMIC": DynamicMapper(),
    "HTTP": _EXTERNAL,
    "SUB_WORKFLOW": SubWorkflowMapper(),
    "START_WORKFLOW": _EXTERNAL,
    "EVENT": _EXTERNAL,
    "KAFKA_PUBLISH": _EXTERNAL,
}


def mapper_of(node: Node) -> Mapper:
    """The mapper of a definition task: by type; anything unknown is a worker task."""
    return MAPPERS.get(node.wt.type or "SIMPLE", _WORKER)
