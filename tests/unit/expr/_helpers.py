"""Shared test helpers: a lazy expression document and a JSON value strategy."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
"""Any JSON value (NaN excluded: it never equals itself)."""


class NeedsLoadingError(Exception):
    """What a lazy document raises to ask its caller to load a task first."""


class IterationForbiddenError(Exception):
    """Raised when code iterates a document it should only ``get`` from."""


class LazyDoc(Mapping[str, Any]):
    """Records every key read; refuses iteration; raises for the keys in ``unloaded``."""

    def __init__(self, data: dict[str, Any], *, unloaded: frozenset[str] = frozenset()) -> None:
        self.data = data
        self.unloaded = unloaded
        self.reads: list[str] = []

    def __getitem__(self, key: str) -> Any:
        self.reads.append(key)
        if key in self.unloaded:
            raise NeedsLoadingError(key)
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        raise IterationForbiddenError

    def __len__(self) -> int:
        raise IterationForbiddenError
