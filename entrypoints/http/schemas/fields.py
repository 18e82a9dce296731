"""The values bodies are made of: ids, emails, keys, transactions, passphrases, account keys
and amounts, each with its limits; and the wire name of a field.
"""

from typing import Annotated

import msgspec
from litestar.params import Parameter

from domain.errors import Field
from domain.model import MAX_EMAIL_CHARS, MAX_ID_CHARS
from domain.secrets import EncryptionKey


def wire_name(name: str) -> str:
    """A field's JSON name: msgspec's `rename="camel"` of the Python name (user_id: userId);
    a field sent as a header, by the header's name.
    """
    if name == Field.IDEMPOTENCY_KEY:
        return "Idempotency-Key"
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


_TEXT = "No NUL characters or lone surrogates."
Id = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_ID_CHARS,
        description=f"One URL path segment: no '/', not '.' or '..'. {_TEXT}",
    ),
]
Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=MAX_EMAIL_CHARS,
        # The '@' rule of domain.model.check_email: text on both sides of the last '@'.
        pattern=r"[\s\S]@[^@]+$",
        description=f"Text on both sides of its last '@'. {_TEXT}",
    ),
]
UserIdPath = Parameter(min_length=1, max_length=MAX_ID_CHARS)
"""The `user_id` path parameter (errors name it `userId`, as bodies do)."""
Key = Annotated[
    str,
    msgspec.Meta(
        min_length=EncryptionKey.MIN_CHARS,
        max_length=EncryptionKey.MAX_CHARS,
        description="Never stored or echoed. No lone surrogates.",
    ),
]


Xdr = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=60_000,
        description="Base64 XDR of a transaction envelope or a fee-bump transaction envelope.",
    ),
]
Passphrase = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=256,
        description="The network passphrase; one of WALLET_NETWORKS (by default the Stellar test "
        "network and the public network).",
    ),
]


AccountKey = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=56, description="An ed25519 account key ('G…')."),
]


Amount = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=20, description="A decimal amount, at most 7 decimal places."
    ),
]
