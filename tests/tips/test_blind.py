"""RFC 9474 blind signatures: the server's half (server/tips/blind.py) and the test phone's half
(tests/tips/blinding.py) reproduce the RFC's test vector for RSABSSA-SHA384-PSS-Deterministic, and a token
made with a fresh key verifies while a changed one does not."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from server.tips import blind

from . import blinding

VECTOR = json.loads((Path(__file__).parent / "rfc9474_pss_deterministic.json").read_text())


def _int(name: str) -> int:
    return int(VECTOR[name], 16)


def _bytes(name: str) -> bytes:
    return bytes.fromhex(VECTOR[name])


@pytest.fixture(scope="module")
def vector_key() -> rsa.RSAPrivateKey:
    p, q, d, e = _int("p"), _int("q"), _int("d"), _int("e")
    public = rsa.RSAPublicNumbers(e, p * q)
    assert public.n == _int("n")
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), public
    )
    return numbers.private_key()


def test_the_rfc_9474_vector_is_reproduced(vector_key: rsa.RSAPrivateKey) -> None:
    public = vector_key.public_key()
    message = _bytes("msg")
    n = _int("n")
    blinded = blinding.blind(public, message, salt=_bytes("salt"), r=pow(_int("inv"), -1, n))
    assert blinded.encoded == _bytes("encoded_msg")
    assert blinded.blinded == _bytes("blinded_msg")
    assert blinded.inv == _int("inv")
    blind_sig = blind.blind_sign(vector_key, blinded.blinded)
    assert blind_sig == _bytes("blind_sig")
    signature = blinding.finalize(public, message, blind_sig, blinded.inv)
    assert signature == _bytes("sig")
    assert blind.verify(public, message, signature)


def test_a_blinded_value_not_below_the_modulus_is_refused(vector_key: rsa.RSAPrivateKey) -> None:
    n = _int("n")
    k = blind.modulus_bytes(vector_key)
    with pytest.raises(blind.BlindSignError):
        blind.blind_sign(vector_key, n.to_bytes(k, "big"))
    with pytest.raises(blind.BlindSignError):
        blind.blind_sign(vector_key, b"\x01" * (k - 1))


def test_a_fresh_key_signs_tokens_that_verify_and_only_they() -> None:
    key = blind.generate_key()
    public = key.public_key()
    message = secrets.token_bytes(32)
    blinded = blinding.blind(public, message)
    signature = blinding.finalize(public, message, blind.blind_sign(key, blinded.blinded), blinded.inv)
    assert blind.verify(public, message, signature)
    assert not blind.verify(public, secrets.token_bytes(32), signature)
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    assert not blind.verify(public, message, tampered)
    assert not blind.verify(public, message, signature[:-1])
    other = blind.generate_key().public_key()
    assert not blind.verify(other, message, signature)
    # What the server signed cannot be told from the token: the blinded value is not the encoded message.
    assert blinded.blinded != blinded.encoded
