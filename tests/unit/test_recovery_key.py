"""The recovery key (issue 16): real shamir-mnemonic round trips through `new_recovery_key` and
`RebuiltRecoveryKey` (any K of N shares in any order rebuild it; fewer, foreign, mixed,
duplicated or mistyped shares do not, with InvalidInput naming recovery_shares and quoting no
word of any share), the sealed box an escrow is opened only by the rebuilt key, `RecoveryKey`
validation and id, and WALLET_RECOVERY_PUBLIC_KEY in the settings."""

import base64
import hashlib
import re
import traceback
from collections.abc import Callable, Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey, PublicKey, SealedBox
from shamir_mnemonic import generate_mnemonics
from shamir_mnemonic.wordlist import WORDLIST

from adapters.crypto.recovery import (
    MAX_SHARES,
    MIN_SHARES,
    Ceremony,
    RebuiltRecoveryKey,
    new_recovery_key,
)
from adapters.crypto.sealed_export import SealedBoxSealer
from domain.errors import EscrowUnreadable, Field, InvalidInput
from domain.ports import EscrowOpener
from domain.recovery import RecoveryKey
from domain.secrets import SecretSeed
from entrypoints.settings import Settings, SettingsError

SEED = bytes(range(32))
FEW = settings(max_examples=12, deadline=None)
NOT_REBUILT = "do not rebuild a recovery key: too few, mistyped, or from different ceremonies"
NOT_A_RECOVERY_KEY = "are not shares of a recovery key"
NONE_GIVEN = "none were given"
OWN_WORDS = {
    word
    for text in (NOT_REBUILT, NOT_A_RECOVERY_KEY, NONE_GIVEN, Field.RECOVERY_SHARES)
    for word in re.findall(r"[a-z]+", text)
}
"""Words of the service's own messages; two of them ("rebuild", "public") are SLIP-39 words."""
WHITESPACE = " \t\n\r\u00a0\u3000"
"""What may separate the words of a share as typed (str.split's whitespace, not only ASCII)."""


def _rebuild(ceremony: Ceremony, indices: Iterable[int]) -> RebuiltRecoveryKey:
    return RebuiltRecoveryKey([ceremony.shares[index] for index in indices])


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _assert_quotes_no_share(error: BaseException, shares: Iterable[str]) -> None:
    """Neither the message, the repr nor the printed traceback of `error` holds a word of any
    share (beyond the words of the service's own text) or two consecutive words of one."""
    words = [_tokens(share) for share in shares]
    every_word = {word for share in words for word in share}
    pairs = {tuple(share[i : i + 2]) for share in words for i in range(len(share) - 1)}
    for text in (str(error), repr(error), *getattr(error, "args", ())):
        assert not (set(_tokens(str(text))) & every_word) - OWN_WORDS, text
    printed = _tokens("".join(traceback.format_exception(error)))
    assert not {tuple(printed[i : i + 2]) for i in range(len(printed) - 1)} & pairs
    assert error.__cause__ is None
    # The library's error, which may quote words, is not even kept with it.
    assert error.__context__ is None


def _refused(shares: list[str], reason: str = NOT_REBUILT) -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        RebuiltRecoveryKey(shares)
    error = raised.value
    assert error.field == Field.RECOVERY_SHARES
    assert str(error) == f"recovery_shares: {reason}"
    _assert_quotes_no_share(error, shares)
    return error


def _sealed(recovery_key: RecoveryKey, seed: bytes = SEED) -> str:
    with SecretSeed(seed) as secret:
        return SealedBoxSealer().seal(secret, recovery_key.public_key)


def _opened(opener: EscrowOpener, sealed: str) -> bytes:
    with opener.open(sealed) as seed:
        return bytes(seed.reveal())


@pytest.fixture(scope="module")
def ceremony() -> Ceremony:
    return new_recovery_key(5, 3)


@pytest.fixture(scope="module")
def other_ceremony() -> Ceremony:
    return new_recovery_key(5, 3)


# The ceremony and the round trip


def test_a_ceremony_gives_n_slip39_shares_and_a_valid_public_key(ceremony: Ceremony) -> None:
    assert len(ceremony.shares) == 5
    assert len(set(ceremony.shares)) == 5
    for share in ceremony.shares:
        assert len(share.split()) == 33  # a 256-bit secret: 33 words
        assert set(share.split()) <= set(WORDLIST)
    assert RecoveryKey(ceremony.recovery_key.public_key) == ceremony.recovery_key


