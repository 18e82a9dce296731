"""Which users were lately seen to have a wallet: a bounded hint, kept in this process only."""

from collections import OrderedDict

DEFAULT_SIZE = 10_000
"""Users remembered by default: some 1.5 MB of user ids at most."""


class WalletOwners:
    """The `size` users most lately seen to have a wallet (created, replayed, or refused under
    another key), least recently seen forgotten first; 0 remembers none. A hint, never a fact:
    a wallet stored by another process, or forgotten here, is simply not known. CreateUserWallet
    reads first for a user known here, since that creation is most likely a replay.
    """

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 0:
            raise ValueError("size must be at least 0")
        self._size = size
        self._users: OrderedDict[str, None] = OrderedDict()

    def remember(self, user_id: str) -> None:
        if self._size == 0:
            return
        self._users[user_id] = None
        self._users.move_to_end(user_id)
        if len(self._users) > self._size:
            self._users.popitem(last=False)

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._users

    def __len__(self) -> int:
        return len(self._users)

    def __repr__(self) -> str:
        return f"WalletOwners(size={self._size}, known={len(self._users)})"
