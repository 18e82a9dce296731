"""AccountTransactionBuilder on stellar-sdk's TransactionBuilder."""

from stellar_sdk import Account, Asset, StrKey, TransactionBuilder
from stellar_sdk import Signer as SdkSigner

from domain.accounts import Activation, SignerChange, Terms
from domain.errors import Field, InvalidInput


class StellarTransactionBuilder:
    """Builds v1 envelopes with explicit time bounds (0 to `valid_until`, or 0 to 0: none), so
    that no default of the library (a timeout from the clock) makes two builds differ.
    """

    def check_account_key(self, field: Field, key: str, where: str = "") -> None:
        if not StrKey.is_valid_ed25519_public_key(key):
            raise InvalidInput(field, f"{where} is not a Stellar account key (G…)".lstrip())

    def activation(self, plan: Activation) -> str:
        for index, line in enumerate(plan.trustlines):
            self.check_account_key(Field.TRUSTLINES, line.issuer, f"[{index}].issuer")
        builder = _builder(plan.sponsor, plan.sponsor_sequence, plan.terms)
        builder.append_begin_sponsoring_future_reserves_op(plan.account, source=plan.sponsor)
        builder.append_create_account_op(plan.account, "0", source=plan.sponsor)
        for line in plan.trustlines:
            builder.append_change_trust_op(
                Asset(line.code, line.issuer), limit=line.limit, source=plan.account
            )
        builder.append_end_sponsoring_future_reserves_op(source=plan.account)
        return builder.build().to_xdr()

    def signer_change(self, plan: SignerChange) -> str:
        for index, key in enumerate(plan.current.keys):
            self.check_account_key(Field.CURRENT_SIGNERS, key, f"[{index}].key")
        for index, key in enumerate(plan.add.keys):
            self.check_account_key(Field.ADD, key, f"[{index}].key")
        for index, key in enumerate(plan.remove):
            self.check_account_key(Field.REMOVE, key, f"[{index}]")
        builder = _builder(plan.account, plan.sequence, plan.terms)
        for step in plan.steps:
            thresholds = step.thresholds
            builder.append_set_options_op(
                master_weight=step.master_weight,
                low_threshold=None if thresholds is None else thresholds.low,
                med_threshold=None if thresholds is None else thresholds.medium,
                high_threshold=None if thresholds is None else thresholds.high,
                signer=None
                if step.signer is None
                else SdkSigner.ed25519_public_key(step.signer.key, step.signer.weight),
            )
        return builder.build().to_xdr()


def _builder(source: str, sequence: int, terms: Terms) -> TransactionBuilder:
    builder = TransactionBuilder(
        Account(source, sequence), terms.network_passphrase, base_fee=terms.base_fee
    )
    return builder.add_time_bounds(0, terms.valid_until or 0)
