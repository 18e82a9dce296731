"""Domain rules: ids, validation, and secrets that never show themselves."""

import pickle
import uuid

import pytest

from domain.errors import InvalidInput
from domain.ids import new_id
from domain.model import User, Wallet
from domain.secrets import EncryptionKey, SecretSeed
from tests.support import KEY


def test_ids_are_uuid7_and_time_ordered() -> None:
    ids = [new_id() for _ in range(200)]
    assert all(uuid.UUID(value).version == 7 for value in ids)
    assert all(uuid.UUID(value).variant == uuid.RFC_4122 for value in ids)
    prefixes = [value[:13] for value in ids]
    assert prefixes == sorted(prefixes)
    assert len(set(ids)) == len(ids)


def test_secrets_redact_themselves_and_wipe() -> None:
    key = EncryptionKey.from_text(KEY)
    seed = SecretSeed(b"\x01" * 32)
    for secret in (key, seed):
        assert "redacted" in repr(secret)
        assert "redacted" in str(secret)
        assert KEY not in repr(secret)
        assert KEY not in f"{secret}"
        with pytest.raises(TypeError):
            pickle.dumps(secret)
    buffer = seed.reveal()
    with seed:
        pass
    assert buffer == bytearray()
    assert len(seed) == 0


class _ClearRecorder(bytearray):
    """A buffer that remembers what it held when it was cleared."""

    at_clear: bytes | None = None

    def clear(self) -> None:
        self.at_clear = bytes(self)
        super().clear()


def test_a_wipe_overwrites_the_secret_before_it_lets_the_buffer_go() -> None:
    seed = SecretSeed(b"\x01" * 32)
    recorder = _ClearRecorder(seed.reveal())
    seed._buffer = recorder
    seed.wipe()
    assert recorder.at_clear == bytes(32)
    assert len(seed) == 0


@pytest.mark.parametrize("text", ["", "x" * 15, "x" * 1025, "\ud800" * 16])
def test_encryption_key_length_and_encoding(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        EncryptionKey.from_text(text)
    assert text not in str(raised.value) or text == ""


def test_wallet_repr_hides_its_envelope() -> None:
    user = User.register("ada@example.com", "ada")
    wallet = Wallet.create_for(user.id, "G" + "A" * 55, "wo1$secret-envelope")
    assert "secret-envelope" not in repr(wallet)


def test_same_registration() -> None:
    user = User.register("ada@example.com", "ada")
    assert user.is_same_registration("ada@example.com", None)
    assert user.is_same_registration("ada@example.com", "ada")
    assert not user.is_same_registration("ada@example.com", "bob")
    assert not user.is_same_registration("bob@example.com", "ada")
