"""Metadata definitions: task definitions and workflow definitions, in Conductor's JSON shapes.

Attribute names are Conductor's JSON property names (camelCase), so a request body parses with
`WorkflowDef.model_validate(body)` and `to_json()` gives the API shape back. As Jackson does in
Conductor (`ObjectMapperProvider`): unknown properties are ignored, a JSON null for a property with
a default yields the default, nulls are omitted on output and empty maps and lists are kept.

Structural parsing lives here; Conductor's semantic checks (required names, type-specific task
rules, ...) live in `podium.model.validation`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)

__all__ = [
    "ConductorModel",
    "IdempotencyStrategy",
    "RateLimitConfig",
    "RateLimitPolicy",
    "RetryLogic",
    "SubWorkflowParams",
    "TagObject",
    "TaskDef",
    "TimeoutPolicy",
    "WorkflowDef",
    "WorkflowTask",
]

JSON = dict[str, Any]


class TimeoutPolicy(StrEnum):
    """What happens when a task or workflow times out (workflows allow only the last two)."""

    RETRY = "RETRY"
    TIME_OUT_WF = "TIME_OUT_WF"
    ALERT_ONLY = "ALERT_ONLY"


class RetryLogic(StrEnum):
    """How the delay before a task retry is computed (`TaskDef.retryLogic`)."""

    FIXED = "FIXED"
    EXPONENTIAL_BACKOFF = "EXPONENTIAL_BACKOFF"
    LINEAR_BACKOFF = "LINEAR_BACKOFF"


class IdempotencyStrategy(StrEnum):
    """What a start with an already used idempotency key does."""

    FAIL = "FAIL"
    RETURN_EXISTING = "RETURN_EXISTING"
    FAIL_ON_RUNNING = "FAIL_ON_RUNNING"


class RateLimitPolicy(StrEnum):
    """What a workflow rate limit does with an execution over the limit (not enforced by OSS)."""

    QUEUE = "QUEUE"
    REJECT = "REJECT"


class ConductorModel(BaseModel):
    """Base of the Conductor wire models: lenient input like Jackson, Conductor's JSON as output."""

    model_config = ConfigDict(extra="ignore", validate_assignment=False)

    @model_validator(mode="before")
    @classmethod
    def _nulls_mean_defaults(cls, data: Any) -> Any:
        # Jackson ignores nulls sent for primitives; for every defaulted field we do the same.
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {
            key: value
            for key, value in data.items()
            if value is not None or (key in fields and fields[key].is_required())
        }

    def to_json(self) -> JSON:
        """Conductor's JSON for this object: nulls omitted, empty maps and lists kept."""
        return self.model_dump(mode="json", exclude_none=True)


class RateLimitConfig(ConductorModel):
    """Workflow-level rate limit (`WorkflowDef.rateLimitConfig`); stored, not enforced by OSS."""

    rateLimitKey: str | None = None
    concurrentExecLimit: int = 0
    policy: RateLimitPolicy = RateLimitPolicy.QUEUE


class TagObject(ConductorModel):
    """A tag on a definition (Orkes `TagObject`); a TAG grant names it as `key:value`."""

    key: str = ""
    value: str = ""


class _Auditable(ConductorModel):
    """Conductor `Auditable`: who created or changed a definition, and when (epoch ms)."""

    ownerApp: str | None = None
    createTime: int | None = None
    updateTime: int | None = None
    createdBy: str | None = None
    updatedBy: str | None = None


