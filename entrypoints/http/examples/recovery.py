"""Example payload of recovery: a wallet's escrow."""

from entrypoints.http.examples.common import EXAMPLE_PUBLIC_KEY, EXAMPLE_USER_ID
from entrypoints.http.examples.wallets import WALLET_EXAMPLE
from entrypoints.http.schemas.recovery import EscrowBody

ESCROW_EXAMPLE = EscrowBody(  # sealed to a recovery key made for this example and forgotten
    wallet_id=WALLET_EXAMPLE.wallet_id,
    user_id=EXAMPLE_USER_ID,
    public_key=EXAMPLE_PUBLIC_KEY,
    recovery_key_id="rk-70de11160445fd36",
    sealed_seed="2Pz3RRxvM15LFZD4YmRSPG9BCTirdKySXyPwWF4l+STrgTalbypshgZliLzhl31yS50WwTCymAayuBLMWeYO"
    "rQRCVbJ2mzzCZJsYwD/ArsU=",
)
