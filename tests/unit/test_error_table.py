"""The one error table: every domain error an operation can raise has its row, every row an
example for the document, and the README's table says what the table says.
"""

import re
from pathlib import Path

import pytest

from domain import errors
from domain.errors import DomainError, Field, InvalidInput, PublicKeyTaken, StoreUnavailable
from entrypoints.cli_keys import cli_name
from entrypoints.errors import DOMAIN_PROBLEMS, detail_of, problem_type_of
from entrypoints.http.examples import ERROR_EXAMPLES
from entrypoints.http.problems import FRAMEWORK_PROBLEMS, INTERNAL_ERROR, http_detail

INTERNAL = {DomainError, errors.NetworkRefusal, PublicKeyTaken}
"""Errors deliberately answered as internal errors: the base classes (each refusal by the network
has its own row), and a broken generator."""
ROUTE_WORDED = {errors.InvalidInput, errors.UserConflict}
"""Errors whose examples each route words itself."""

README = (Path(__file__).parents[2] / "README.md").read_text()
_ROW = re.compile(r"^\| `([a-z-]+)` \| (\d{3}) \| (.*?) \|\s*(\d?)\s*\|$", re.MULTILINE)


def _domain_errors() -> set[type[DomainError]]:
    return {
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, DomainError)
    }


def test_every_domain_error_has_a_row_unless_it_is_internal_on_purpose() -> None:
    assert _domain_errors() - INTERNAL == set(DOMAIN_PROBLEMS)


def test_every_row_has_an_example_for_the_document() -> None:
    assert set(DOMAIN_PROBLEMS) - ROUTE_WORDED == set(ERROR_EXAMPLES)
    for kind, error in ERROR_EXAMPLES.items():
        assert type(error) is kind


def test_a_subclass_takes_its_own_row_before_its_base_class() -> None:
    replay = problem_type_of(errors.WalletExistsUnderAnotherKey("u"))
    refused = problem_type_of(errors.WalletKeyMismatch("u"))
    assert replay is not None
    assert refused is not None
    assert (replay.status, refused.status) == (409, 403)
    assert problem_type_of(PublicKeyTaken()) is None


@pytest.mark.parametrize("field", list(Field))
def test_each_edge_names_a_field_in_its_own_words(field: Field) -> None:
    refused = InvalidInput(field, "is wrong")
    http_name = http_detail(refused).removesuffix(": is wrong")
    assert "_" not in http_name
    # a body field in camelCase; a header by its own name
    assert http_name[0].islower() or http_name == "Idempotency-Key"
    assert detail_of(refused, cli_name) == f"{cli_name(field)}: is wrong"
    assert cli_name(field).startswith(("--", "WALLET_", "the "))  # the shares: read, not given


def test_a_fixed_detail_replaces_the_message() -> None:
    tampered = errors.EnvelopeTampered("tag mismatch at byte 12")
    assert "byte 12" not in http_detail(tampered)
    assert http_detail(StoreUnavailable("OSError")) == "the database is unavailable; retry later"


def test_the_readme_lists_every_problem_type_with_its_status_and_exit_code() -> None:
    documented = {
        (slug, int(status), exit_code) for slug, status, _, exit_code in _ROW.findall(README)
    }
    rows = {(row.slug, row.status.value, str(row.exit_code)) for row in DOMAIN_PROBLEMS.values()}
    framework = {(row.slug, row.status.value, "") for row in FRAMEWORK_PROBLEMS.values()}
    framework.add((INTERNAL_ERROR.slug, INTERNAL_ERROR.status.value, ""))
    framework = {row for row in framework if row[0] not in {slug for slug, _, _ in rows}}
    assert documented == rows | framework
