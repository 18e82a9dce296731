"""In-memory adapters: real implementations with transactional semantics, for tests, the
property harness and the CLI's memory mode."""

from adapters.memory.store import InMemoryStore
from adapters.memory.unit_of_work import InMemoryUnitOfWork

__all__ = ["InMemoryStore", "InMemoryUnitOfWork"]