def test_k_shares_rebuild_the_ceremonys_key(ceremony: Ceremony) -> None:
    rebuilt = _rebuild(ceremony, [0, 1, 2])
    assert rebuilt.public_key == ceremony.recovery_key.public_key
    assert rebuilt.recovery_key == ceremony.recovery_key
    assert rebuilt.recovery_key.key_id == ceremony.recovery_key.key_id


def test_two_ceremonies_make_different_keys(ceremony: Ceremony, other_ceremony: Ceremony) -> None:
    assert ceremony.recovery_key != other_ceremony.recovery_key
    assert ceremony.recovery_key.key_id != other_ceremony.recovery_key.key_id
    assert not set(ceremony.shares) & set(other_ceremony.shares)


@FEW
@given(data=st.data())
def test_any_k_of_n_in_any_order_rebuild_the_key(data: st.DataObject) -> None:
    shares = data.draw(st.integers(MIN_SHARES, MAX_SHARES), label="N")
    threshold = data.draw(st.integers(MIN_SHARES, shares), label="K")
    ceremony = new_recovery_key(shares, threshold)
    assert len(ceremony.shares) == shares
    order = data.draw(st.permutations(range(shares)), label="order")
    assert _rebuild(ceremony, order[:threshold]).public_key == ceremony.recovery_key.public_key


@FEW
@given(data=st.data())
def test_k_minus_one_shares_do_not_rebuild(data: st.DataObject) -> None:
    shares = data.draw(st.integers(MIN_SHARES, MAX_SHARES), label="N")
    threshold = data.draw(st.integers(MIN_SHARES, shares), label="K")
    ceremony = new_recovery_key(shares, threshold)
    order = data.draw(st.permutations(range(shares)), label="order")
    _refused([ceremony.shares[index] for index in order[: threshold - 1]])


def test_one_share_given_k_times_does_not_count_as_k(ceremony: Ceremony) -> None:
    _refused([ceremony.shares[0]] * 3)
    _refused([ceremony.shares[0], ceremony.shares[1], ceremony.shares[1]])


def test_another_ceremonys_shares_rebuild_another_key(
    ceremony: Ceremony, other_ceremony: Ceremony
) -> None:
    theirs = _rebuild(other_ceremony, [4, 0, 2])
    assert theirs.public_key == other_ceremony.recovery_key.public_key
    assert theirs.public_key != ceremony.recovery_key.public_key
    with pytest.raises(EscrowUnreadable):
        theirs.open(_sealed(ceremony.recovery_key))


def test_more_than_k_shares_rebuild_the_key_too(ceremony: Ceremony) -> None:
    """An officer who types all N shares is not told they are too few: the first K are used."""
    for typed in (ceremony.shares, ceremony.shares[1:], (*ceremony.shares[:3], ceremony.shares[0])):
        assert RebuiltRecoveryKey(list(typed)).public_key == ceremony.recovery_key.public_key


@pytest.mark.parametrize(
    ("mine", "theirs"),
    [([0, 1], [2]), ([0], [1, 2]), ([0, 1, 2], [3]), ([3, 4], [0])],
    ids=["2+1", "1+2", "3+1", "2+1-other-indices"],
)
def test_shares_of_two_ceremonies_mixed_do_not_rebuild(
    ceremony: Ceremony, other_ceremony: Ceremony, mine: list[int], theirs: list[int]
) -> None:
    mixed = [ceremony.shares[i] for i in mine] + [other_ceremony.shares[i] for i in theirs]
    _refused(mixed)
    _refused(list(reversed(mixed)))


@FEW
@given(
    share=st.integers(0, 2),
    position=st.integers(0, 32),
    replacement=st.sampled_from(WORDLIST),
)
def test_a_word_swapped_for_another_word_does_not_rebuild(
    share: int, position: int, replacement: str
) -> None:
    ceremony = new_recovery_key(3, 3)
    words = ceremony.shares[share].split()
    if words[position] == replacement:
        replacement = WORDLIST[(WORDLIST.index(replacement) + 1) % len(WORDLIST)]
    words[position] = replacement
    shares = list(ceremony.shares)
    shares[share] = " ".join(words)
    _refused(shares)


