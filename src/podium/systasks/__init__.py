"""System tasks that do I/O (HTTP, ...), run by the system-task runner outside the decider.

Each module turns a task's resolved input into an outcome the runner reports back like a worker
would; none of them touches the store or the decider.
"""
