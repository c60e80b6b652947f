"""DUT profiles: the behaviours in which correct gateways legitimately differ.

A profile is chosen per run. Each field names the rule it follows; findings carry the profile
name and the requirement id of the rule that was applied, so "wrong" always says "wrong by
which book".

- ``secgw-library``: DPDK ipsec-secgw with ``-l`` (secgw-reference.md §3.6), with the two
  deviations the project decided in DESIGN.md: outer IPv6 hop limit 64 (secgw leaves 0) and
  the RFC 4303 replay-window edge (secgw also accepts seq = T - W). ``replace()`` a field to
  model the exact secgw behaviour (``outer_hop_limit=0``, ``replay_edge=ReplayEdge.LIBRARY``).
- ``secgw-legacy``: secgw without ``-l`` (§3.7): inner TTL -1 on encap and on decap, outer ID
  0, no anti-replay, no ESN, tunnel next header not checked.
- ``rfc-strict``: RFC 4301/4303 with RFC 6040 ECN: inner TTL -1 once per forwarded packet
  (RFC 4301 §5.1.2), full RFC 6040 decapsulation table, no pass-through when a policy table is
  empty, SP port selectors read from the real L4 header. Outer ID, DF, TTL and flow label are
  not prescribed by the RFCs for this SA model, so they are not checked beyond sanity (ID:
  RFC 6864 allows any value for atomic datagrams; DF: per SA configuration, which our scenario
  model does not carry; TTL/hop limit: any non-zero value).

Empty policy tables (decided, not an oversight): secgw passes traffic unchecked when a family
and direction has no SP rules at all (SG-NO-RULES-PASS). ``rfc-strict`` judges that FAIL A1,
not WARN: RFC 4301 §4.4.1 requires the SPD to be consulted for all traffic crossing the IPsec
boundary, and §5 states the consequence as a MUST: "If no policy is found in the SPD that
matches a packet (for either inbound or outbound traffic), the packet MUST be discarded". The
RFC lets an administrator write an explicit catch-all BYPASS entry, but an implicit one that
appears only while a table is empty is not an SPD entry. The finding's detail names
SG-NO-RULES-PASS and the cfg fix (an explicit bypass rule), so the reader knows it is the
documented secgw behaviour. Under the secgw profiles the pass-through is the expectation.
"""
from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass


class TtlRule(enum.Enum):
    KEEP = "keep"  # library engine: never touched
    DEC_ENCAP_AND_DECAP = "dec-encap-and-decap"  # legacy engine: -1 on encap, -1 on decap
    DEC_ON_FORWARD = "dec-on-forward"  # RFC 4301 §5.1.2: -1 once per forwarded packet


class OuterIdRule(enum.Enum):
    SEQ_LOW16 = "seq-low16"
    ZERO = "zero"
    ANY = "any"


class EcnDecapRule(enum.Enum):
    SECGW = "secgw"  # outer CE and inner ECT -> CE; everything else unchanged, never dropped
    RFC6040 = "rfc6040"  # RFC 6040 §4.2 Figure 4, incl. ECT(1) propagation and the CE/Not-ECT drop


class ReplayEdge(enum.Enum):
    RFC4303 = "rfc4303"  # accept [T - W + 1, T] (RFC 4303 §3.4.3)
    LIBRARY = "library"  # librte_ipsec: also accepts T - W


class PortSelector(enum.Enum):
    FIXED_OFFSET = "fixed-offset"  # ports at bytes 20-23 (IPv4) / 40-43 (IPv6), secgw §1.2
    L4_PARSE = "l4-parse"  # ports of the real TCP/UDP header after IHL / extension headers