class TaskDef(_Auditable):
    """A registered task definition (Conductor `TaskDef`, spec §2.1)."""

    name: str = ""
    description: str | None = None
    retryCount: int = 3
    timeoutSeconds: int = 0
    totalTimeoutSeconds: int = 0
    inputKeys: list[str] = []
    outputKeys: list[str] = []
    timeoutPolicy: TimeoutPolicy = TimeoutPolicy.TIME_OUT_WF
    retryLogic: RetryLogic = RetryLogic.FIXED
    retryDelaySeconds: int = 60
    backoffScaleFactor: int = 1
    maxRetryDelaySeconds: int = 0
    backoffJitterMs: int = 0
    tags: list[TagObject] | None = None
    responseTimeoutSeconds: int = 3600
    pollTimeoutSeconds: int | None = None
    concurrentExecLimit: int | None = None
    # Conductor stores null but its getters answer 0 and 1, so the JSON always carries these values.
    rateLimitPerFrequency: int = 0
    rateLimitFrequencyInSeconds: int = 1
    inputTemplate: JSON = {}
    isolationGroupId: str | None = None
    executionNameSpace: str | None = None
    ownerEmail: str | None = None
    baseType: str | None = None
    taskStatusListenerEnabled: bool = True
    inputSchema: JSON | None = None
    outputSchema: JSON | None = None
    enforceSchema: bool = False
    runtimeMetadata: list[str] = []


def _check_definition_expression(value: str) -> str:
    if not (value.startswith("${") and value.endswith("}")):
        raise ValueError("workflowDefinition is a string, but not a valid DSL string")
    return value


def _definition_or_expression(value: Any) -> str:
    return "expression" if isinstance(value, str) else "definition"


# Tagged so that an error inside an inline definition is reported once, not once per union member.
_InlineDefinition = Annotated[
    Annotated["WorkflowDef", Tag("definition")]
    | Annotated[str, AfterValidator(_check_definition_expression), Tag("expression")],
    Discriminator(_definition_or_expression),
]


class SubWorkflowParams(ConductorModel):
    """Which workflow a SUB_WORKFLOW task starts (Conductor `SubWorkflowParams`, spec §2.3).

    `workflowDefinition` is an inline definition, or a `"${...}"` expression resolved at run time.
    An inline definition is a separate workflow: `WorkflowDef.all_tasks()` does not descend into it.
    """

    name: str | None = None
    version: int | None = None
    taskToDomain: dict[str, str] | None = None
    workflowDefinition: _InlineDefinition | None = None
    idempotencyKey: str | None = None
    idempotencyStrategy: IdempotencyStrategy | None = None
    priority: Any = None


# WorkflowTask lists that Conductor annotates @JsonInclude(NON_EMPTY): omitted from JSON when empty.
_OMITTED_WHEN_EMPTY = (
    "decisionCases",
    "defaultCase",
    "forkTasks",
    "joinOn",
    "defaultExclusiveJoinTask",
    "loopOver",
)


