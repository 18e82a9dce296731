"""The composition root: one container that picks adapters by configuration."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from adapters.crypto.cipher import Argon2AeadCipher
from adapters.crypto.key_cache import StretchedKeyCache
from adapters.crypto.sealed_export import SealedBoxSealer
from adapters.crypto.stellar_inspector import StellarTransactionInspector
from adapters.crypto.stellar_keys import StellarKeyGenerator
from adapters.crypto.stellar_signer import StellarTransactionSigner
from adapters.kms.base import KeyWrapper
from adapters.kms.observed import CallListener, ObservedKeyWrapper
from adapters.memory import InMemoryStore, InMemoryUnitOfWork, always_ready
from adapters.sql.deployment import SqlDeploymentSalt
from adapters.sql.engine import SqlReadinessCheck, create_engine
from adapters.sql.migrate import migrate
from adapters.sql.pg_creations import sql_wallet_creations
from adapters.sql.unit_of_work import SqlUnitOfWork
from adapters.stellar.policy_summary import StellarTransactionSummaries
from adapters.stellar.transactions import StellarTransactionBuilder
from adapters.wallet_creations import TransactionalWalletCreations
from adapters.webhooks.standard_sender import StandardWebhookSender
from application.account_transactions import AccountTransactions
from application.activate_account import ActivateAccount
from application.change_signers import ChangeSigners
from application.create_user_wallet import CreateUserWallet
from application.create_wallets import CreateWallets
from application.deliver_webhooks import DeliverWebhooks, DispatchPlan, Doorbell
from application.escrow import Escrowing
from application.escrow_all import EscrowAll
from application.export_wallet import ExportWallet
from application.get_escrow import GetEscrow
from application.get_user import GetUser
from application.get_wallet_by_user import GetWalletByUser
from application.import_escrows import ImportEscrows
from application.inspect_transaction import InspectTransaction
from application.register_user import RegisterUser
from application.restore_wallets import RestoreWallets
from application.rewrap_all import RewrapAll
from application.rotate_all_keys import RotateAllKeys
from application.rotate_encryption_key import RotateEncryptionKey
from application.set_wallet_status import ResumeWallet, SuspendWallet
from application.sign_transaction import SignTransaction
from application.signing_policy import SigningGate
from application.upgrade_envelopes import UpgradeEnvelopes
from application.wallet_events import ListWalletEvents, VerifyAuditTrail
from application.wallet_owners import WalletOwners
from application.wallet_policy import GetSigningPolicy, RemoveSigningPolicy, SetSigningPolicy
from application.webhook_deliveries import ListDeliveries, RequeueDeliveries
from entrypoints.settings import Settings
from entrypoints.webhook_payload import webhook_body
from entrypoints.webhook_settings import WebhookSettings

if TYPE_CHECKING:
    from adapters.stellar.horizon import HorizonNetwork


def _observed(wrapper: KeyWrapper | None, on_call: CallListener | None) -> KeyWrapper | None:
    """The backend, with its calls told to `on_call` when a listener is given."""
    if wrapper is None or on_call is None:
        return wrapper
    return ObservedKeyWrapper(wrapper, on_call)


def _stellar_network(settings: Settings) -> "HorizonNetwork | None":
    """The Stellar network at WALLET_HORIZON_URL, or None when none is configured."""
    if settings.horizon_url is None:
        return None
    from adapters.stellar.horizon import HorizonNetwork  # noqa: PLC0415 - only when configured

    return HorizonNetwork(settings.horizon_url, settings.horizon_timeout)


def _dispatch_plan(webhooks: WebhookSettings) -> DispatchPlan:
    return DispatchPlan(webhooks.urls_by_label, webhooks.lease_time, webhooks.schedule)


class Container(containers.DeclarativeContainer):
    """Engines, stores and crypto are singletons; units of work and use cases are made per call."""

    settings = providers.Singleton(Settings.from_env)

    # PostgreSQL connections in AUTOCOMMIT: the units of work send their own BEGIN (pg_direct).
    engine = providers.Singleton(
        create_engine,
        database_url=settings.provided.database_url,
        pool=settings.provided.pool,
        autocommit=True,
    )
    memory_store = providers.Singleton(InMemoryStore)
    # Rung by each commit that queued webhook deliveries (WALLET_WEBHOOK_URL), for the dispatcher.
    webhook_doorbell = providers.Singleton(Doorbell)
    # Resolved once: a unit of work is made per request (twice per creation).
    webhook_endpoints = providers.Singleton(lambda settings: settings.webhooks.labels, settings)

    sql_unit_of_work = providers.Factory(
        SqlUnitOfWork,
        engine=engine,
        timeout=settings.provided.db_timeout,
        webhook_endpoints=webhook_endpoints,
        on_queued=webhook_doorbell.provided.ring,
    )
    unit_of_work = providers.Selector(
        settings.provided.backend,
        sql=sql_unit_of_work,
        memory=providers.Factory(
            InMemoryUnitOfWork,
            store=memory_store,
            webhook_endpoints=webhook_endpoints,
            on_queued=webhook_doorbell.provided.ring,
        ),
    )
    # For reads only (GET requests, a creation's first read): each statement on its own, no BEGIN.
    sql_read_unit_of_work = providers.Factory(
        SqlUnitOfWork, engine=engine, timeout=settings.provided.db_timeout, read_only=True
    )
    read_unit_of_work = providers.Selector(
        settings.provided.backend,
        sql=sql_read_unit_of_work,
        memory=providers.Factory(InMemoryUnitOfWork, store=memory_store, read_only=True),
    )
    # Each new wallet in one atomic step: one statement on PostgreSQL, without BEGIN or COMMIT.
    sql_autocommit_unit_of_work = providers.Factory(
        SqlUnitOfWork,
        engine=engine,
        timeout=settings.provided.db_timeout,
        webhook_endpoints=webhook_endpoints,
        on_queued=webhook_doorbell.provided.ring,
        autocommit=True,
    )
    # Made once: it holds only the factory of its units of work.
    wallet_creations = providers.Selector(
        settings.provided.backend,
        sql=providers.Singleton(
            sql_wallet_creations,
            engine=engine,
            transactional=unit_of_work.provider,
            autocommit=sql_autocommit_unit_of_work.provider,
        ),
        memory=providers.Singleton(TransactionalWalletCreations, units=unit_of_work.provider),
    )
    readiness_check = providers.Selector(
        settings.provided.backend,
        sql=providers.Singleton(
            SqlReadinessCheck, engine=engine, timeout=settings.provided.ready_timeout
        ),
        memory=providers.Object(always_ready),
    )
    key_generator = providers.Singleton(StellarKeyGenerator)
    deployment_salt = providers.Selector(
        settings.provided.backend,
        sql=providers.Singleton(SqlDeploymentSalt, engine=engine, pool=settings.provided.pool),
        memory=providers.Callable(lambda store: store.deployment_salt, memory_store),
    )
    # A derivation waits for a slot as long as a unit of work may take (WALLET_DB_TIMEOUT):
    # the one deadline a request has.
    key_cache = providers.Singleton(
        StretchedKeyCache,
        size=settings.provided.key_cache_size,
        ttl_seconds=settings.provided.key_cache_ttl,
        concurrency=settings.provided.kdf_concurrency,
        slot_timeout=settings.provided.db_timeout,
    )
    # The second factor (WALLET_KMS): each backend call is bounded by the request's deadline.
    key_wrapper = providers.Singleton(
        _observed,
        wrapper=providers.Callable(
            lambda settings: settings.kms.key_wrapper(settings.db_timeout), settings
        ),
        on_call=None,
    )
    cipher = providers.Singleton(
        Argon2AeadCipher,
        kdf=settings.provided.kdf,
        keys=key_cache,
        deployment_salt=deployment_salt,
        ceiling=settings.provided.kdf_ceiling,
        wrapper=key_wrapper,
    )

    sealer = providers.Singleton(SealedBoxSealer)
    # The escrow to the offline recovery key (WALLET_RECOVERY_PUBLIC_KEY), or none.
    escrowing = providers.Singleton(
        Escrowing, sealer=sealer, recovery_key=settings.provided.recovery_key
    )
    # The users this process lately saw with a wallet: their creations read first (replays).
    wallet_owners = providers.Singleton(WalletOwners)
    create_user_wallet = providers.Factory(
        CreateUserWallet,
        reader=read_unit_of_work,
        creations=wallet_creations,
        key_generator=key_generator,
        cipher=cipher,
        escrowing=escrowing,
        owners=wallet_owners,
    )
    # A batch: the same creation for each item, under one prepared key.
    create_wallets = providers.Factory(CreateWallets, create=create_user_wallet)
    get_wallet_by_user = providers.Factory(GetWalletByUser, uow=read_unit_of_work)
    register_user = providers.Factory(RegisterUser, uow=unit_of_work)
    get_user = providers.Factory(GetUser, uow=read_unit_of_work)

    signer = providers.Singleton(StellarTransactionSigner)
    # What each wallet may sign: its own policy, else WALLET_SIGNING_POLICY, else the built-in.
    signing_gate = providers.Singleton(
        SigningGate,
        summaries=providers.Singleton(StellarTransactionSummaries),
        default=settings.provided.signing_policy,
    )
    sign_transaction = providers.Factory(
        SignTransaction,
        uow=unit_of_work,
        cipher=cipher,
        signer=signer,
        networks=settings.provided.networks,
        gate=signing_gate,
    )
    get_signing_policy = providers.Factory(GetSigningPolicy, uow=unit_of_work, gate=signing_gate)
    set_signing_policy = providers.Factory(SetSigningPolicy, uow=unit_of_work, gate=signing_gate)
    remove_signing_policy = providers.Factory(
        RemoveSigningPolicy, uow=unit_of_work, gate=signing_gate
    )
    inspector = providers.Singleton(StellarTransactionInspector)
    inspect_transaction = providers.Factory(
        InspectTransaction, inspector=inspector, networks=settings.provided.networks
    )
    transaction_builder = providers.Singleton(StellarTransactionBuilder)
    stellar_network = providers.Singleton(_stellar_network, settings=settings)
    account_transactions = providers.Factory(
        AccountTransactions,
        uow=unit_of_work,
        cipher=cipher,
        signer=signer,
        networks=settings.provided.networks,
        network=stellar_network,
        gate=signing_gate,
    )
    activate_account = providers.Factory(
        ActivateAccount, steps=account_transactions, builder=transaction_builder
    )
    change_signers = providers.Factory(
        ChangeSigners, steps=account_transactions, builder=transaction_builder
    )
    rotate_encryption_key = providers.Factory(
        RotateEncryptionKey,
        uow=unit_of_work,
        cipher=cipher,
        escrowing=escrowing,
    )
    export_wallet = providers.Factory(
        ExportWallet,
        uow=unit_of_work,
        cipher=cipher,
        sealer=sealer,
        allowed=settings.provided.allow_export,
    )
    suspend_wallet = providers.Factory(SuspendWallet, uow=unit_of_work)
    resume_wallet = providers.Factory(ResumeWallet, uow=unit_of_work)
    list_wallet_events = providers.Factory(ListWalletEvents, uow=read_unit_of_work)
    verify_audit_trail = providers.Factory(VerifyAuditTrail, uow_factory=unit_of_work.provider)
    rewrap_all = providers.Factory(
        RewrapAll,
        uow_factory=unit_of_work.provider,
        cipher=cipher,
        batch_size=settings.provided.rotation_batch_size,
    )
    upgrade_envelopes = providers.Factory(
        UpgradeEnvelopes,
        uow_factory=unit_of_work.provider,
        cipher=cipher,
        batch_size=settings.provided.rotation_batch_size,
        escrowing=escrowing,
    )
    get_escrow = providers.Factory(GetEscrow, uow=unit_of_work)
    escrow_all = providers.Factory(
        EscrowAll,
        uow_factory=unit_of_work.provider,
        cipher=cipher,
        escrowing=escrowing,
        batch_size=settings.provided.rotation_batch_size,
    )
    restore_wallets = providers.Factory(
        RestoreWallets,
        uow_factory=unit_of_work.provider,
        cipher=cipher,
        key_generator=key_generator,
        escrowing=escrowing,
        batch_size=settings.provided.rotation_batch_size,
    )
    import_escrows = providers.Factory(
        ImportEscrows,
        uow_factory=unit_of_work.provider,
        cipher=cipher,
        key_generator=key_generator,
        escrowing=escrowing,
    )
    webhook_sender = providers.Singleton(
        StandardWebhookSender,
        secret=settings.provided.webhooks.provided.secret,
        timeout=settings.provided.webhooks.provided.timeout,
        body_of=providers.Object(webhook_body),
    )
    deliver_webhooks = providers.Factory(
        DeliverWebhooks,
        uow_factory=unit_of_work.provider,
        sender=webhook_sender,
        plan=providers.Callable(_dispatch_plan, settings.provided.webhooks),
        doorbell=webhook_doorbell,
    )
    list_deliveries = providers.Factory(ListDeliveries, uow_factory=unit_of_work.provider)
    requeue_deliveries = providers.Factory(RequeueDeliveries, uow=unit_of_work)
    rotate_all_keys = providers.Factory(
        RotateAllKeys,
        uow_factory=unit_of_work.provider,
        cipher=cipher,
        batch_size=settings.provided.rotation_batch_size,
        escrowing=escrowing,
    )


def build_container(settings: Settings | None = None) -> Container:
    """A container on the given settings, or on the environment's."""
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    return container


@asynccontextmanager
async def open_container(
    settings: Settings | None = None, *, apply_migrations: bool = True
) -> AsyncIterator[Container]:
    """A container ready for in-process use: schema migrated (unless told not to), engine disposed
    on exit.
    """
    container = build_container(settings)
    sql = container.settings().backend == "sql"
    try:
        if sql and apply_migrations:
            await migrate(
                container.engine(), lock_timeout=container.settings().migration_lock_timeout
            )
            # The pool's connections belong to this event loop; the app may run in another.
            await container.engine().dispose()
        yield container
    finally:
        await close_clients(container)
        if sql:
            await container.engine().dispose()


async def close_clients(container: Container) -> None:
    """Close the connections to the key-management backend and to the Stellar network, where
    they are configured (their adapters connect lazily: one never used has nothing to close).
    """
    wrapper = container.key_wrapper()
    if wrapper is not None:
        await wrapper.aclose()
    network = container.stellar_network()
    if network is not None:
        await network.aclose()