@dataclass(frozen=True)
class Profile:
    name: str
    inner_ttl: TtlRule
    ttl_requirement: str
    outer_id: OuterIdRule
    outer_df: int | None  # expected DF bit, None = not checked
    outer_ttl: int | None  # expected outer IPv4 TTL, None = any non-zero
    outer_hop_limit: int | None  # expected outer IPv6 hop limit, None = any non-zero
    outer_flow_label: int | None  # None = not checked
    outer_requirements: tuple[tuple[str, str], ...]  # outer field -> requirement id it follows
    copy_dscp: bool
    copy_ecn: bool
    ecn_decap: EcnDecapRule
    ecn_requirement: str
    replay_edge: ReplayEdge
    anti_replay: bool  # False: the engine has no anti-replay whatever the window
    esn_supported: bool
    check_next_header: bool  # tunnel next header must be 4/41 per SA
    no_rules_pass: bool  # an empty SP table for family+direction means pass-through
    port_selector: PortSelector
    esp_after_all_extensions: bool  # IPv6 transport: destination options before ESP too (secgw §3.6)

    def outer_requirement(self, field_name: str) -> str:
        """The requirement id an outer-header field is judged by under this profile."""
        return dict(self.outer_requirements).get(field_name, "A6")

    def replace(self, **changes: object) -> "Profile":
        return dataclasses.replace(self, **changes)


_SECGW_OUTER = (("ident", "SG-OUTER-ID"), ("df", "SG-OUTER-DF"), ("ttl", "SG-OUTER-TTL"),
                ("hop_limit", "SG-HOPLIMIT"), ("flow_label", "SG-FLOWLABEL"), ("dscp", "SG-TOS-COPY"),
                ("ecn", "SG-TOS-COPY"))

SECGW_LIBRARY = Profile(
    name="secgw-library", inner_ttl=TtlRule.KEEP, ttl_requirement="SG-TTL-LIB",
    outer_id=OuterIdRule.SEQ_LOW16, outer_df=0, outer_ttl=64, outer_hop_limit=64,
    outer_flow_label=0, outer_requirements=_SECGW_OUTER, copy_dscp=True, copy_ecn=True,
    ecn_decap=EcnDecapRule.SECGW, ecn_requirement="SG-ECN-DECAP", replay_edge=ReplayEdge.RFC4303,
    anti_replay=True, esn_supported=True, check_next_header=True, no_rules_pass=True,
    port_selector=PortSelector.FIXED_OFFSET, esp_after_all_extensions=True,
)

SECGW_LEGACY = SECGW_LIBRARY.replace(
    name="secgw-legacy", inner_ttl=TtlRule.DEC_ENCAP_AND_DECAP, ttl_requirement="SG-TTL-LEGACY",
    outer_id=OuterIdRule.ZERO, anti_replay=False, esn_supported=False, check_next_header=False,
)

RFC_STRICT = Profile(
    name="rfc-strict", inner_ttl=TtlRule.DEC_ON_FORWARD, ttl_requirement="A7",
    outer_id=OuterIdRule.ANY, outer_df=None, outer_ttl=None, outer_hop_limit=None,
    outer_flow_label=None, outer_requirements=(("ecn", "A8"),), copy_dscp=True, copy_ecn=True,
    ecn_decap=EcnDecapRule.RFC6040, ecn_requirement="A8", replay_edge=ReplayEdge.RFC4303,
    anti_replay=True, esn_supported=True, check_next_header=True, no_rules_pass=False,
    port_selector=PortSelector.L4_PARSE, esp_after_all_extensions=False,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (SECGW_LIBRARY, SECGW_LEGACY, RFC_STRICT)}


def get_profile(name: str) -> Profile:
    """The profile called ``name``; the error lists the known names."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown DUT profile {name!r}; choose one of {', '.join(PROFILES)}") from None


# ECN codepoints (RFC 3168 §5)
NOT_ECT, ECT1, ECT0, CE = 0, 1, 2, 3


def ecn_after_decap(rule: EcnDecapRule, outer: int, inner: int) -> int | None:
    """The inner ECN field after decapsulation, or None when the packet must be dropped.

    RFC 6040 §4.2 Figure 4 (rows: inner, columns: outer): Not-ECT inner stays Not-ECT except
    outer CE, which drops; ECT(0) inner takes outer ECT(1) or CE; ECT(1) inner takes CE; CE
    stays CE. secgw (secgw-reference.md §3.6): only outer CE over an ECT inner changes it.
    """
    if rule is EcnDecapRule.SECGW:
        return CE if outer == CE and inner != NOT_ECT else inner
    if inner == NOT_ECT:
        return None if outer == CE else NOT_ECT
    if outer == CE:
        return CE
    if inner == ECT0 and outer == ECT1:
        return ECT1
    return inner
