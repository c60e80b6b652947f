"""Byte-for-byte comparison of a forwarded or (de)capsulated packet with the expected bytes.

When the bytes differ the difference is attributed field by field, each under the rule that
governs it: TTL / hop limit (the profile's TTL rule: RFC 4301 §5.1.2 or secgw §3.6/§3.7), ECN
(RFC 6040 or secgw §3.6), IPv4 header checksum (RFC 1812 §5.2.2), and anything else, which
must be carried unchanged (RFC 4303 §3.3/§3.4). Observed Ethernet padding is ignored.
"""
from __future__ import annotations

from harness.verify.findings import Finding, PacketRef, make_finding
from harness.verify.inner_edit import recompute_ipv4_checksum, tos_of, ttl_of
from harness.verify.observe import ip_length
from harness.verify.profiles import Profile


def _normalised(observed: bytes, expected: bytes) -> bytes:
    """``observed`` with expected TTL, ECN and DSCP written in (so the rest can be compared)."""
    out = bytearray(observed)
    if expected[0] >> 4 == 4:
        out[8], out[1] = expected[8], expected[1]
        return recompute_ipv4_checksum(bytes(out))
    out[7] = expected[7]
    out[0] = (out[0] & 0xF0) | (expected[0] & 0x0F)
    out[1] = (out[1] & 0x0F) | (expected[1] & 0xF0)
    return bytes(out)


def compare_l3(expected: bytes, observed: bytes, profile: Profile, ref: PacketRef, *, what: str,
               frame: bytes | None = None) -> list[Finding]:
    """Findings for every way ``observed`` (an IP packet) differs from ``expected``.

    ``what`` prefixes field names: "inner" for the packet inside ESP, "ip" for a clear one.
    """
    observed = observed[:ip_length(observed)]
    if observed == expected:
        return []
    name = profile.name
    if len(observed) < 20 or observed[0] >> 4 != expected[0] >> 4:
        return [make_finding("X-INTACT", name, ref, f"{what}.packet", f"IPv{expected[0] >> 4} packet",
                             observed[:1].hex(), expected_bytes=expected, observed_bytes=observed, frame=frame)]
    out: list[Finding] = []
    if ttl_of(observed) != ttl_of(expected):
        out.append(make_finding(profile.ttl_requirement, name, ref, f"{what}.ttl", ttl_of(expected),
                                ttl_of(observed), frame=frame, detail=f"inner TTL rule {profile.inner_ttl.value}"))
    exp_tos, obs_tos = tos_of(expected), tos_of(observed)
    if exp_tos & 3 != obs_tos & 3:
        out.append(make_finding(profile.ecn_requirement, name, ref, f"{what}.ecn", exp_tos & 3, obs_tos & 3,
                                frame=frame, detail=f"ECN rule {profile.ecn_decap.value}"))
    if exp_tos >> 2 != obs_tos >> 2:
        out.append(make_finding("X-INTACT", name, ref, f"{what}.dscp", exp_tos >> 2, obs_tos >> 2, frame=frame))
    if expected[0] >> 4 == 4 and len(observed) >= 20 and observed != expected:
        fixed = recompute_ipv4_checksum(observed)
        if fixed[10:12] != observed[10:12]:
            out.append(make_finding("R-IP-VALID", name, ref, f"{what}.checksum", fixed[10:12].hex(),
                                    observed[10:12].hex(), frame=frame))
    if _normalised(observed, expected) != expected:
        out.append(make_finding("X-INTACT", name, ref, f"{what}.bytes", f"{len(expected)} bytes as sent",
                                f"{len(observed)} bytes, changed", expected_bytes=expected,
                                observed_bytes=observed, frame=frame))
    return out
