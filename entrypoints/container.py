"""The composition root: one container that picks adapters by configuration."""

from dependency_injector import containers, providers

from adapters.crypto.cipher import Argon2AeadCipher
from adapters.crypto.stellar_keys import StellarKeyGenerator
from adapters.memory import InMemoryStore, InMemoryUnitOfWork
from adapters.sql.engine import create_engine
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.create_user_wallet import CreateUserWallet
from application.get_user import GetUser
from application.get_wallet_by_user import GetWalletByUser
from application.register_user import RegisterUser
from entrypoints.settings import Settings


class Container(containers.DeclarativeContainer):
    """Engines, stores and crypto are singletons; units of work and use cases are made per call."""

    settings = providers.Singleton(Settings.from_env)

    engine = providers.Singleton(
        create_engine, database_url=settings.provided.database_url, pool=settings.provided.pool
    )
    memory_store = providers.Singleton(InMemoryStore)

    unit_of_work = providers.Selector(
        settings.provided.backend,
        sql=providers.Factory(SqlUnitOfWork, engine=engine),
        memory=providers.Factory(InMemoryUnitOfWork, store=memory_store),
    )
    key_generator = providers.Singleton(StellarKeyGenerator)
    cipher = providers.Singleton(Argon2AeadCipher, kdf=settings.provided.kdf)

    create_user_wallet = providers.Factory(
        CreateUserWallet, uow=unit_of_work, key_generator=key_generator, cipher=cipher
    )
    get_wallet_by_user = providers.Factory(GetWalletByUser, uow=unit_of_work)
    register_user = providers.Factory(RegisterUser, uow=unit_of_work)
    get_user = providers.Factory(GetUser, uow=unit_of_work)


def build_container(settings: Settings | None = None) -> Container:
    """A container on the given settings, or on the environment's."""
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    return container
