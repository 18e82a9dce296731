"""`wallet-orchestrator inspect`: which of an account's signers signed a transaction, as the API's
POST /transactions/inspect answers it. It touches no wallet and no database.
"""

import argparse

from application.inspect_transaction import InspectRequest
from domain.authorization import Signer, Signers, Thresholds
from entrypoints.container import Container
from entrypoints.http.schemas.account_transactions import InspectionBody


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    inspect = commands.add_parser(
        "inspect",
        help="which of the given signers signed a transaction, their weight, the threshold it "
        "needs and whether it is met (prints JSON; no wallet, no database)",
    )
    inspect.add_argument("--xdr", required=True, help="base64 XDR of the envelope")
    inspect.add_argument("--network", required=True, help="the network passphrase")
    inspect.add_argument(
        "--signer",
        action="append",
        type=signer_argument,
        default=[],
        metavar="KEY:WEIGHT",
        help="a signer of the account (repeat for each)",
    )
    inspect.add_argument(
        "--thresholds", required=True, type=thresholds_argument, metavar="LOW,MEDIUM,HIGH"
    )


async def inspect(container: Container, args: argparse.Namespace) -> object:
    signers, thresholds = Signers(tuple(args.signer)), Thresholds(*args.thresholds)
    request = InspectRequest(args.xdr, args.network, signers, thresholds)
    return InspectionBody.of_result(container.inspect_transaction()(request))


def signer_argument(text: str) -> Signer:
    key, _, weight = text.rpartition(":")
    if not key or not weight.isdigit():
        raise argparse.ArgumentTypeError("expected KEY:WEIGHT, e.g. GABC…:1")
    return Signer(key, int(weight))


def thresholds_argument(text: str) -> tuple[int, int, int]:
    parts = text.split(",")
    if len(parts) != 3 or not all(part.strip().isdigit() for part in parts):
        raise argparse.ArgumentTypeError("expected LOW,MEDIUM,HIGH, e.g. 1,2,2")
    low, medium, high = (int(part) for part in parts)
    return low, medium, high
