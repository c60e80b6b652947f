"""Round trips for every algorithm keyword x tunnel 4in4/6in6/4in6/6in4 and transport 4/6 (IPv6
with extension headers) x ESN on/off, plus per-packet invariants of the library engine."""
from __future__ import annotations

import pytest
from scapy.layers.inet import UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting

from esp_helpers import IN6_DST, IN6_SRC, inner4, sa_pair, sa_rule
from gateway_ref.cfg.records import Family, SaMode
from gateway_ref.esp import Engine, esp_decrypt, esp_encrypt
from gateway_ref.proto import ipv4, ipv6
from gateway_ref.proto.algorithms import AEADS, AUTHS, CIPHERS

# every keyword at least once: AEADs alone, each cipher with an auth, each auth with a cipher
SUITES: list[tuple[str, dict]] = (
    [(a, {"aead": a}) for a in AEADS]
    + [(f"{c}+sha1-hmac", {"cipher": c, "auth": "sha1-hmac"}) for c in CIPHERS]
    + [(f"aes-128-cbc+{a}", {"cipher": "aes-128-cbc", "auth": a}) for a in AUTHS if a != "aes-gmac"]
    + [("null+aes-gmac", {"cipher": "null", "auth": "aes-gmac"})]
)
MODES = {  # id: (mode, inner family)
    "tun44": (SaMode.IPV4_TUNNEL, Family.IPV4),
    "tun66": (SaMode.IPV6_TUNNEL, Family.IPV6),
    "tun46": (SaMode.IPV6_TUNNEL, Family.IPV4),  # IPv4 inside IPv6
    "tun64": (SaMode.IPV4_TUNNEL, Family.IPV6),
    "trs4": (SaMode.TRANSPORT, Family.IPV4),
    "trs6": (SaMode.TRANSPORT, Family.IPV6),
}


def _engine(algos: dict) -> Engine:
    """Library engine unless an algorithm exists only in the legacy engine (DES, SM4)."""
    table = {"aead": AEADS, "cipher": CIPHERS, "auth": AUTHS}
    ok = all(table[k][n].library for k, n in algos.items())
    return Engine.LIBRARY if ok else Engine.LEGACY


def _ttl_minus(pkt: bytes, n: int) -> bytes:
    """PKT with TTL/hop limit lowered by N (legacy engine: once on encap, once on decap)."""
    b = bytearray(pkt)
    for _ in range(n):
        if b[0] >> 4 == 4:
            ipv4.decrement_ttl(b)
        else:
            ipv6.decrement_hop_limit(b)
    return bytes(b)


def _ipv6_with_ext(payload: bytes) -> bytes:
    return bytes(IPv6(src=IN6_SRC, dst=IN6_DST) / IPv6ExtHdrHopByHop()
                 / IPv6ExtHdrRouting(addresses=["2001:2:0:30::1"]) / IPv6ExtHdrDestOpt()
                 / UDP(sport=1024, dport=2048) / payload)


@pytest.mark.parametrize("esn", [False, True], ids=["noesn", "esn"])
@pytest.mark.parametrize("mode_id", list(MODES))
@pytest.mark.parametrize("suite_id,algos", SUITES, ids=[s[0] for s in SUITES])
def test_round_trip(suite_id: str, algos: dict, mode_id: str, esn: bool) -> None:
    mode, fam = MODES[mode_id]
    engine = _engine(algos)
    if esn and engine is Engine.LEGACY:
        pytest.skip("the legacy engine has no ESN (secgw-reference §3.7)")
    tx, rx = sa_pair(sa_rule(mode=mode, **algos), fam, esn=esn, engine=engine)
    if esn:  # start just below an epoch boundary so the high bits matter
        tx.rt.seq = rx.rt.top = (1 << 32) - 2
    for size in (0, 1, 17, 200):
        payload = bytes(range(size))
        pkt = _ipv6_with_ext(payload) if fam is Family.IPV6 else inner4(payload)
        wire = esp_encrypt(tx, pkt)
        assert isinstance(wire, bytes)
        res = esp_decrypt(rx, wire)
        want = _ttl_minus(pkt, 2) if engine is Engine.LEGACY and mode is not SaMode.TRANSPORT else pkt
        assert res == (want, fam), f"{suite_id} {mode_id} size {size}"
    assert rx.rt.packets == tx.rt.packets == 4
    assert rx.rt.drops == {}


@pytest.mark.parametrize("suite_id,algos", SUITES, ids=[s[0] for s in SUITES])
def test_ciphertext_length_is_aligned_and_ivs_unique(suite_id: str, algos: dict) -> None:
    engine = _engine(algos)
    tx, _ = sa_pair(sa_rule(**algos), Family.IPV4, engine=engine)
    p = tx.params
    ivs = set()
    for size in range(0, 40):
        wire = esp_encrypt(tx, inner4(bytes(size)))
        assert isinstance(wire, bytes)
        ct_len = len(wire) - 20 - 8 - p.iv_len - p.icv_len
        assert ct_len % p.align == 0 and ct_len >= len(inner4(bytes(size))) + 2
        ivs.add(wire[28:28 + p.iv_len])
    if p.iv_len:
        assert len(ivs) == 40


def test_transport6_esp_goes_after_every_extension_header() -> None:
    tx, _ = sa_pair(sa_rule(mode=SaMode.TRANSPORT), Family.IPV6)
    pkt = _ipv6_with_ext(b"abc")
    wire = esp_encrypt(tx, pkt)
    assert isinstance(wire, bytes)
    nh_off, nh, off = ipv6.walk(wire)
    assert nh == 50
    assert off == ipv6.walk(pkt)[2]  # same chain length: ESP right after DestOpt
    # only the payload length and the last next-header byte change
    assert wire[:4] == pkt[:4] and wire[6:nh_off] == pkt[6:nh_off]
    assert wire[nh_off + 1:off] == pkt[nh_off + 1:off]
    assert ipv6.payload_len(wire) == len(wire) - 40
