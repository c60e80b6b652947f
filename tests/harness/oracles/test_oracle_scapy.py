"""scapy oracle: verdicts for good, damaged and unsupported packets."""

from __future__ import annotations

import pytest

from harness.codec.esp_encode import EspEncoder
from harness.codec.spec import Corruption, EspField
from harness.oracles.scapy_oracle import scapy_decrypt
from harness.oracles.verdict import OracleStatus

from oracle_samples import inner, spec


@pytest.mark.oracle
@pytest.mark.parametrize("sa", [spec(1, aead="aes-128-gcm"), spec(2, "aes-128-cbc", "sha256-hmac")],
                         ids=["gcm", "cbc-sha256"])
def test_pass_and_fail(sa) -> None:
    enc = EspEncoder(sa)
    good = enc.encode(inner(), 5)
    verdict = scapy_decrypt(sa, good)
    assert verdict.status is OracleStatus.PASS and verdict.inner == inner()
    bad = enc.encode(inner(), 5, corrupt=Corruption(flip=EspField.CIPHERTEXT, index=3))
    assert scapy_decrypt(sa, bad).status is OracleStatus.FAIL
    assert scapy_decrypt(sa, good).status is OracleStatus.PASS  # the input was not mutated


@pytest.mark.parametrize("sa", [spec(1, "aes-128-cbc", "aes-xcbc-mac-96"), spec(1, "sm4-cbc", "sha1-hmac"),
                                spec(1, "aes-128-cbc", "sm3-hmac")], ids=["xcbc", "sm4", "sm3"])
def test_not_checkable_says_why(sa) -> None:
    verdict = scapy_decrypt(sa, EspEncoder(sa).encode(inner(), 1))
    assert verdict.status is OracleStatus.NOT_CHECKABLE and "scapy has no" in verdict.detail
