"""The Argon2id + XChaCha20-Poly1305 cipher and its text envelope."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.crypto.cipher import Argon2AeadCipher
from adapters.crypto.envelope import Envelope, KdfParams
from adapters.crypto.stellar_keys import StellarKeyGenerator, public_key_of
from domain.errors import EnvelopeCorrupted, WalletKeyMismatch
from domain.model import WalletBinding
from domain.secrets import EncryptionKey, SecretSeed
from tests.support import FAST_KDF, KEY, OTHER_KEY

CIPHER = Argon2AeadCipher(FAST_KDF)
SEED = bytes(range(32))
BINDING = WalletBinding("ada", "G" + "A" * 55)


async def _seal(key: str = KEY, binding: WalletBinding = BINDING) -> str:
    return await CIPHER.encrypt(SecretSeed(SEED), EncryptionKey.from_text(key), binding)


async def test_round_trip() -> None:
    envelope = await _seal()
    opened = await CIPHER.decrypt(envelope, EncryptionKey.from_text(KEY), BINDING)
    assert bytes(opened.reveal()) == SEED


async def test_envelope_layout_records_version_and_parameters() -> None:
    envelope = await _seal()
    assert envelope.startswith("wo1$argon2id$m=64,t=1,p=1$")
    assert len(envelope.split("$")) == 6
    assert envelope != await _seal()


async def test_default_parameters_are_at_least_19_mib_and_2_passes() -> None:
    envelope = await Argon2AeadCipher().encrypt(
        SecretSeed(SEED), EncryptionKey.from_text(KEY), BINDING
    )
    assert Envelope.parse(envelope).params == KdfParams(memory_kib=19 * 1024, iterations=2)


async def test_wrong_key_is_a_mismatch() -> None:
    with pytest.raises(WalletKeyMismatch):
        await CIPHER.decrypt(await _seal(), EncryptionKey.from_text(OTHER_KEY), BINDING)


@pytest.mark.parametrize(
    "binding", [WalletBinding("bob", BINDING.public_key), WalletBinding("ada", "G" + "B" * 55)]
)
async def test_envelope_moved_to_another_wallet_does_not_open(binding: WalletBinding) -> None:
    with pytest.raises(WalletKeyMismatch):
        await CIPHER.decrypt(await _seal(), EncryptionKey.from_text(KEY), binding)


async def test_every_single_character_change_is_rejected() -> None:
    envelope = await _seal()
    key = EncryptionKey.from_text(KEY)
    for index, original in enumerate(envelope):
        replacement = "A" if original != "A" else "B"
        mutated = envelope[:index] + replacement + envelope[index + 1 :]
        with pytest.raises((WalletKeyMismatch, EnvelopeCorrupted)):
            await CIPHER.decrypt(mutated, key, BINDING)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parser_raises_only_the_domain_error(text: str) -> None:
    try:
        Envelope.parse(text)
    except EnvelopeCorrupted:
        return


@pytest.mark.parametrize(
    "params", ["m=0,t=1,p=1", "m=99999999,t=1,p=1", "m=64,t=0,p=1", "m=64,t=1,p=2", "m=064,t=1,p=1"]
)
async def test_out_of_range_parameters_are_refused_before_any_work(params: str) -> None:
    parts = (await _seal()).split("$")
    parts[2] = params
    with pytest.raises(EnvelopeCorrupted):
        await CIPHER.decrypt("$".join(parts), EncryptionKey.from_text(KEY), BINDING)


async def test_generated_keypair_seed_matches_its_public_key() -> None:
    keypair = StellarKeyGenerator().generate()
    assert public_key_of(keypair.seed) == keypair.public_key
    assert keypair.public_key.startswith("G")
    assert len(keypair.seed) == 32
