"""Security policy database (RFC 4301 §4.4.1, §5.1, §5.2; secgw-reference.md §1.2, §3.2-3.3).

Every policy of each layout with matching traffic both ways (protect, bypass, discard), rules
that overlap with different priorities, default deny, clear traffic arriving where an inbound
protect rule wants ESP, and secgw's pass-through when a family has no rules at all.
"""
from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from harness.scenario.model import Direction, Family, Policy, PolicyAction
from harness.stream.policy_streams import policy_streams
from harness.stream.spec import StreamSpec
from harness.stream.template import HeaderTemplate
from testsuites.conformance.traffic import inbound, outbound

pytestmark = pytest.mark.conformance

LAYOUT_PRESETS = ["tun44-aes128gcm", "tun66-aes128gcm", "tun46-aes128cbc-sha256", "tun64-aes128gcm",
                  "trs4-aes128gcm-w64", "trs6-chacha20"]
net = ipaddress.ip_network


@pytest.mark.parametrize("preset", LAYOUT_PRESETS)
def test_protect_bypass_discard_both_ways(preset: str, exchange, assert_conformant, scenario_of) -> None:
    """A1: every packet passes the SPD both ways; protect encrypts/decrypts, bypass forwards in
    clear, discard drops (and is counted, A14)."""
    sc = scenario_of(preset)
    ex = exchange(sc, list(policy_streams(sc, 8).values()))
    assert_conformant(ex)
    assert ex.result.expected_kinds == {"Encrypt": 8, "Decrypt": 8, "ForwardClear": 16, "Drop": 16}
    assert ex.result.expected_drops == {"sp-discard": 16}


def _overlapping(sc):
    """Two extra outbound rules over the protect prefix 198.19.1.0/24: a discard above the
    protect rule's priority on 198.19.1.128/25 and a bypass below it on 198.19.1.0/25."""
    protect = next(p for p in sc.policies if p.direction is Direction.OUT and p.action is PolicyAction.PROTECT)
    extra = (Policy(Family.IPV4, Direction.OUT, PolicyAction.DISCARD, None, protect.priority + 5,
                    net("198.18.1.0/24"), net("198.19.1.128/25")),
             Policy(Family.IPV4, Direction.OUT, PolicyAction.BYPASS, None, max(protect.priority - 5, 0),
                    net("198.18.1.0/24"), net("198.19.1.0/25")))
    return dataclasses.replace(sc, name=f"{sc.name}-overlap", policies=sc.policies + extra)


@pytest.mark.parametrize("preset", ["tun44-aes128gcm", "trs4-aes128cbc-sha256"])
def test_priorities_and_overlaps(preset: str, exchange, assert_conformant, scenario_of) -> None:
    """A2: overlapping selectors with different actions; the rule of highest priority wins
    (secgw: ACL priority). Both overlap regions are hit, so whichever rule wins, at least two
    different outcomes must appear and each must be what the ordered search says."""
    sc = _overlapping(scenario_of(preset))
    streams = [outbound(sc, 1, 8, dst="198.19.1.9"), outbound(sc, 2, 8, dst="198.19.1.200")]
    ex = exchange(sc, streams)
    assert_conformant(ex)
    assert len(ex.result.expected_kinds) >= 2


@pytest.mark.parametrize("preset", ["tun44-aes128gcm", "tun66-aes128gcm"])
def test_default_deny(preset: str, exchange, assert_conformant, scenario_of) -> None:
    """A1 default deny: with rules present for the family, a packet no rule matches is dropped
    both ways (counted as sp-no-match, A14)."""
    sc = scenario_of(preset)
    v4 = sc.sas[0].inner_family is Family.IPV4
    out_dst, in_src = ("198.19.7.9", "198.19.7.9") if v4 else ("2001:2:0:2:7::9", "2001:2:0:2:7::9")
    ex = exchange(sc, [outbound(sc, 1, 8, dst=out_dst), inbound(sc, 2, 8, "bypass", src=in_src)])
    assert_conformant(ex)
    assert ex.result.expected_drops == {"sp-no-match": 16}


@pytest.mark.parametrize("preset", ["tun44-aes128gcm", "trs6-aes128gcm"])
def test_clear_packet_on_inbound_protect_dropped(preset: str, exchange, assert_conformant, scenario_of) -> None:
    """A4: a clear packet arriving on the unprotected side that matches an inbound protect
    policy is discarded."""
    sc = scenario_of(preset)
    clear = dataclasses.replace(inbound(sc, 1, 8), esp=None)
    ex = exchange(sc, [clear])
    assert_conformant(ex)
    assert ex.result.expected_drops == {"sp-clear-on-protect": 8}


def test_family_without_rules_passes(exchange, assert_conformant, scenario_of, profile) -> None:
    """SG-NO-RULES-PASS (secgw §1.2, §3.2): a tun44 gateway has no IPv6 rules at all, so IPv6
    packets pass in clear both ways. A secgw quirk: under rfc-strict the same packets must be
    dropped by default deny (A1), so a secgw-like DUT is judged non-conformant there."""
    sc = scenario_of("tun44-aes128gcm")
    out6 = StreamSpec(1, HeaderTemplate("2001:2:0:1::5", "2001:2:0:2::9"), 8, port=1)
    in6 = StreamSpec(2, HeaderTemplate("2001:2:0:2::9", "2001:2:0:1::5"), 8, port=0)
    ex = exchange(sc, [out6, in6])
    assert_conformant(ex)
    if profile.no_rules_pass:
        assert ex.result.expected_kinds == {"ForwardClear": 16}
