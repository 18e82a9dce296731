"""What every load run must leave behind, and the load client with the tests' token."""

from sqlalchemy import func, select

from adapters.sql.tables import users, wallets
from domain.model import WalletBinding
from domain.secrets import EncryptionKey
from entrypoints.container import open_container
from harness import load
from harness.load import LoadReport
from tests.support import TOKEN, settings_for


class LoadClient(load.LoadClient):
    """The harness's load client, bearing the token of `tests.support`."""

    def __init__(self, base_url: str, connections: int, timeout: float = 30.0) -> None:
        super().__init__(base_url, connections, token=TOKEN, timeout=timeout)


def assert_one_wallet_per_user(*reports: LoadReport) -> None:
    """Across the runs, every user's successful responses name one wallet, and at most one of
    them created it."""
    for user_id in {user_id for report in reports for user_id in report.by_user}:
        outcomes = [outcome for report in reports for outcome in report.by_user.get(user_id, [])]
        bodies = [body for status, body in outcomes if status in {200, 201} and body]
        assert len({(b["walletId"], b["publicKey"]) for b in bodies}) <= 1, user_id
        assert sum(status == 201 for status, _ in outcomes) <= 1, user_id


def assert_problems_well_formed(report: LoadReport) -> None:
    """Every error was problem+json, and every 503 said when to retry."""
    assert report.non_problem_errors == 0
    assert report.unavailable_without_retry_after == 0


async def check_stored_invariants(database_url: str, key: str) -> int:
    """No user with two wallets, no wallet without its user, and every wallet opens with the key
    to a seed whose public key is the row's. Returns the number of wallets."""
    async with open_container(settings_for(database_url), apply_migrations=False) as container:
        engine = container.engine()
        async with engine.connect() as connection:
            doubled = await connection.scalar(
                select(func.count()).select_from(
                    select(wallets.c.userId)
                    .group_by(wallets.c.userId)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
            orphans = await connection.scalar(
                select(func.count())
                .select_from(wallets.outerjoin(users, users.c.id == wallets.c.userId))
                .where(users.c.id.is_(None))
            )
            rows = (await connection.execute(select(wallets))).all()
        assert (doubled, orphans) == (0, 0)
        cipher, keys = container.cipher(), container.key_generator()
        with EncryptionKey.from_text(key) as encryption_key:
            for row in rows:
                binding = WalletBinding(row.userId, row.publicKey)
                with await cipher.decrypt(row.encryptedKey, encryption_key, binding) as seed:
                    assert keys.public_key_of(seed) == row.publicKey
        return len(rows)
