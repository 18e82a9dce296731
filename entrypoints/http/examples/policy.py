"""Example payloads of the signing-policy operations, for the OpenAPI document."""

from entrypoints.http.examples.common import EXAMPLE_SPONSOR_ACCOUNT, USDC_ISSUER
from entrypoints.http.schemas.policy import LimitDocument, PolicyBody, PolicyDocument

PAYMENTS_POLICY_EXAMPLE = PolicyDocument(
    allowed_operations=["changeTrust", "pathPaymentStrictSend", "payment"],
    allowed_destinations=[EXAMPLE_SPONSOR_ACCOUNT],  # the treasury
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
