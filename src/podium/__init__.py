"""Podium: a durable workflow orchestration server that speaks the Conductor REST API."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
