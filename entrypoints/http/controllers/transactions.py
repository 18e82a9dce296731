"""Transactions on their own, held by no wallet: check who signed one."""

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.inspect_transaction import InspectTransaction
from entrypoints.http import operations
from entrypoints.http.schemas.account_transactions import InspectBody, InspectionBody


class TransactionController(Controller):
    path = "/transactions"
    tags = ["transactions"]  # noqa: RUF012 - Litestar reads layer settings as class attributes

    @post(
        "/inspect",
        summary="Which of an account's signers signed a transaction, and is it enough",
        description="Each signature is verified over the transaction's hash for the network; "
        "the threshold category is the highest its operations need by Stellar's rules (a fee "
        "bump needs low). No wallet or key is used and nothing is recorded.",
        status_code=200,
        **operations.INSPECT.route,
    )
    async def inspect(
        self,
        data: JSONBody[InspectBody],
        inspect_transaction: NamedDependency[InspectTransaction],
    ) -> InspectionBody:
        return InspectionBody.of_result(inspect_transaction(data.request()))
