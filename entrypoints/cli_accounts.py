"""`wallet-orchestrator activate` and `wallet-orchestrator signers`: the account set-up operations
of POST /wallets/user/{userId}/activation and /signers, with the same inputs as options (keys
from the environment or prompts, never arguments) and the same JSON out.
"""

import argparse
from contextlib import ExitStack

from application.activate_account import ActivateRequest, HeldSponsor
from application.change_signers import NEW_ACCOUNT_THRESHOLDS, ChangeSignersRequest
from domain.accounts import DEFAULT_BASE_FEE, Terms, Trustline, sequence_number
from domain.authorization import Signers, Thresholds
from domain.errors import Field
from entrypoints.cli_inspect import signer_argument, thresholds_argument
from entrypoints.cli_keys import SPONSOR_KEY_VARIABLE, read_key
from entrypoints.container import Container
from entrypoints.http.schemas.account_transactions import AccountTransactionBody


def add_parsers(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> list[argparse.ArgumentParser]:
    """The two commands' parsers (each also takes --no-migrate, added by the caller)."""
    activate = commands.add_parser(
        "activate",
        help="build and sign the sponsored activation of a user's account, with trustlines "
        f"(prints JSON; the sponsor's key, for a sponsor held here, from {SPONSOR_KEY_VARIABLE} "
        "or a prompt)",
    )
    activate.add_argument("--user-id", required=True)
    sponsor = activate.add_mutually_exclusive_group(required=True)
    sponsor.add_argument("--sponsor-user-id", help="a sponsor whose wallet is held here")
    sponsor.add_argument("--sponsor-public-key", help="a sponsor held elsewhere (G…)")
    activate.add_argument("--sponsor-sequence", help="the sponsor account's sequence number")
    activate.add_argument(
        "--trustline",
        action="append",
        type=_trustline,
        default=[],
        metavar="CODE:ISSUER[:LIMIT]",
        help="an asset to trust (repeat for each, at most 10)",
    )
    signers = commands.add_parser(
        "signers",
        help="build and sign a change of the signers and thresholds of a user's account, "
        "refused when it would lock the account out (prints JSON)",
    )
    signers.add_argument("--user-id", required=True)
    signers.add_argument("--sequence", help="the account's sequence number")
    for option, meaning in (
        ("--current-signer", "a signer of the account now"),
        ("--add", "a signer to add or re-weigh"),
    ):
        signers.add_argument(
            option,
            action="append",
            type=signer_argument,
            default=[],
            metavar="KEY:WEIGHT",
            help=f"{meaning} (repeat for each)",
        )
    signers.add_argument("--remove", action="append", default=[], metavar="KEY")
    signers.add_argument("--master-weight", type=int)
    for option in ("--thresholds", "--current-thresholds"):
        signers.add_argument(option, type=thresholds_argument, metavar="LOW,MEDIUM,HIGH")
    signers.add_argument("--allow-lockout", action="store_true", help="allow a lockout")
    for command in (activate, signers):
        command.add_argument("--network", required=True, help="the network passphrase")
        command.add_argument("--base-fee", type=int, default=DEFAULT_BASE_FEE)
        command.add_argument("--valid-until", type=int, help="unix time; default: no bound")
        command.add_argument(
            "--submit", action="store_true", help="submit to WALLET_HORIZON_URL's network"
        )
    return [activate, signers]


async def activate(container: Container, args: argparse.Namespace) -> object:
    with ExitStack() as keys:
        key = keys.enter_context(read_key())
        sponsor: HeldSponsor | str = args.sponsor_public_key
        if args.sponsor_user_id is not None:
            sponsor_key = keys.enter_context(
                read_key(Field.SPONSOR_ENCRYPTION_KEY, "sponsor's encryption key")
            )
            sponsor = HeldSponsor(args.sponsor_user_id, sponsor_key)
        request = ActivateRequest(
            args.user_id,
            key,
            sponsor,
            _sequence(Field.SPONSOR_SEQUENCE, args.sponsor_sequence),
            tuple(args.trustline),
            _terms(args),
            submit=args.submit,
            actor="cli",
        )
        return AccountTransactionBody.of(await container.activate_account()(request))


async def signers(container: Container, args: argparse.Namespace) -> object:
    with read_key() as key:
        request = ChangeSignersRequest(
            args.user_id,
            key,
            _sequence(Field.SEQUENCE, args.sequence),
            _terms(args),
            current=Signers.listed(Field.CURRENT_SIGNERS, tuple(args.current_signer)),
            add=Signers.listed(Field.ADD, tuple(args.add)),
            remove=tuple(args.remove),
            master_weight=args.master_weight,
            thresholds=_thresholds(args.thresholds),
            current_thresholds=_thresholds(args.current_thresholds) or NEW_ACCOUNT_THRESHOLDS,
            allow_lockout=args.allow_lockout,
            submit=args.submit,
            actor="cli",
        )
        return AccountTransactionBody.of(await container.change_signers()(request))


def _terms(args: argparse.Namespace) -> Terms:
    return Terms(args.network, args.base_fee, args.valid_until)


def _sequence(field: Field, text: str | None) -> int | None:
    return None if text is None else sequence_number(field, text)


def _thresholds(given: tuple[int, int, int] | None) -> Thresholds | None:
    return None if given is None else Thresholds(*given)


def _trustline(text: str) -> Trustline:
    code, _, rest = text.partition(":")
    issuer, _, limit = rest.partition(":")
    if not code or not issuer:
        raise argparse.ArgumentTypeError("expected CODE:ISSUER or CODE:ISSUER:LIMIT")
    return Trustline(code, issuer, limit or None)