@pytest.mark.parametrize(
    "typo",
    [
        lambda word: word + "x",
        lambda word: word[:-1],
        lambda word: word[1:] + word[0],
        lambda word: "",
        lambda word: f"{word} {word}",
    ],
    ids=["letter-added", "letter-dropped", "letters-moved", "word-dropped", "word-doubled"],
)
@pytest.mark.parametrize("position", [0, 5, 32])
def test_a_mistyped_word_does_not_rebuild(
    ceremony: Ceremony, position: int, typo: Callable[[str], str]
) -> None:
    words = ceremony.shares[1].split()
    words[position] = typo(words[position])
    _refused([ceremony.shares[0], " ".join(words), ceremony.shares[2]])


def _typed(share: str, capitals: int, gaps: list[str], edges: tuple[str, str]) -> str:
    """`share` as someone may type it: letters capitalised where `capitals` has a bit set,
    words separated by `gaps`, surrounded by `edges`."""
    letters = iter(range(10_000))
    words = [
        "".join(c.upper() if capitals >> next(letters) & 1 else c for c in word)
        for word in share.split()
    ]
    joined = "".join(word + gap for word, gap in zip(words, gaps, strict=False)) + words[-1]
    return edges[0] + joined + edges[1]


_GAPS = st.lists(st.text(alphabet=WHITESPACE, min_size=1, max_size=3), min_size=32, max_size=32)
_EDGES = st.tuples(
    st.text(alphabet=WHITESPACE, max_size=3), st.text(alphabet=WHITESPACE, max_size=3)
)


@FEW
@given(
    capitals=st.lists(st.integers(0, 2**300), min_size=2, max_size=2),
    gaps=st.lists(_GAPS, min_size=2, max_size=2),
    edges=st.lists(_EDGES, min_size=2, max_size=2),
    blank=st.lists(st.text(alphabet=WHITESPACE, max_size=2), max_size=2),
)
def test_runs_of_whitespace_leading_trailing_and_case_are_tolerated(
    capitals: list[int], gaps: list[list[str]], edges: list[tuple[str, str]], blank: list[str]
) -> None:
    ceremony = new_recovery_key(3, 2)
    typed = [
        _typed(share, *typing)
        for share, typing in zip(
            ceremony.shares[1:], zip(capitals, gaps, edges, strict=True), strict=True
        )
    ]
    rebuilt = RebuiltRecoveryKey([*blank, typed[0], *blank, typed[1]])
    assert rebuilt.public_key == ceremony.recovery_key.public_key


@pytest.mark.parametrize("shares", [[], [""], ["  ", "\n\t"]], ids=["none", "empty", "blank"])
def test_no_shares_at_all_are_refused(shares: list[str]) -> None:
    _refused(shares, NONE_GIVEN)


def test_shares_of_a_secret_that_is_not_a_recovery_key_are_refused() -> None:
    (shares,) = generate_mnemonics(1, [(2, 3)], bytes(range(16)))
    _refused(shares[:2], NOT_A_RECOVERY_KEY)


def test_text_that_is_no_share_is_refused() -> None:
    _refused(["correct horse battery staple", "academic acid acne"])
    _refused(["ünïcödé wörds", "\x00"])


@pytest.mark.parametrize(
    ("shares", "threshold"),
    [(2, 2), (3, 2), (5, 3), (16, 2), (16, 16)],
)
def test_bounds_that_hold_make_a_ceremony(shares: int, threshold: int) -> None:
    ceremony = new_recovery_key(shares, threshold)
    assert len(ceremony.shares) == shares
    rebuilt = _rebuild(ceremony, range(shares - threshold, shares))
    assert rebuilt.public_key == ceremony.recovery_key.public_key


