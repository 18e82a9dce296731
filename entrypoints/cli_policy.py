"""`wallet-orchestrator policy show|set|remove`: the signing policy of a user's wallet, as GET,
PUT and DELETE /wallets/user/{userId}/policy do it, with the same JSON in and out.
"""

import argparse
import sys
from pathlib import Path

from entrypoints.cli_keys import UsageError
from entrypoints.container import Container
from entrypoints.http.schemas.policy import PolicyBody, PolicyDocument

ACTIONS = ("show", "set", "remove")


def add_parser(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> argparse.ArgumentParser:
    """The command's parser (it also takes --no-migrate, added by the caller)."""
    policy = commands.add_parser(
        "policy",
        help="a wallet's signing policy: show the one in force and where it comes from, set "
        "the wallet's own from a JSON document (--file, or - for standard input), or remove it "
        "(back to WALLET_SIGNING_POLICY or the built-in one); prints JSON",
    )
    policy.add_argument("action", choices=ACTIONS)
    policy.add_argument("--user-id", required=True)
    policy.add_argument("--file", help="set: the policy document (- for standard input)")
    return policy


async def run_policy(container: Container, args: argparse.Namespace) -> PolicyBody:
    """The policy in force for the wallet after the action."""
    if args.action == "show":
        return PolicyBody.of(await container.get_signing_policy()(args.user_id))
    if args.action == "remove":
        return PolicyBody.of(await container.remove_signing_policy()(args.user_id, "cli"))
    document = PolicyDocument.strictly(_document_bytes(args.file))
    in_force = await container.set_signing_policy()(args.user_id, document.policy(), "cli")
    return PolicyBody.of(in_force)


def _document_bytes(path: str | None) -> bytes:
    if path is None:
        raise UsageError("policy set needs --file (a JSON document, or - for standard input)")
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {path!r} ({type(error).__name__})") from None
