"""Code run inline: INLINE and LAMBDA (sandboxed JavaScript), JSON_JQ_TRANSFORM (jq)."""

from __future__ import annotations

from podium.engine.mappers.base import Mapper, Run
from podium.engine.mappers.control import fail, succeed
from podium.engine.plan import Node
from podium.model.executions import Task

__all__ = ["InlineMapper", "JqMapper", "LambdaMapper"]


class InlineMapper(Mapper):
    """`expression` evaluated with `$` = the task input; `{result}` is the output."""

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        data = task.inputData
        evaluator = str(data.get("evaluatorType") or "javascript").lower()
        expression = data.get("expression")
        if not isinstance(expression, str) or not expression:
            fail(run, task, "INLINE needs an expression", terminal=True)
            return
        if evaluator == "value-param":
            succeed(run, task, {"result": data.get(expression)})
            return
        if evaluator not in ("javascript", "graaljs"):
            fail(run, task, f"Unsupported evaluatorType: {evaluator}", terminal=True)
            return
        from podium.expr.javascript import ScriptError, evaluate

        try:
            result = evaluate(expression, data)
        except ScriptError as exc:
            task.outputData = {"error": exc.message}
            fail(run, task, exc.message, terminal=True)
            return
        succeed(run, task, {"result": result})


class LambdaMapper(Mapper):
    """Legacy LAMBDA: `scriptExpression` is a function body that `return`s the result."""

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        script = task.inputData.get("scriptExpression") or node.wt.scriptExpression
        if not isinstance(script, str) or not script:
            fail(run, task, "LAMBDA needs a scriptExpression")
            return
        from podium.expr.javascript import ScriptError, evaluate_lambda

        try:
            result = evaluate_lambda(script, task.inputData)
        except ScriptError as exc:
            fail(run, task, exc.message)
            return
        succeed(run, task, {"result": result})


class JqMapper(Mapper):
    """`queryExpression` applied to the whole input: `{result, resultList}`."""

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        query = task.inputData.get("queryExpression")
        if not isinstance(query, str) or not query:
            fail(run, task, "JSON_JQ_TRANSFORM needs a queryExpression")
            return
        from podium.expr.jq import JqError, transform

        try:
            results = transform(query, task.inputData)
        except JqError as exc:
            task.outputData = {"error": exc.message}
            fail(run, task, exc.message)
            return
        succeed(run, task, {"result": results[0] if results else None, "resultList": results})
