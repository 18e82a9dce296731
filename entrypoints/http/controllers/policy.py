"""The signing policy of a wallet: the one in force, the wallet's own set or removed."""

from litestar import Controller, delete, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.wallet_policy import GetSigningPolicy, RemoveSigningPolicy, SetSigningPolicy
from entrypoints.http import operations
from entrypoints.http.controllers.head import get_and_head
from entrypoints.http.problems import AnyRequest
from entrypoints.http.schemas.fields import UserIdPath
from entrypoints.http.schemas.policy import PolicyBody, PolicyDocument


class PolicyController(Controller):
    path = "/wallets/user/{user_id:str}/policy"
    tags = ["custody"]  # noqa: RUF012 - Litestar reads layer settings as class attributes

    @get_and_head(
        summary="The signing policy in force for the wallet, and where it comes from",
        **operations.GET_POLICY.route,
    )
    async def policy(
        self, get_signing_policy: NamedDependency[GetSigningPolicy], user_id: str = UserIdPath
    ) -> PolicyBody:
        return PolicyBody.of(await get_signing_policy(user_id))

    @put(
        summary="Give the wallet a signing policy of its own, replacing the deployment's default",
        description="The body is the policy document. What the wallet signs from then on "
        "(sign, activation, signer changes) is judged by it before the seed is opened.",
        status_code=200,
        **operations.SET_POLICY.route,
    )
    async def set_policy(
        self,
        request: AnyRequest,
        data: JSONBody[PolicyDocument],  # noqa: ARG002 - the document's shape; read strictly below
        set_signing_policy: NamedDependency[SetSigningPolicy],
        user_id: str = UserIdPath,
    ) -> PolicyBody:
        policy = PolicyDocument.strictly(await request.body()).policy()
        return PolicyBody.of(await set_signing_policy(user_id, policy, request.user))

    @delete(
        summary="Return the wallet to the deployment's default signing policy",
        status_code=200,
        **operations.REMOVE_POLICY.route,
    )
    async def remove_policy(
        self,
        request: AnyRequest,
        remove_signing_policy: NamedDependency[RemoveSigningPolicy],
        user_id: str = UserIdPath,
    ) -> PolicyBody:
        return PolicyBody.of(await remove_signing_policy(user_id, request.user))
