"""Signing policies as JSON documents (the API's, WALLET_SIGNING_POLICY's and the store's
format): read strictly, naming the member at fault (operation names must be stellar-sdk's,
destinations and issuers account keys), and written back in the same shape.
"""

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from stellar_sdk import StrKey

from adapters.stellar.policy_summary import OPERATION_NAMES
from domain.accounts import amount
from domain.errors import Field, InvalidInput
from domain.policy import NATIVE, Limit, SigningPolicy

_MEMBERS = frozenset(
    {
        "allowedOperations",
        "allowedDestinations",
        "limits",
        "allowForeignSource",
        "allowForeignFeeBump",
    }
)
_ASSET_CODE = re.compile(r"[A-Za-z0-9]{1,12}")
_LIMIT_MEMBERS = frozenset({"asset", "perTransaction", "perDay"})
_ZERO = re.compile(r"0+(\.0{1,7})?")
MAX_LIST_ITEMS = 1000
"""At most this many operation names, destinations or limits in one policy."""


def policy_of(document: object) -> SigningPolicy:
    """The policy of a JSON document (already parsed); InvalidInput(Field.POLICY) naming the
    member at fault.
    """
    if not isinstance(document, dict):
        raise InvalidInput(Field.POLICY, "must be a JSON object")
    for name in document:
        if name not in _MEMBERS:
            raise InvalidInput(Field.POLICY, f"{name} is not a policy member")
    return SigningPolicy(
        _names(
            document, "allowedOperations", OPERATION_NAMES.__contains__, "a Stellar operation name"
        ),
        _names(
            document,
            "allowedDestinations",
            StrKey.is_valid_ed25519_public_key,
            "a Stellar account key (G…)",
        ),
        _limits(document.get("limits")),
        _flag(document, "allowForeignSource"),
        _flag(document, "allowForeignFeeBump"),
    )


def document_of(policy: SigningPolicy) -> dict[str, Any]:
    """The policy as a JSON document that `policy_of` reads back to it: every member present,
    lists sorted, null for a list or amount that restricts nothing.
    """
    return {
        "allowedOperations": _sorted(policy.allowed_operations),
        "allowedDestinations": _sorted(policy.allowed_destinations),
        "limits": [
            {
                "asset": limit.asset,
                "perTransaction": _text(limit.per_transaction),
                "perDay": _text(limit.per_day),
            }
            for limit in policy.limits
        ],
        "allowForeignSource": policy.allow_foreign_source,
        "allowForeignFeeBump": policy.allow_foreign_fee_bump,
    }


def _sorted(names: frozenset[str] | None) -> list[str] | None:
    return None if names is None else sorted(names)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _list(value: object, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(Field.POLICY, f"{name} must be a list")
    if len(value) > MAX_LIST_ITEMS:
        raise InvalidInput(Field.POLICY, f"{name} has more than {MAX_LIST_ITEMS} items")
    return value


def _names(
    document: Mapping[str, Any], name: str, valid: Callable[[str], bool], kind: str
) -> frozenset[str] | None:
    """A list of names, each `valid`; the one at fault named by its place, never quoted (values
    are not said back).
    """
    value = document.get(name)
    if value is None:
        return None
    items = _list(value, name)
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item:
            raise InvalidInput(Field.POLICY, f"{name} must be a list of names")
        if not valid(item):
            raise InvalidInput(Field.POLICY, f"{name}[{index}] is not {kind}")
    return frozenset(items)


def _asset(asset: str, index: int) -> str:
    if asset == NATIVE:
        return asset
    code, _, issuer = asset.partition(":")
    if not _ASSET_CODE.fullmatch(code) or not StrKey.is_valid_ed25519_public_key(issuer):
        raise InvalidInput(
            Field.POLICY,
            f"limits[{index}].asset is not native or CODE:ISSUER (1 to 12 letters or digits, "
            "an account key)",
        )
    return asset


def _flag(document: Mapping[str, Any], name: str) -> bool:
    value = document.get(name, False)
    if not isinstance(value, bool):
        raise InvalidInput(Field.POLICY, f"{name} must be true or false")
    return value


def _limits(value: object) -> tuple[Limit, ...]:
    limits: list[Limit] = []
    for index, item in enumerate(_list([] if value is None else value, "limits")):
        if not isinstance(item, dict) or not isinstance(item.get("asset"), str):
            raise InvalidInput(Field.POLICY, f"limits[{index}] needs an asset")
        for name in item:
            if name not in _LIMIT_MEMBERS:
                raise InvalidInput(Field.POLICY, f"limits[{index}].{name} is not a limit member")
        asset = _asset(item["asset"], index)
        if any(limit.asset == asset for limit in limits):
            raise InvalidInput(Field.POLICY, f"limits[{index}].asset is listed twice")
        limits.append(
            Limit(
                asset,
                _amount(item, "perTransaction", index),
                _amount(item, "perDay", index),
            )
        )
    return tuple(limits)


def _amount(item: Mapping[str, Any], name: str, index: int) -> Decimal | None:
    value = item.get(name)
    if value is None:
        return None
    where = f"limits[{index}].{name}"
    if not isinstance(value, str):
        raise InvalidInput(Field.POLICY, f"{where} must be a decimal string")
    if _ZERO.fullmatch(value):
        return Decimal(0)
    try:
        return Decimal(amount(Field.POLICY, value))
    except InvalidInput as wrong:
        raise InvalidInput(Field.POLICY, f"{where} {wrong.reason}") from None
