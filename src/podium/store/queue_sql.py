"""Queue SQL that SQLite and PostgreSQL share (written with `%s`; SQLite swaps in `?`)."""

from __future__ import annotations

from typing import LiteralString

__all__ = ["NEXT_VISIBLE_AT"]

# The earliest `visible_at` of a queue, at the same cost with ten or a million entries. The
# queue index is (queue_name, priority DESC, visible_at), so a plain min(visible_at) reads every
# entry of the queue; instead walk the few distinct priorities (a loose index scan: two index
# probes per priority) and take the first entry of each.
NEXT_VISIBLE_AT: LiteralString = (
    "WITH RECURSIVE p(priority) AS ("
    " SELECT max(priority) FROM queue WHERE queue_name=%s"
    " UNION ALL SELECT (SELECT max(q.priority) FROM queue q"
    " WHERE q.queue_name=%s AND q.priority < p.priority)"
    " FROM p WHERE p.priority IS NOT NULL)"
    " SELECT min((SELECT min(q.visible_at) FROM queue q"
    " WHERE q.queue_name=%s AND q.priority=p.priority))"
    " FROM p WHERE p.priority IS NOT NULL"
)
