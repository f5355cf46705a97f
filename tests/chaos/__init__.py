"""Fault-injection tests: a real server killed and restarted under load."""