class WorkflowTask(ConductorModel):
    """One step of a workflow definition (Conductor `WorkflowTask`, spec §2.3).

    `type` stays a free string: an unknown type is a user-defined task type, not an error.
    """

    name: str = ""
    taskReferenceName: str = ""
    description: str | None = None
    type: str = "SIMPLE"
    inputParameters: JSON = {}
    optional: bool = False
    permissive: bool = False
    asyncComplete: bool = False
    startDelay: int = 0
    retryCount: int | None = None
    taskDefinition: TaskDef | None = None
    rateLimited: bool | None = None
    dynamicTaskNameParam: str | None = None
    caseValueParam: str | None = None
    caseExpression: str | None = None
    scriptExpression: str | None = None
    evaluatorType: str | None = None
    expression: str | None = None
    decisionCases: dict[str, list[WorkflowTask]] = {}
    defaultCase: list[WorkflowTask] = []
    forkTasks: list[list[WorkflowTask]] = []
    joinOn: list[str] = []
    joinMode: str | None = None
    joinStatus: str | None = None
    defaultExclusiveJoinTask: list[str] = []
    dynamicForkTasksParam: str | None = None
    dynamicForkTasksInputParamName: str | None = None
    dynamicForkJoinTasksParam: str | None = None
    loopCondition: str | None = None
    loopOver: list[WorkflowTask] = []
    items: Any = None
    subWorkflowParam: SubWorkflowParams | None = None
    sink: str | None = None
    onStateChange: JSON = {}
    cacheConfig: JSON | None = None
    metadata: JSON = {}

    @field_validator("type", mode="before")
    @classmethod
    def _blank_type_is_simple(cls, value: Any) -> Any:
        # The SDKs omit `type` for a plain WorkflowTask; Conductor defaults it to SIMPLE.
        return "SIMPLE" if value == "" else value

    @model_serializer(mode="wrap")
    def _omit_empty_lists(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> JSON:
        data: JSON = handler(self)
        if info.mode_is_json():
            for key in _OMITTED_WHEN_EMPTY:
                if key in data and not data[key]:
                    del data[key]
        return data

    def child_lists(self) -> Iterator[list[WorkflowTask]]:
        """The nested task lists, in Conductor's order: cases, default case, fork branches, loop."""
        yield from self.decisionCases.values()
        yield self.defaultCase
        yield from self.forkTasks
        yield self.loopOver

    def walk(self) -> Iterator[WorkflowTask]:
        """This task, then every task nested in it, depth first."""
        yield self
        for tasks in self.child_lists():
            for task in tasks:
                yield from task.walk()


class WorkflowDef(_Auditable):
    """A workflow definition (Conductor `WorkflowDef`, spec §2.2). Its key is `name.version`."""

    name: str = ""
    description: str | None = None
    version: int = 1
    tasks: list[WorkflowTask] = []
    inputParameters: list[str] = []
    outputParameters: JSON = {}
    inputTemplate: JSON = {}
    failureWorkflow: str | None = None
    failureWorkflowVersion: int | None = None
    schemaVersion: int = 2
    restartable: bool = True
    workflowStatusListenerEnabled: bool = False
    workflowStatusListenerSink: str | None = None
    ownerEmail: str | None = None
    timeoutPolicy: TimeoutPolicy = TimeoutPolicy.ALERT_ONLY
    timeoutSeconds: int = 0
    variables: JSON = {}
    rateLimitConfig: RateLimitConfig | None = None
    inputSchema: JSON | None = None
    outputSchema: JSON | None = None
    enforceSchema: bool = True
    metadata: JSON = {}
    cacheConfig: JSON | None = None
    maskedFields: list[str] = []
    tags: list[TagObject] | None = None

    @field_validator("failureWorkflow", mode="before")
    @classmethod
    def _blank_failure_workflow_is_none(cls, value: Any) -> Any:
        # The Python SDK always sends failureWorkflow, as "" when there is none.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("inputParameters", mode="before")
    @classmethod
    def _input_parameter_names(cls, value: Any) -> Any:
        # Documentation only; take the keys of a map and the text of scalars rather than reject.
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, list):
            return [json.dumps(v) if isinstance(v, int | float) else v for v in value]
        return value

    @field_validator("timeoutPolicy")
    @classmethod
    def _workflow_timeout_policy(cls, value: TimeoutPolicy) -> TimeoutPolicy:
        if value is TimeoutPolicy.RETRY:
            raise ValueError(
                "timeoutPolicy: RETRY is not allowed for a workflow, use TIME_OUT_WF or ALERT_ONLY"
            )
        return value

    @property
    def key(self) -> str:
        """The definition's unique key, `name.version`."""
        return f"{self.name}.{self.version}"

    def all_tasks(self) -> Iterator[WorkflowTask]:
        """Every task of this definition, nested ones included, depth first in definition order."""
        for task in self.tasks:
            yield from task.walk()

    def task_by_ref(self, ref: str) -> WorkflowTask | None:
        """The task with this taskReferenceName, searched at every nesting level."""
        return next((t for t in self.all_tasks() if t.taskReferenceName == ref), None)


SubWorkflowParams.model_rebuild()
WorkflowTask.model_rebuild()
WorkflowDef.model_rebuild()
