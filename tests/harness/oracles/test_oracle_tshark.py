"""tshark oracle: pcaps made by the harness encoder decrypt in tshark with icv_good for
GCM and CBC+SHA1/SHA256; a flipped ICV byte gives icv_bad; SAs tshark cannot check come back
as not checkable, never as a pass (shared conformance notes §6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.codec.spec import Corruption, EspField
from harness.oracles.esp_sa_table import esp_sa_record, tshark_capability, write_esp_sa
from harness.oracles.tshark_oracle import tshark_check, tshark_path
from harness.oracles.verdict import OracleStatus

from oracle_samples import spec, write_pcap

needs_tshark = pytest.mark.skipif(tshark_path() is None, reason="tshark is not installed")

CHECKABLE = [spec(0x3001, aead="aes-128-gcm"), spec(0x3002, "aes-128-cbc", "sha1-hmac"),
             spec(0x3003, "aes-256-cbc", "sha256-hmac", v6=True), spec(0x3004, "aes-128-ctr", "sha512-hmac"),
             spec(0x3005, "3des-cbc", "sha384-hmac")]


def test_esp_sa_record_exact_strings() -> None:
    gcm = spec(0x1001, aead="aes-128-gcm")
    assert esp_sa_record(gcm) == (
        f'"IPv4","198.18.0.1","198.19.0.1","0x00001001","AES-GCM with 16 octet ICV [RFC4106]",'
        f'"0x{gcm.aead_key.hex()}","NULL",""')
    cbc = spec(0x20, "aes-128-cbc", "sha256-hmac", v6=True)
    assert esp_sa_record(cbc) == (
        f'"IPv6","2001:2::1","2001:2::2","0x00000020","AES-CBC [RFC3602]","0x{cbc.cipher_key.hex()}",'
        f'"HMAC-SHA-256-128 [RFC4868]","0x{cbc.auth_key.hex()}"')
    assert esp_sa_record(spec(1, aead="chacha20-poly1305")) is None


def test_write_esp_sa_skips_unsupported(tmp_path: Path) -> None:
    path = write_esp_sa([spec(0x3001, aead="aes-128-gcm"), spec(0x3002, aead="aes-128-ccm")], tmp_path / "esp_sa")
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    assert len(lines) == 1 and '"0x00003001"' in lines[0]


@pytest.mark.parametrize("sa,decrypt,icv", [
    (spec(1, aead="chacha20-poly1305"), False, False),
    (spec(1, aead="aes-128-ccm"), False, False),
    (spec(1, "null", "aes-gmac"), False, False),
    (spec(1, "sm4-cbc", "sha1-hmac"), False, False),
    (spec(1, "aes-128-cbc", "aes-xcbc-mac-96"), True, False),
    (spec(1, "aes-128-cbc", "sha256-hmac", esn=True), True, False),
    (spec(1, aead="aes-256-gcm", esn=True), True, False),
    (spec(1, "aes-128-cbc", "sha256-hmac"), True, True),
], ids=["chacha", "ccm", "gmac", "sm4", "xcbc", "cbc-esn", "gcm-esn", "cbc-sha256"])
def test_capabilities(sa, decrypt: bool, icv: bool) -> None:
    cap = tshark_capability(sa)
    assert (cap.decrypt, cap.icv) == (decrypt, icv)
    assert cap.reason or icv


@pytest.mark.oracle
@needs_tshark
def test_encoder_output_verifies_in_tshark(tmp_path: Path) -> None:
    pcap = tmp_path / "esp.pcap"
    spis = write_pcap(pcap, CHECKABLE, 3, corrupt={3: Corruption(flip=EspField.ICV, index=2)})
    views = tshark_check(pcap, CHECKABLE)
    assert [v.spi for v in views] == spis
    for v in views:
        assert v.decrypted, v
        assert v.next_header == 4
        assert v.icv is (OracleStatus.FAIL if v.seq == 3 else OracleStatus.PASS), v


@pytest.mark.oracle
@needs_tshark
def test_uncheckable_sas_are_not_passed(tmp_path: Path) -> None:
    sas = [spec(0x4001, aead="chacha20-poly1305"), spec(0x4002, "aes-128-cbc", "sha256-hmac", esn=True),
           spec(0x4003, "aes-128-cbc", "aes-xcbc-mac-96")]
    pcap = tmp_path / "esp.pcap"
    write_pcap(pcap, sas, 2)
    views = tshark_check(pcap, sas)
    assert len(views) == 6
    assert all(v.icv is OracleStatus.NOT_CHECKABLE and v.detail for v in views)
    assert [v.decrypted for v in views] == [False, False, True, True, True, True]
