"""The rules of domain/accounts.py, on plain values: sequence numbers, amounts, asset codes and
trustlines, a transaction's terms, a sponsored activation, and a change of signers with its
lockout guard (examples, and a property whose expectation is computed here from the inputs).
"""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from stellar_sdk import Keypair, Network

from domain.accounts import (
    Activation,
    SetOptionsStep,
    SignerChange,
    Terms,
    Trustline,
    amount,
    sequence_number,
    trustlines,
)
from domain.authorization import Signer, Signers, Thresholds
from domain.errors import Field, InvalidInput, Lockout

TESTNET = Network.TESTNET_NETWORK_PASSPHRASE
MAX_INT64 = 2**63 - 1
MAX_UINT32 = 2**32 - 1
KEYS = tuple(Keypair.from_raw_ed25519_seed(bytes([n]) * 32).public_key for n in range(1, 31))
ACCOUNT, SPONSOR, ISSUER = KEYS[:3]
OTHERS = KEYS[3:]
"""Keys that are neither the account's nor the sponsor's: co-signers and issuers."""
TERMS = Terms(TESTNET)
NEW_ACCOUNT = Thresholds(0, 0, 0)


def _signers(*pairs: tuple[str, int]) -> Signers:
    return Signers(tuple(Signer(key, weight) for key, weight in pairs))


def _change(**changes: Any) -> SignerChange:
    """A change of ACCOUNT's signers: nothing changed and nothing current unless said."""
    fields: dict[str, Any] = {
        "account": ACCOUNT,
        "sequence": 1,
        "current": Signers(()),
        "add": Signers(()),
        "remove": (),
        "master_weight": None,
        "thresholds": None,
        "current_thresholds": NEW_ACCOUNT,
        "allow_lockout": False,
        "terms": TERMS,
    }
    return SignerChange(**(fields | changes))


def _refused(field: Field) -> Any:
    """pytest.raises for an InvalidInput naming `field` (checked by the caller on `.value`)."""
    return pytest.raises(InvalidInput, match=f"^{re.escape(field.value)}: ")


# Sequence numbers


@pytest.mark.parametrize("text", ["0", "1", "4294967296", "0004", str(MAX_INT64 - 1)])
def test_a_sequence_number_is_decimal_digits_whose_next_fits_int64(text: str) -> None:
    assert sequence_number(Field.SEQUENCE, text) == int(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1.0",
        "1e3",
        "0x10",
        "1_000",
        "\u0661\u0662",  # Arabic-Indic digits: str.isdigit says yes
        "\uff11\uff12",  # full-width digits
        str(MAX_INT64),  # its next would overflow
        str(MAX_INT64 + 1),
        "9" * 20,
        "0" * 20,
    ],
)
def test_a_malformed_or_too_large_sequence_number_is_refused(text: str) -> None:
    with _refused(Field.SPONSOR_SEQUENCE) as refused:
        sequence_number(Field.SPONSOR_SEQUENCE, text)
    assert refused.value.field is Field.SPONSOR_SEQUENCE


# Amounts


@pytest.mark.parametrize(
    "text", ["1", "0.0000001", "0.5", "10.1234567", "1000000", "922337203685.4775807"]
)
def test_an_amount_is_positive_with_at_most_seven_decimals(text: str) -> None:
    assert amount(Field.TRUSTLINES, text) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "0.0",
        "0.0000000",
        "0.00000001",
        "1.12345678",
        "-1",
        "+1",
        "01",
        "1.",
        ".5",
        "1e5",
        "1,5",
        " 1",
        "1 ",
        "NaN",
        "Infinity",
        "\u0661",
        "922337203685.4775808",
        "922337203686",
        "9" * 40,
    ],
)
def test_a_malformed_zero_or_too_large_amount_is_refused(text: str) -> None:
    with _refused(Field.TRUSTLINES):
        amount(Field.TRUSTLINES, text)


# Asset codes and trustlines


