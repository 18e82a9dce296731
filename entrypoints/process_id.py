"""The id of the running process without a system call each time it is asked: read at import, and
again in a child after a fork. A request asks about ten times (its log line, each multiprocess
metric update), and os.getpid() enters the kernel on every call.
"""

import os


class _ProcessId:
    current = os.getpid()

    @classmethod
    def forked(cls) -> None:
        cls.current = os.getpid()


os.register_at_fork(after_in_child=_ProcessId.forked)


def process_id() -> int:
    """os.getpid(), as it was when this process started or last forked (the same value)."""
    return _ProcessId.current
