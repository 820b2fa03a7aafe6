"""PII primitives are the national ones (SM4, SM3); seals bind their context, keys rotate, checks never raise."""

from __future__ import annotations

from datetime import date

import pytest
from baoxue_common.pii import (
    PiiKeyError,
    SealedNationalId,
    Sm4GcmCipher,
    check_national_id,
    derived_key,
    mask_national_id,
    national_id_hash,
    seal_national_id,
)
from baoxue_common.testing import national_id
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum.cn import ric

K0 = derived_key("unit-test-pii-secret-k0-0123456789abcdef", "k0")
K1 = derived_key("unit-test-pii-secret-k1-0123456789abcdef", "k1")
INDEX_KEY = "unit-test-blind-index-key-0123456789abcdef"
BIRTH = date(2015, 3, 4)
VALID = national_id("522601", BIRTH, 123)
PUPIL = "G" + VALID
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def sm4_ecb(key: bytes, block: bytes) -> bytes:
    """One SM4 block encryption straight from `cryptography`, no mode around it."""
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def reference_hmac_sm3(key: bytes, message: bytes) -> bytes:
    """RFC 2104 HMAC built by hand over SM3 (64-byte block), independent of the HMAC class pii.py uses."""
    if len(key) > 64:
        key = sm3(key)
    key = key.ljust(64, b"\0")
    inner = sm3(bytes(b ^ 0x36 for b in key) + message)
    return sm3(bytes(b ^ 0x5C for b in key) + inner)


def test_sm4_known_answer_from_gb_t_32907() -> None:
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    assert sm4_ecb(key, key).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm3_known_answer_for_abc() -> None:
    assert sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


@pytest.mark.parametrize("key", [INDEX_KEY, "k" * 64, "a-key-longer-than-one-sm3-block-" * 4])
def test_blind_index_is_hmac_sm3_of_the_normalised_number(key: str) -> None:
    expected = reference_hmac_sm3(key.encode(), VALID.encode()).hex()
    assert national_id_hash(key, VALID) == expected
    assert national_id_hash(key, f" {VALID.lower()} ") == expected


def test_the_seal_is_sm4_in_gcm_counter_mode() -> None:
    """The ciphertext body is the plaintext XOR SM4(key, nonce || counter from 2): GCM over SM4, nothing else."""
    plain = VALID.encode()
    key_id, sealed = Sm4GcmCipher({"k0": K0}, "k0").encrypt(VALID, PUPIL)
    nonce, body = sealed[:12], sealed[12:-16]
    assert (key_id, len(body), len(sealed)) == ("k0", len(plain), 12 + len(plain) + 16)
    stream = b"".join(sm4_ecb(K0, nonce + (2 + i).to_bytes(4, "big")) for i in range(2))
    assert bytes(p ^ s for p, s in zip(plain, stream, strict=False)) == body


def test_seal_and_open_round_trip_with_a_fresh_nonce_each_time() -> None:
    cipher = Sm4GcmCipher({"k0": K0}, "k0")
    first, second = cipher.encrypt(VALID, PUPIL), cipher.encrypt(VALID, PUPIL)
    assert first[1] != second[1], "a fresh nonce: the same number never seals to the same bytes"
    assert VALID.encode() not in first[1]
    assert cipher.decrypt(*first, PUPIL) == cipher.decrypt(*second, PUPIL) == VALID


def test_a_seal_opens_only_under_its_own_context() -> None:
    cipher = Sm4GcmCipher({"k0": K0}, "k0")
    key_id, sealed = cipher.encrypt(VALID, PUPIL)
    with pytest.raises(PiiKeyError, match="failed authentication"):
        cipher.decrypt(key_id, sealed, "G" + national_id("522601", BIRTH, 124))


@pytest.mark.parametrize(
    "where", [0, 11, 12, 20, -17, -1], ids=["nonce", "nonce-end", "body", "body-2", "body-end", "tag"]
)
def test_a_tampered_seal_is_refused(where: int) -> None:
    cipher = Sm4GcmCipher({"k0": K0}, "k0")
    key_id, sealed = cipher.encrypt(VALID, PUPIL)
    tampered = bytearray(sealed)
    tampered[where] ^= 0x01
    with pytest.raises(PiiKeyError):
        cipher.decrypt(key_id, bytes(tampered), PUPIL)


@pytest.mark.parametrize("sealed", [b"", b"\0" * 27, b"\0" * 28])
def test_truncated_or_empty_seals_are_refused(sealed: bytes) -> None:
    with pytest.raises(PiiKeyError):
        Sm4GcmCipher({"k0": K0}, "k0").decrypt("k0", sealed, PUPIL)


def test_an_unknown_key_id_is_refused() -> None:
    _, sealed = Sm4GcmCipher({"k0": K0}, "k0").encrypt(VALID, PUPIL)
    with pytest.raises(PiiKeyError, match="'k9'"):
        Sm4GcmCipher({"k0": K0}, "k0").decrypt("k9", sealed, PUPIL)


def test_a_value_sealed_under_the_wrong_key_is_refused() -> None:
    _, sealed = Sm4GcmCipher({"k0": K0}, "k0").encrypt(VALID, PUPIL)
    with pytest.raises(PiiKeyError):
        Sm4GcmCipher({"k0": K1}, "k0").decrypt("k0", sealed, PUPIL)


