"""Conductor's ``${...}`` expression language: parameter resolution and JSONPath reads.

Pure code: no I/O, no clock. See ``params`` (resolution) and ``jsonpath`` (reads).
"""

from __future__ import annotations

from podium.expr.jsonpath import read_path
from podium.expr.params import java_str, referenced_roots, resolve_params, resolve_value

__all__ = ["java_str", "read_path", "referenced_roots", "resolve_params", "resolve_value"]
