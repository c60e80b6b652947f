"""Interop with an independent implementation: scapy's ``SecurityAssociation``
(scapy.layers.ipsec), both directions, for the algorithms scapy supports. scapy's decrypt
mutates its input, so it always gets a freshly parsed packet."""
from __future__ import annotations

import pytest
from scapy.layers.inet import IP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import ESP, SecurityAssociation

from esp_helpers import V4_DST, V4_SRC, V6_DST, V6_SRC, inner4, inner6, sa_pair, sa_rule
from gateway_ref.cfg.records import Family, SaMode
from gateway_ref.esp import esp_decrypt, esp_encrypt

pytestmark = pytest.mark.oracle

# (our keywords, scapy crypt algo, scapy auth algo, crypt key bytes scapy takes)
SUITES = [
    ({"aead": "aes-128-gcm"}, "AES-GCM", None, 20),
    ({"aead": "aes-256-gcm"}, "AES-GCM", None, 36),
    ({"aead": "aes-128-ccm"}, "AES-CCM", None, 19),  # scapy: 3-byte salt, secgw ignores the 4th
    ({"aead": "chacha20-poly1305"}, "CHACHA20-POLY1305", None, 36),
    ({"cipher": "aes-128-cbc", "auth": "sha1-hmac"}, "AES-CBC", "HMAC-SHA1-96", 16),
    ({"cipher": "aes-256-cbc", "auth": "sha256-hmac"}, "AES-CBC", "SHA2-256-128", 32),
    ({"cipher": "aes-192-cbc", "auth": "sha384-hmac"}, "AES-CBC", "SHA2-384-192", 24),
    ({"cipher": "aes-128-ctr", "auth": "sha512-hmac"}, "AES-CTR", "SHA2-512-256", 20),
    ({"cipher": "3des-cbc", "auth": "sha1-hmac"}, "3DES", "HMAC-SHA1-96", 24),
    ({"cipher": "null", "auth": "sha256-hmac"}, "NULL", "SHA2-256-128", 0),
    ({"cipher": "null", "auth": "aes-gmac"}, "AES-NULL-GMAC", None, 20),
]
IDS = ["+".join(s[0].values()) for s in SUITES]
MODES = {"tun44": (SaMode.IPV4_TUNNEL, Family.IPV4), "tun66": (SaMode.IPV6_TUNNEL, Family.IPV6),
         "trs4": (SaMode.TRANSPORT, Family.IPV4), "trs6": (SaMode.TRANSPORT, Family.IPV6)}


def _scapy_sa(rule, crypt: str, auth: str | None, klen: int, esn: bool, mode: SaMode) -> SecurityAssociation:
    if rule.aead_algo:
        ckey = rule.aead_key[:klen]
    elif rule.auth_algo == "aes-gmac":
        ckey = rule.auth_key
    else:
        ckey = rule.cipher_key[:klen] if klen else None
    tunnel = None
    if mode is SaMode.IPV4_TUNNEL:
        tunnel = IP(src=V4_SRC, dst=V4_DST)
    elif mode is SaMode.IPV6_TUNNEL:
        tunnel = IPv6(src=V6_SRC, dst=V6_DST)
    return SecurityAssociation(ESP, spi=rule.spi, crypt_algo=crypt, crypt_key=ckey,
                               auth_algo=auth or "NULL", auth_key=rule.auth_key if auth else None,
                               tunnel_header=tunnel, esn_en=esn, esn=0)


def _parse(wire: bytes, outer: Family):
    return IP(wire) if outer is Family.IPV4 else IPv6(wire)


@pytest.mark.parametrize("esn", [False, True], ids=["noesn", "esn"])
@pytest.mark.parametrize("mode_id", list(MODES))
@pytest.mark.parametrize("algos,crypt,auth,klen", SUITES, ids=IDS)
def test_ours_to_scapy_and_back(algos, crypt, auth, klen, mode_id, esn) -> None:
    mode, fam = MODES[mode_id]
    rule = sa_rule(mode=mode, **algos)
    tx, rx = sa_pair(rule, fam, esn=esn)
    ssa = _scapy_sa(rule, crypt, auth, klen, esn, mode)
    pkt = inner4(b"interop" * 5) if fam is Family.IPV4 else inner6(b"interop" * 5)

    wire = esp_encrypt(tx, pkt)  # ours -> scapy
    assert isinstance(wire, bytes)
    got = ssa.decrypt(_parse(wire, tx.params.outer_family))
    assert bytes(got) == pkt

    ssa.seq_num = 7  # scapy -> ours
    sent = bytes(ssa.encrypt(_parse(pkt, fam)))
    res = esp_decrypt(rx, sent)
    assert res == (pkt, fam)