@pytest.mark.parametrize(
    ("shares", "threshold"),
    [(2, 1), (1, 1), (3, 4), (17, 3), (17, 17), (0, 0), (-1, 2), (5, 0), (16, 17)],
)
def test_bounds_that_do_not_hold_are_refused(shares: int, threshold: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        new_recovery_key(shares, threshold)
    assert raised.value.field == Field.RECOVERY_SHARES


@given(shares=st.integers(-3, 20), threshold=st.integers(-3, 20))
@settings(max_examples=60, deadline=None)
def test_a_ceremony_is_made_exactly_when_2_le_k_le_n_le_16(shares: int, threshold: int) -> None:
    if MIN_SHARES <= threshold <= shares <= MAX_SHARES:
        assert len(new_recovery_key(shares, threshold).shares) == shares
    else:
        with pytest.raises(InvalidInput, match=r"^recovery_shares: "):
            new_recovery_key(shares, threshold)


def test_neither_the_ceremony_nor_the_rebuilt_key_shows_a_share(ceremony: Ceremony) -> None:
    rebuilt = _rebuild(ceremony, [0, 1, 2])
    assert re.fullmatch(
        r"<adapters\.crypto\.recovery\.Ceremony object at 0x[0-9a-f]+>", repr(ceremony)
    )
    assert str(ceremony) == repr(ceremony)
    shown = f"RebuiltRecoveryKey(public_key={ceremony.recovery_key.public_key!r})"
    assert repr(rebuilt) == str(rebuilt) == shown


# The escrow's sealed box


def test_a_sealed_box_to_the_ceremonys_key_opens_with_the_rebuilt_key(
    ceremony: Ceremony,
) -> None:
    sealed = _sealed(ceremony.recovery_key)
    assert (
        len(base64.b64decode(sealed, validate=True)) == 32 + 48
    )  # the seed, and the ephemeral key and tag
    for indices in ([0, 1, 2], [4, 2, 0], [1, 3, 4]):
        assert _opened(_rebuild(ceremony, indices), sealed) == SEED


def test_the_rebuilt_key_is_an_escrow_opener(ceremony: Ceremony) -> None:
    opener: EscrowOpener = _rebuild(ceremony, [0, 1, 2])
    assert opener.public_key == ceremony.recovery_key.public_key


def _damaged(sealed: str) -> list[str]:
    raw = base64.b64decode(sealed)
    flipped = bytearray(raw)
    flipped[40] ^= 1
    return [
        "",
        "not base64!",
        sealed[:-1],  # not a multiple of four characters
        sealed.replace("=", "") + "A",
        " " + sealed,
        "é" + sealed,
        base64.b64encode(raw[:-1]).decode(),  # truncated box
        base64.b64encode(raw[:47]).decode(),  # shorter than the box's overhead
        base64.b64encode(raw[32:]).decode(),  # its ephemeral key cut off
        base64.b64encode(bytes(flipped)).decode(),
        base64.b64encode(raw + b"\x00").decode(),
    ]


def test_a_damaged_or_truncated_box_is_escrow_unreadable(ceremony: Ceremony) -> None:
    rebuilt = _rebuild(ceremony, [0, 1, 2])
    sealed = _sealed(ceremony.recovery_key)
    for damaged in _damaged(sealed):
        with pytest.raises(EscrowUnreadable) as raised:
            rebuilt.open(damaged)
        assert raised.value.wallet_id is None
        assert SEED.hex() not in str(raised.value)
    assert _opened(rebuilt, sealed) == SEED


def test_a_box_sealed_to_another_key_is_escrow_unreadable(
    ceremony: Ceremony, other_ceremony: Ceremony
) -> None:
    mine = _rebuild(ceremony, [0, 1, 2])
    theirs = _rebuild(other_ceremony, [0, 1, 2])
    with pytest.raises(EscrowUnreadable):
        theirs.open(_sealed(ceremony.recovery_key))
    with pytest.raises(EscrowUnreadable):
        mine.open(_sealed(other_ceremony.recovery_key))
    stray = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    with pytest.raises(EscrowUnreadable):
        mine.open(_sealed(RecoveryKey(stray)))


def test_a_box_that_does_not_hold_32_bytes_is_escrow_unreadable(ceremony: Ceremony) -> None:
    rebuilt = _rebuild(ceremony, [0, 1, 2])
    box = SealedBox(PublicKey(base64.b64decode(ceremony.recovery_key.public_key)))
    for payload in (b"", bytes(16), bytes(33), bytes(64)):
        with pytest.raises(EscrowUnreadable, match="32-byte seed"):
            rebuilt.open(base64.b64encode(box.encrypt(payload)).decode())


@FEW
@given(seed=st.binary(min_size=32, max_size=32))
def test_any_seed_comes_back_as_it_was_sealed(seed: bytes) -> None:
    ceremony = new_recovery_key(2, 2)
    sealed = _sealed(ceremony.recovery_key, seed)
    assert _opened(_rebuild(ceremony, [1, 0]), sealed) == seed


# RecoveryKey


def _public_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64 at all",
        "é" * 44,
        _public_key(bytes(range(31))),
        _public_key(bytes(range(33))),
        _public_key(bytes(range(64))),
        _public_key(bytes(range(32))).rstrip("="),
        _public_key(bytes(range(32)))[:-2] + "1=",  # non-zero trailing bits
        _public_key(bytes(range(32))) + "\n",
        " " + _public_key(bytes(range(32))),
        _public_key(bytes([0xFB] * 32)).replace("+", "-").replace("/", "_"),
        bytes(range(32)).hex(),
    ],
    ids=[
        "empty",
        "words",
        "non-ascii",
        "31-bytes",
        "33-bytes",
        "64-bytes",
        "unpadded",
        "non-canonical",
        "newline",
        "leading-space",
        "url-safe",
        "hex",
    ],
)
def test_recovery_key_refuses_what_is_not_32_bytes_of_canonical_base64(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        RecoveryKey(text)
    assert raised.value.field == Field.RECOVERY_PUBLIC_KEY


def test_the_url_safe_case_really_differs_from_standard_base64() -> None:
    standard = _public_key(bytes([0xFB] * 32))
    assert "/" in standard or "+" in standard
    RecoveryKey(standard)


def test_key_id_is_rk_and_16_hex_of_the_keys_sha256() -> None:
    raw = bytes(PrivateKey(bytes([7]) * 32).public_key)
    key = RecoveryKey(_public_key(raw))
    assert key.key_id == "rk-" + hashlib.sha256(raw).hexdigest()[:16]
    assert re.fullmatch(r"rk-[0-9a-f]{16}", key.key_id)
    assert RecoveryKey(_public_key(raw)).key_id == key.key_id  # the same key, the same id
    other = RecoveryKey(_public_key(bytes(PrivateKey(bytes([8]) * 32).public_key)))
    assert other.key_id != key.key_id


def test_key_id_is_the_same_for_the_ceremony_and_the_rebuilt_key(ceremony: Ceremony) -> None:
    raw = base64.b64decode(ceremony.recovery_key.public_key)
    expected = "rk-" + hashlib.sha256(raw).hexdigest()[:16]
    assert ceremony.recovery_key.key_id == expected
    assert _rebuild(ceremony, [2, 3, 4]).recovery_key.key_id == expected


# WALLET_RECOVERY_PUBLIC_KEY


@pytest.mark.parametrize(
    "value",
    [
        "my-private-recovery-words-do-not-echo",
        _public_key(bytes(range(31))),
        _public_key(bytes(range(32)))[:-2] + "1=",
        _public_key(bytes(range(32))).rstrip("="),
        _public_key(bytes([0xFB] * 32)).replace("+", "-").replace("/", "_"),
    ],
    ids=["text", "31-bytes", "non-canonical", "unpadded", "url-safe"],
)
def test_a_bad_recovery_public_key_is_a_settings_error_that_does_not_quote_it(
    value: str,
) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"WALLET_RECOVERY_PUBLIC_KEY": value})
    message = str(raised.value)
    assert "WALLET_RECOVERY_PUBLIC_KEY" in message
    for shown in (message, repr(raised.value), "".join(traceback.format_exception(raised.value))):
        assert value not in shown
        assert value.rstrip("=")[:12] not in shown
    assert raised.value.__cause__ is None


def test_a_good_recovery_public_key_is_read_around_whitespace(ceremony: Ceremony) -> None:
    value = ceremony.recovery_key.public_key
    for text in (value, f"  {value}\n"):
        read = Settings.from_env({"WALLET_RECOVERY_PUBLIC_KEY": text}).recovery_key
        assert read == ceremony.recovery_key
    for unset in ({}, {"WALLET_RECOVERY_PUBLIC_KEY": ""}, {"WALLET_RECOVERY_PUBLIC_KEY": "  "}):
        assert Settings.from_env(unset).recovery_key is None


def test_a_low_order_recovery_public_key_is_a_settings_error() -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"WALLET_RECOVERY_PUBLIC_KEY": _public_key(bytes(32))})


def test_a_low_order_recovery_key_cannot_be_sealed_to() -> None:
    """What makes the case above a bug: nothing can ever be escrowed to such a key."""
    with pytest.raises(InvalidInput) as raised:
        _sealed(RecoveryKey(_public_key(bytes(32))))
    assert raised.value.field == Field.RECIPIENT_PUBLIC_KEY
