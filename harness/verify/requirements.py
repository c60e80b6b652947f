"""The requirement catalogue as data: every id a finding may cite.

RFC requirements (E*, A*, G*, N*) are those of conformance-requirements.md, with the RFC
section they come from. Gateway-behaviour ids (SG-*) name DPDK ipsec-secgw behaviours from
secgw-reference.md that are not RFC requirements but that a gateway claiming secgw
compatibility shows; a deviation from one is a WARN, never a FAIL.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.Enum):
    """RFC 2119 requirement level; SECGW marks an observed secgw behaviour, not a rule."""

    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"
    SECGW = "SECGW"


@dataclass(frozen=True)
class Requirement:
    id: str
    source: str  # "RFC 4303" or "secgw-reference.md"
    section: str
    level: Level
    text: str


def _r(rid: str, source: str, section: str, level: Level, text: str) -> Requirement:
    return Requirement(rid, source, section, level, text)


M, S, O, SG = Level.MUST, Level.SHOULD, Level.MAY, Level.SECGW
_4303, _4301, _SG = "RFC 4303", "RFC 4301", "secgw-reference.md"

_ALL: tuple[Requirement, ...] = (
    # ESP, RFC 4303
    _r("E1", _4303, "2.1", M, "SPI 0 is never sent; 1-255 are reserved"),
    _r("E2", _4303, "2.2, 3.3.3", M, "the first packet sent on a new SA has sequence number 1"),
    _r("E3", _4303, "3.3.3", M, "the sequence number increases by exactly one per packet sent on the SA"),
    _r("E4", _4303, "3.3.3", M, "the 32-bit counter never cycles without ESN"),
    _r("E5", _4303, "2.2.1, 3.3.3", M, "ESN: low 32 bits on the wire, high 32 bits only in ICV/AAD"),
    _r("E6", _4303, "3.4.3", M, "anti-replay rejects duplicates and packets left of the window"),
    _r("E7", _4303, "3.4.3", M, "the replay window advances only after the ICV verified"),
    _r("E8", _4303, "Appendix A2/A3", M, "ESN receive-side high-bit inference"),
    _r("E9", _4303, "3.4.4", M, "ICV checked before decryption; failure means discard and audit"),
    _r("E10", _4303, "2.4", M, "default padding bytes are 1, 2, 3, ...; the receiver SHOULD check them"),
    _r("E11", _4303, "2.4", M, "pad length and next header end on a 4-byte boundary; ciphertext a multiple of the block"),
    _r("E12", _4303, "2.4, 3.4", M, "a pad length larger than the payload means drop"),
    _r("E13", _4303, "2.6", M, "next header 59 (dummy packet) is dropped silently by the receiver"),
    _r("E14", _4303, "2.7", O, "TFC padding after the inner packet is tolerated in tunnel mode"),
    _r("E15", _4303, "3.4.1", M, "inbound fragments are reassembled before ESP processing"),
    _r("E16", _4303, "3.3.4", M, "outbound fragmentation happens after ESP"),
    _r("E17", _4303, "3.4.2", M, "an unknown SPI means discard and audit"),
    _r("E18", _4303, "3.2, 5", M, "integrity-only ESP is supported; NULL/NULL is not a valid SA"),
    _r("ESP-NH", _4303, "2.6", M, "next header names the payload: 4/41 in tunnel mode, the original protocol in transport"),
    _r("E19", _4303, "3.4", M, "packets too short for header, IV and ICV are dropped"),
    _r("ESP-POS", "RFC 4303 / RFC 8200", "3.1.1 / 4.1", M,
       "transport over IPv6: ESP follows the hop-by-hop, routing and fragment headers (destination options may follow ESP)"),
    # Architecture, RFC 4301 (ECN per RFC 6040)
    _r("A1", _4301, "4.4.1, 5", M, "every packet passes the SPD: PROTECT, BYPASS or DISCARD"),
    _r("A2", _4301, "4.4.1", M, "SPD search is ordered: the first match by priority wins"),
    _r("A3", _4301, "5.1", M, "outbound PROTECT with no SA means discard"),
    _r("A4", _4301, "5.2", M, "a clear packet matching an inbound PROTECT policy is discarded"),
    _r("A5", _4301, "5.2", M, "a decrypted packet must match the policy of the SA it came through"),
    _r("A6", _4301, "5.1.2.1, 5.1.2.2", M,
       "tunnel header: outer addresses from the SA, DSCP copied, DF per SA, new TTL, lengths and checksum correct"),
    _r("A7", _4301, "5.1.2", M, "forwarding decrements the inner TTL / hop limit once"),
    _r("A8", "RFC 4301 / RFC 6040", "5.1.2; 4.1-4.2", M,
       "ECN copied on encapsulation; decapsulation per the RFC 6040 table"),
    _r("A9", _4301, "6.1, 6.2, 8.2", M, "ICMP errors for tunnel packets are processed and relayed"),
    _r("A10", _4301, "8.1", M, "DF set and packet plus overhead above PMTU means ICMP to the source"),
    _r("A11", _4301, "7", M, "non-initial fragments against port selectors"),
    _r("A12", _4301, "4.4.2.1, 4.5", M, "SA lifetimes: not used after hard expiry"),
    _r("A13", _4301, "4.4.2.1", M, "sequence counter overflow: audit and stop"),
    _r("A14", _4301, "4.4, 5.2", M, "every auditable drop is counted under its reason"),
    # Algorithms
    _r("G1", "RFC 4106", "3.1, 4, 8.1", M, "AES-GCM: 8-byte explicit IV; nonce = salt || IV"),
    _r("G2", "RFC 4106", "5", M, "AES-GCM AAD = SPI || seq (8 B) or SPI || 64-bit ESN (12 B)"),
    _r("G3", "RFC 4106", "6", M, "AES-GCM ICV of 16 bytes"),
    _r("G4", "RFC 4106 / RFC 3686 / RFC 7634", "3.1 / 3 / 2", M,
       "counter-mode and AEAD IVs never repeat under one key"),
    _r("G5", "RFC 4543", "3", M, "AES-GMAC: no encryption; AAD covers SPI, seq, IV and payload"),
    _r("G6", "RFC 3602", "3", M, "AES-CBC IV of 16 bytes, unpredictable"),
    _r("G7", "RFC 4868", "2", M, "HMAC-SHA-2 ICV truncated to half the digest"),
    _r("G8", "RFC 3686", "4, 5", M, "AES-CTR counter block = nonce || IV || counter from 1"),
    _r("G9", "RFC 7634", "2, Appendix A", M, "ChaCha20-Poly1305: nonce = salt || IV; 16-byte ICV"),
    _r("G10", "RFC 8221", "5, 6", M, "algorithm requirement levels"),
    # NAT traversal, RFC 3948
    _r("N1", "RFC 3948", "2.1", M, "ESP in UDP on port 4500 (ports from the SA)"),
    _r("N2", "RFC 3948", "2.1", S, "UDP checksum sent as 0 over IPv4; receiver must not depend on it"),
    _r("N3", "RFC 3948", "2.2", M, "non-ESP marker separates IKE from ESP"),
    _r("N4", "RFC 3948", "2.3", M, "NAT-keepalives are never forwarded"),
    _r("N5", "RFC 3948", "3.1.2", M, "transport decapsulation fixes the inner L4 checksum"),
    # secgw behaviours (secgw-reference.md)
    _r("SG-TTL-LIB", _SG, "3.6", SG, "library engine keeps the inner TTL / hop limit on encap and decap"),
    _r("SG-TTL-LEGACY", _SG, "3.7", SG, "legacy engine decrements the inner TTL / hop limit on encap and on decap"),
    _r("SG-OUTER-ID", _SG, "3.6, 3.7", SG, "outer IPv4 ID = low 16 bits of the sequence (library) or 0 (legacy)"),
    _r("SG-OUTER-DF", _SG, "3.6", SG, "outer IPv4 DF never set, not copied"),
    _r("SG-OUTER-TTL", _SG, "3.6", SG, "outer IPv4 TTL 64"),
    _r("SG-HOPLIMIT", _SG, "3.6", SG, "outer IPv6 hop limit (secgw leaves 0; the reference gateway uses 64)"),
    _r("SG-FLOWLABEL", _SG, "3.6", SG, "outer IPv6 flow label 0"),
    _r("SG-TOS-COPY", _SG, "3.6", SG, "outer TOS/TC = whole inner TOS/TC (DSCP and ECN)"),
    _r("SG-ECN-DECAP", _SG, "3.6", SG, "decap: outer CE and inner ECT means inner CE; Not-ECT kept, never dropped"),
    _r("SG-NO-RULES-PASS", _SG, "1.2, 3.2, 3.3", SG, "no SP rules for a family and direction: packets pass unchecked"),
    _r("SG-ESP-ON-PROTECTED", _SG, "3.3", SG, "ESP received on a protected port is dropped"),
    _r("SG-NON-IP", _SG, "3.1", SG, "non-IP frames are dropped"),
    _r("SG-PORT-OFFSET", _SG, "1.2", SG, "SP port selectors read at fixed offsets 20/40 of the IP header"),
    _r("SG-REPLAY-EDGE", _SG, "3.6", SG, "library anti-replay also accepts seq = T - W"),
    _r("SG-ESP-AFTER-EXT", _SG, "3.6", SG, "transport over IPv6: ESP after all extension headers, destination options included"),
    _r("SG-NEXT-HEADER", _SG, "3.6", SG, "library engine drops a tunnel packet whose next header is not 4/41 per SA"),
    _r("SG-L2", _SG, "3.8", SG, "Ethernet src = DUT port MAC, dst = neighbour MAC"),
    _r("SG-ROUTE", _SG, "3.8", SG, "longest-prefix match on the (outer) destination; a miss drops"),
    _r("SG-CHECKSUM", _SG, "3.8", SG, "IPv4 header checksum recomputed for every forwarded packet"),
    _r("SG-COUNTERS", _SG, "3.9", SG, "drop counters per reason"),
    _r("R-IP-VALID", "RFC 1812", "5.2.2", M, "a router drops packets whose IP header is not valid"),
    # correlation (not RFC rules: a packet was lost, duplicated or not expected)
    _r("X-DELIVERY", "harness", "verify", M, "every packet expected to leave the DUT leaves it exactly once"),
    _r("X-INTACT", "RFC 4303", "3.3, 3.4", M,
       "the inner packet is carried byte for byte, apart from the profile's TTL and ECN rules"),
    _r("X-UNEXPECTED", "harness", "verify", M, "the DUT emits no packet that was not expected"),
    _r("X-ORACLE", "harness", "oracles", M,
       "independent ESP implementations (scapy, tshark) agree with the harness on sampled egress frames: "
       "ICV verdict, SPI, sequence, next header, inner bytes"),
)

CATALOGUE: dict[str, Requirement] = {r.id: r for r in _ALL}


def requirement(rid: str) -> Requirement:
    """The catalogue entry for ``rid``; a KeyError names the unknown id."""
    try:
        return CATALOGUE[rid]
    except KeyError:
        raise KeyError(f"unknown requirement id {rid!r}") from None
