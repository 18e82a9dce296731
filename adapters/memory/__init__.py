"""In-memory adapters: real implementations with transactional semantics, for tests, the
property harness and the CLI's memory mode.
"""

from adapters.memory.store import InMemoryStore
from adapters.memory.unit_of_work import InMemoryUnitOfWork


async def always_ready() -> bool:
    """The in-memory store is always reachable."""
    return True


__all__ = ["InMemoryStore", "InMemoryUnitOfWork", "always_ready"]
