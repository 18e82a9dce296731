"""The machine's own tools (nginx, PgBouncer) that some system tests need."""

import os

import pytest


def required_tool(binary: str | None, package: str, purpose: str) -> str:
    """The path of a tool a test needs from Debian's `package`: skipped when it is missing,
    except under CI=true, where `.ci/run` installs it and its absence is a failure."""
    if binary is None:
        reason = f"{package} is not installed (Debian: apt-get install --no-install-recommends "
        reason += f"{package})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the {purpose}", pytrace=False)
        pytest.skip(reason)
    return binary
