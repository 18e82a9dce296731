"""The cached process id: the kernel's, here and in a forked child."""

import os

from entrypoints.process_id import process_id


def test_it_is_this_processs_id() -> None:
    assert process_id() == os.getpid()


def test_a_forked_child_gets_its_own_id() -> None:
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.close(reader)
        os.write(writer, f"{process_id()} {os.getpid()}".encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as answer:
        seen, actual = map(int, answer.read().split())
    os.waitpid(child, 0)
    assert seen == actual == child
    assert process_id() == os.getpid() != child