def test_rotation_old_seals_open_while_the_old_key_is_configured() -> None:
    old = Sm4GcmCipher({"k0": K0}, "k0").encrypt(VALID, PUPIL)
    rotated = Sm4GcmCipher({"k0": K0, "k1": K1}, "k1")
    assert rotated.decrypt(*old, PUPIL) == VALID
    new = rotated.encrypt(VALID, PUPIL)
    assert new[0] == "k1"
    assert rotated.decrypt(*new, PUPIL) == VALID
    with pytest.raises(PiiKeyError):
        Sm4GcmCipher({"k1": K1}, "k1").decrypt(*old, PUPIL)  # k0 retired too early


def test_the_active_key_must_be_configured_and_keys_must_be_128_bit() -> None:
    with pytest.raises(ValueError, match="not among the keys"):
        Sm4GcmCipher({"k0": K0}, "k1")
    with pytest.raises(ValueError, match="16 bytes"):
        Sm4GcmCipher({"k0": K0 + b"x"}, "k0")


def test_derived_keys_are_16_bytes_and_differ_by_secret_and_key_id() -> None:
    keys = {derived_key(s, k) for s in ("secret-a" * 4, "secret-b" * 4) for k in ("k0", "k1")}
    assert len(keys) == 4
    assert all(len(k) == 16 for k in keys)


def test_seal_national_id_keeps_index_seal_key_id_and_mask() -> None:
    cipher = Sm4GcmCipher({"k0": K0, "k1": K1}, "k1")
    with_x = next(n for n in (national_id("110101", BIRTH, s) for s in range(1000)) if n.endswith("X"))
    sealed = seal_national_id(cipher, INDEX_KEY, f" {with_x.lower()} ", "G" + with_x)
    assert isinstance(sealed, SealedNationalId)
    assert sealed.index == national_id_hash(INDEX_KEY, with_x)
    assert sealed.key_id == "k1"
    assert sealed.masked == with_x[:4] + "*" * 10 + with_x[-4:]
    assert sealed.masked.endswith("X"), "the stored form is the normalised (upper-case, stripped) number"
    assert cipher.decrypt(sealed.key_id, sealed.sealed, "G" + with_x) == with_x
    assert with_x.encode() not in sealed.sealed


@pytest.mark.parametrize(
    ("number", "masked"),
    [("52260120150304123X", "5226**********123X"), ("123456789", "1234*6789"), ("12345678", "********"), ("", "")],
)
def test_masking_keeps_only_the_first_and_last_four(number: str, masked: str) -> None:
    assert mask_national_id(number) == masked


def test_check_accepts_a_good_number_and_its_birth_date() -> None:
    assert check_national_id(VALID) is None
    assert check_national_id(VALID, BIRTH) is None


def test_check_accepts_a_lowercase_x() -> None:
    with_x = next(n for n in (national_id("110101", BIRTH, s) for s in range(1000)) if n.endswith("X"))
    assert check_national_id(with_x.lower(), BIRTH) is None


@pytest.mark.parametrize(
    ("number", "why"),
    [
        pytest.param(VALID[:-1] + ("0" if VALID[-1] != "0" else "1"), "check digit", id="bad-check-digit"),
        pytest.param(national_id("527081", BIRTH, 7), "birth-place code is not recognised", id="unknown-place"),
        pytest.param(VALID.translate(FULL_WIDTH), "17 digits", id="full-width-digits"),
        pytest.param(VALID[:17], "length", id="short"),
    ],
)
def test_check_refuses_with_a_reason(number: str, why: str) -> None:
    reason = check_national_id(number)
    assert reason is not None and why in reason
    assert number not in reason, "the reason never echoes the number"


def test_check_refuses_a_birth_date_that_does_not_exist() -> None:
    body = "52260120150230123"  # 30 February, with a correct check digit
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    number = body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    reason = check_national_id(number)
    assert reason is not None and reason.startswith("not a valid resident ID number")


def test_check_refuses_a_birth_date_that_does_not_match() -> None:
    assert check_national_id(VALID, date(2015, 3, 5)) == "the birth date in the ID number does not match birth_date"


@given(number=st.text(max_size=40), birth=st.none() | st.dates())
@example(number=national_id("527081", BIRTH, 7), birth=None)
@example(number="９" * 18, birth=None)
@example(number="0" * 17 + "x", birth=date(2000, 1, 1))
def test_check_never_raises_on_arbitrary_text(number: str, birth: date | None) -> None:
    reason = check_national_id(number, birth)
    assert reason is None or isinstance(reason, str)
    if reason is None:
        assert len(number) == 18 and number[:17].isascii() and number[:17].isdigit()


@given(body=st.text(alphabet="0123456789", min_size=17, max_size=17), last=st.sampled_from("0123456789Xx"))
def test_check_never_raises_on_well_shaped_numbers(body: str, last: str) -> None:
    reason = check_national_id(body + last)
    assert reason is None or reason.startswith("not a valid resident ID number (")


def _stdnum_accepts(number: str) -> bool:
    try:
        return ric.is_valid(number)
    except Exception:  # its KeyError on some birth-place codes
        return False


_PLACES = ["110101", "110105", "522601", "527081", "440305", "650101", "130100", "990000", "320583", "110100"]


@given(
    place=st.sampled_from(_PLACES),
    born=st.dates(date(1900, 1, 1), date(2030, 12, 31)),
    seq=st.integers(0, 999),
    last=st.sampled_from("0123456789Xx"),
)
def test_check_agrees_with_python_stdnum(place: str, born: date, seq: int, last: str) -> None:
    """The cached birth-place lookup accepts exactly the numbers python-stdnum's validate accepts."""
    number = f"{place}{born:%Y%m%d}{seq:03d}{last}"
    assert (check_national_id(number) is None) == _stdnum_accepts(number), number
    valid = national_id(place, born, seq)
    assert (check_national_id(valid) is None) == _stdnum_accepts(valid), valid
