"""Example payloads of the signing-policy operations, for the OpenAPI document."""

from entrypoints.http.examples import USDC_ISSUER
from entrypoints.http.schemas.policy import LimitDocument, PolicyBody, PolicyDocument

_TREASURY = "GCMIEGHKGZIIKMQH2BYOVXUQO4US56B46ZSUQM2CEZRF2K3QV3HUZVBE"

PAYMENTS_POLICY_EXAMPLE = PolicyDocument(
    allowed_operations=["changeTrust", "pathPaymentStrictSend", "payment"],
    allowed_destinations=[_TREASURY],
    limits=[
        LimitDocument(asset="native", per_transaction="100", per_day="1000"),
        LimitDocument(asset=f"USDC:{USDC_ISSUER}", per_transaction="500", per_day="5000"),
    ],
)
DAILY_LIMIT_EXAMPLE = PolicyDocument(limits=[LimitDocument(asset="native", per_day="250")])
WALLET_POLICY_EXAMPLE = PolicyBody(PAYMENTS_POLICY_EXAMPLE, "wallet")
BUILT_IN_POLICY_EXAMPLE = PolicyBody(
    PolicyDocument(allowed_operations=None, allowed_destinations=None, limits=[]), "built-in"
)