@pytest.mark.parametrize("code", ["A", "USDC", "abc123", "ABCDE", "ABCDEFGHIJKL"])
def test_an_asset_code_is_one_to_twelve_letters_or_digits(code: str) -> None:
    lines = (Trustline(code, ISSUER),)
    assert trustlines(lines) == lines


@pytest.mark.parametrize(
    "code", ["", "ABCDEFGHIJKLM", "US-D", "US D", "USD\n", "\u00dcSD", "USD\x00", "US$"]
)
def test_a_malformed_asset_code_is_refused_naming_its_index(code: str) -> None:
    with _refused(Field.TRUSTLINES) as refused:
        trustlines((Trustline("USDC", ISSUER), Trustline(code, ISSUER)))
    assert refused.value.reason.startswith("[1].code")


def test_a_trustline_limit_must_be_an_amount() -> None:
    assert trustlines((Trustline("USDC", ISSUER, "1000000"),))
    with _refused(Field.TRUSTLINES):
        trustlines((Trustline("USDC", ISSUER, "0"),))
    with _refused(Field.TRUSTLINES):
        trustlines((Trustline("USDC", ISSUER, "1.123456789"),))


def test_none_to_ten_trustlines_are_taken_eleven_are_not() -> None:
    assert trustlines(()) == ()
    ten = tuple(Trustline("USDC", key) for key in OTHERS[:10])
    assert trustlines(ten) == ten
    with _refused(Field.TRUSTLINES):
        trustlines((*ten, Trustline("EURC", ISSUER)))


def test_an_asset_listed_twice_is_refused_but_a_code_may_have_several_issuers() -> None:
    with _refused(Field.TRUSTLINES) as refused:
        trustlines((Trustline("USDC", ISSUER), Trustline("USDC", ISSUER, "5")))
    assert refused.value.reason == "[1] is listed twice"
    distinct = (
        Trustline("USDC", ISSUER),
        Trustline("USDC", OTHERS[0]),
        Trustline("EURC", ISSUER),
        Trustline("usdc", ISSUER),  # codes are case-sensitive on the ledger
    )
    assert trustlines(distinct) == distinct


# Terms


@pytest.mark.parametrize("base_fee", [100, 101, 10_000, MAX_UINT32])
def test_a_base_fee_is_100_to_uint32(base_fee: int) -> None:
    assert Terms(TESTNET, base_fee).base_fee == base_fee


@pytest.mark.parametrize("base_fee", [-1, 0, 99, MAX_UINT32 + 1])
def test_a_base_fee_outside_100_to_uint32_is_refused(base_fee: int) -> None:
    with _refused(Field.BASE_FEE):
        Terms(TESTNET, base_fee)


def test_the_default_base_fee_is_the_network_minimum_and_no_time_bound() -> None:
    assert (TERMS.base_fee, TERMS.valid_until) == (100, None)


@pytest.mark.parametrize("valid_until", [1, 1893456000, 2**64 - 1])
def test_valid_until_is_a_positive_uint64(valid_until: int) -> None:
    assert Terms(TESTNET, valid_until=valid_until).valid_until == valid_until


@pytest.mark.parametrize("valid_until", [-1, 0, 2**64])
def test_valid_until_outside_uint64_or_zero_is_refused(valid_until: int) -> None:
    with _refused(Field.VALID_UNTIL):
        Terms(TESTNET, valid_until=valid_until)


@pytest.mark.parametrize("operations", [1, 2, 3, 13, 100])
def test_the_whole_fee_must_fit_uint32(operations: int) -> None:
    fitting = MAX_UINT32 // operations
    Terms(TESTNET, fitting).check_fee(operations)
    if fitting + 1 <= MAX_UINT32:
        with _refused(Field.BASE_FEE):
            Terms(TESTNET, fitting + 1).check_fee(operations)


# Activation


def test_an_activation_counts_three_operations_and_one_per_trustline() -> None:
    lines = tuple(Trustline("USDC", key) for key in OTHERS[:10])
    activation = Activation(ACCOUNT, SPONSOR, 41, lines, TERMS)
    assert activation.operation_count == 13
    assert Activation(ACCOUNT, SPONSOR, 41, (), TERMS).operation_count == 3


def test_an_activation_refuses_a_sponsor_that_is_the_account() -> None:
    with _refused(Field.SPONSOR):
        Activation(ACCOUNT, ACCOUNT, 41, (), TERMS)


def test_an_activation_refuses_a_fee_over_uint32_for_its_operations() -> None:
    lines = tuple(Trustline("USDC", key) for key in OTHERS[:10])
    Activation(ACCOUNT, SPONSOR, 41, lines, Terms(TESTNET, MAX_UINT32 // 13))
    with _refused(Field.BASE_FEE):
        Activation(ACCOUNT, SPONSOR, 41, lines, Terms(TESTNET, MAX_UINT32 // 13 + 1))


# SignerChange: what it refuses besides lockout


def test_the_accounts_own_key_cannot_be_added() -> None:
    with _refused(Field.ADD) as refused:
        _change(add=_signers((OTHERS[0], 1), (ACCOUNT, 1)))
    assert refused.value.reason.startswith("[1].key is the account's own key")


def test_the_accounts_own_key_cannot_be_removed_even_when_listed_as_current() -> None:
    with _refused(Field.REMOVE) as refused:
        _change(current=_signers((ACCOUNT, 1), (OTHERS[0], 1)), remove=(ACCOUNT,))
    assert refused.value.reason.startswith("[0] is the account's own key")


def test_a_signer_is_added_with_a_weight_of_1_to_255_not_0() -> None:
    with _refused(Field.ADD) as refused:
        _change(add=_signers((OTHERS[0], 0)))
    assert refused.value.reason.startswith("[0].weight")
    assert _change(add=_signers((OTHERS[0], 255))).steps
    with pytest.raises(InvalidInput):
        _signers((OTHERS[0], 256))


def test_only_a_current_signer_can_be_removed() -> None:
    with _refused(Field.REMOVE) as refused:
        _change(current=_signers((OTHERS[0], 1)), remove=(OTHERS[1],))
    assert refused.value.reason == "[0] is not one of the current signers"


def test_a_key_cannot_be_both_added_and_removed() -> None:
    with _refused(Field.REMOVE) as refused:
        _change(
            current=_signers((OTHERS[0], 1)),
            add=_signers((OTHERS[0], 2)),
            remove=(OTHERS[0],),
        )
    assert refused.value.reason == "[0] is also among the signers to add"


def test_a_key_named_twice_is_refused() -> None:
    with _refused(Field.REMOVE) as refused:
        _change(current=_signers((OTHERS[0], 1), (OTHERS[1], 1)), remove=(OTHERS[0], OTHERS[0]))
    assert refused.value.reason == "[1] is listed twice"
    with _refused(Field.SIGNERS):
        _signers((OTHERS[0], 1), (OTHERS[0], 2))


def test_at_most_20_signers_besides_the_master_key() -> None:
    twenty = _signers(*((key, 1) for key in OTHERS[:20]))
    with _refused(Field.ADD) as refused:
        _change(current=twenty, add=_signers((OTHERS[20], 1)))
    assert "21 signers" in refused.value.reason
    with _refused(Field.ADD):
        _change(add=_signers(*((key, 1) for key in OTHERS[:21])))
    assert _change(current=twenty, add=_signers((OTHERS[0], 5))).steps  # re-weighed
    assert _change(current=twenty, add=_signers((OTHERS[20], 1)), remove=(OTHERS[0],)).steps
    with_master = _signers((ACCOUNT, 1), *((key, 1) for key in OTHERS[:19]))
    assert _change(current=with_master, add=_signers((OTHERS[19], 1))).steps


def test_a_change_that_changes_nothing_is_refused() -> None:
    with _refused(Field.ADD) as refused:
        _change(current=_signers((OTHERS[0], 1)))
    assert refused.value.reason.startswith("nothing to change")


@pytest.mark.parametrize("weight", [-1, 256])
def test_the_master_weight_is_0_to_255(weight: int) -> None:
    with _refused(Field.MASTER_WEIGHT):
        _change(master_weight=weight, allow_lockout=True)


@pytest.mark.parametrize("high", [-1, 256])
def test_thresholds_are_0_to_255(high: int) -> None:
    with _refused(Field.THRESHOLDS):
        Thresholds(0, 0, high)


def test_the_whole_fee_of_a_change_must_fit_uint32() -> None:
    add = _signers((OTHERS[0], 1), (OTHERS[1], 1))
    _change(add=add, master_weight=1, terms=Terms(TESTNET, MAX_UINT32 // 3))
    with _refused(Field.BASE_FEE):
        _change(add=add, master_weight=1, terms=Terms(TESTNET, MAX_UINT32 // 3 + 1))


# SignerChange: its steps


def test_steps_set_master_weight_and_thresholds_first_then_remove_then_add() -> None:
    thresholds = Thresholds(1, 2, 3)
    change = _change(
        current=_signers((OTHERS[0], 1), (OTHERS[1], 1), (OTHERS[2], 1)),
        add=_signers((OTHERS[3], 1), (OTHERS[2], 2)),
        remove=(OTHERS[1], OTHERS[0]),
        master_weight=2,
        thresholds=thresholds,
    )
    assert change.steps == (
        SetOptionsStep(master_weight=2, thresholds=thresholds),
        SetOptionsStep(Signer(OTHERS[1], 0)),
        SetOptionsStep(Signer(OTHERS[0], 0)),
        SetOptionsStep(Signer(OTHERS[3], 1)),
        SetOptionsStep(Signer(OTHERS[2], 2)),
    )


def test_a_step_for_master_weight_and_thresholds_only_when_either_is_set() -> None:
    added = SetOptionsStep(Signer(OTHERS[0], 1))
    assert _change(add=_signers((OTHERS[0], 1))).steps == (added,)
    only_thresholds = _change(thresholds=Thresholds(0, 1, 1))
    assert only_thresholds.steps == (SetOptionsStep(thresholds=Thresholds(0, 1, 1)),)
    assert _change(master_weight=3).steps == (SetOptionsStep(master_weight=3),)


# SignerChange: the lockout guard, by example


TWO_OF_TWO = _signers((ACCOUNT, 1), (OTHERS[0], 1))


@dataclass(frozen=True)
class LockoutCase:
    name: str
    changes: dict[str, Any]
    weight: int
    needed: int


LOCKOUTS = [
    LockoutCase(
        "removing the only co-signer of a 2-of-2",
        {"current": TWO_OF_TWO, "current_thresholds": Thresholds(2, 2, 2), "remove": (OTHERS[0],)},
        1,
        2,
    ),
    LockoutCase("master weight 0 and no other signer", {"master_weight": 0}, 0, 1),
    LockoutCase(
        "master weight 0 and the only other signer weightless",
        {"current": _signers((OTHERS[0], 0)), "master_weight": 0},
        0,
        1,
    ),
    LockoutCase(
        "a high threshold above the total weight",
        {"current": TWO_OF_TWO, "thresholds": Thresholds(1, 1, 3)},
        2,
        3,
    ),
    LockoutCase(
        "the current high threshold stays above the new total",
        {"current_thresholds": Thresholds(0, 0, 5), "add": _signers((OTHERS[0], 3))},
        4,
        5,
    ),
    LockoutCase(
        "the master weight listed as current, lowered",
        {
            "current": _signers((ACCOUNT, 10), (OTHERS[0], 1)),
            "current_thresholds": Thresholds(5, 5, 10),
            "master_weight": 8,
        },
        9,
        10,
    ),
]


@pytest.mark.parametrize("case", LOCKOUTS, ids=lambda case: case.name)
def test_a_change_that_locks_the_account_out_is_refused(case: LockoutCase) -> None:
    with pytest.raises(Lockout) as refused:
        _change(**case.changes)
    assert (refused.value.weight, refused.value.needed) == (case.weight, case.needed)
    assert f"({case.weight})" in str(refused.value)
    assert f"({case.needed})" in str(refused.value)


@pytest.mark.parametrize("case", LOCKOUTS, ids=lambda case: case.name)
def test_allow_lockout_lets_each_lockout_through(case: LockoutCase) -> None:
    assert _change(**case.changes, allow_lockout=True).steps


@pytest.mark.parametrize(
    "changes",
    [
        {"current": TWO_OF_TWO, "thresholds": Thresholds(1, 2, 2)},  # exactly reached
        {"current": TWO_OF_TWO, "master_weight": 0, "thresholds": Thresholds(1, 1, 1)},
        {"master_weight": 0, "add": _signers((OTHERS[0], 1))},  # handed over to a co-signer
        {"thresholds": Thresholds(0, 0, 0)},  # a weight of 1 meets a threshold of 0
        {"current": _signers((ACCOUNT, 0), (OTHERS[0], 2)), "thresholds": Thresholds(2, 2, 2)},
    ],
)
def test_a_change_the_signers_can_still_undo_is_taken(changes: dict[str, Any]) -> None:
    assert _change(**changes).steps


# SignerChange: the lockout guard, as a property


@st.composite
def _signer_changes(draw: st.DrawFn) -> dict[str, Any]:
    """The inputs of a SignerChange that breaks none of its other rules."""
    weights = st.one_of(st.integers(0, 3), st.integers(0, 255))
    current_others = draw(st.dictionaries(st.sampled_from(OTHERS), weights, max_size=20))
    own_weight = draw(st.none() | weights)
    members = [Signer(key, weight) for key, weight in current_others.items()]
    if own_weight is not None:
        members.insert(draw(st.integers(0, len(members))), Signer(ACCOUNT, own_weight))
    removable = sorted(current_others)
    remove = draw(st.lists(st.sampled_from(removable), unique=True)) if removable else []
    addable = [key for key in OTHERS if key not in remove]
    add = draw(
        st.dictionaries(
            st.sampled_from(addable), st.one_of(st.integers(1, 3), st.integers(1, 255)), max_size=8
        )
    )
    thresholds = st.builds(Thresholds, weights, weights, weights)
    return {
        "current": Signers(tuple(members)),
        "own_weight": own_weight,
        "current_others": current_others,
        "add": add,
        "remove": tuple(remove),
        "master_weight": draw(st.none() | weights),
        "thresholds": draw(st.none() | thresholds),
        "current_thresholds": draw(thresholds),
        "allow_lockout": draw(st.booleans()),
    }


@settings(max_examples=400, deadline=None)
@given(_signer_changes())
def test_lockout_is_raised_iff_the_resulting_weight_cannot_reach_the_high_threshold(
    drawn: dict[str, Any],
) -> None:
    others = {k: w for k, w in drawn["current_others"].items() if k not in drawn["remove"]}
    others.update(drawn["add"])
    changes_something = bool(
        drawn["add"]
        or drawn["remove"]
        or drawn["master_weight"] is not None
        or drawn["thresholds"] is not None
    )
    assume(len(others) <= 20 and changes_something)  # else the other rules refuse it
    master = drawn["master_weight"]
    if master is None:
        master = 1 if drawn["own_weight"] is None else drawn["own_weight"]
    high = (drawn["thresholds"] or drawn["current_thresholds"]).high
    total = master + sum(others.values())
    needed = high if high > 0 else 1

    def build() -> SignerChange:
        return _change(
            current=drawn["current"],
            add=Signers(tuple(Signer(key, weight) for key, weight in drawn["add"].items())),
            remove=drawn["remove"],
            master_weight=drawn["master_weight"],
            thresholds=drawn["thresholds"],
            current_thresholds=drawn["current_thresholds"],
            allow_lockout=drawn["allow_lockout"],
        )

    event("locked out" if total < needed else "reaches the high threshold")
    if total < needed and not drawn["allow_lockout"]:
        with pytest.raises(Lockout) as refused:
            build()
        assert (refused.value.weight, refused.value.needed) == (total, needed)
    else:
        change = build()
        assert change.resulting_signers() == others
        assert change.resulting_master_weight() == master
