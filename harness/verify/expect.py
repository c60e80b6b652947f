"""The expected-transform model: what a correct gateway does with each sent packet.

Written from RFC 4301 §5 (outbound §5.1, inbound §5.2 processing), RFC 4303 §3.3-3.4 (ESP
outbound and inbound, sequence numbers, anti-replay, ICV, padding) and secgw-reference.md §3
(port roles, classification, quirks), with the choices of a ``Profile``. Packets are processed
in the order they were sent; per-SA state (outbound sequence counters, inbound replay windows)
carries across the sequence.

Classification (secgw §3.1): runt and non-IP frames drop; IPv4 is trimmed to its total
length. A frame received on a protected port is outbound (ESP there drops); on an unprotected
port inbound (ESP goes to the SAD, then decrypted and clear packets meet the inbound SPD).
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

from harness.codec.ethernet import EtherType
from harness.scenario.model import Direction, Family, Policy, PolicyAction, PortRole, SecurityAssociation
from harness.scenario.scenario import Scenario
from harness.stream.builder import SentPacket
from harness.verify.bulk import cyclic_gc_paused
from harness.verify.esp_open import EspOpener, problem_names
from harness.verify.expectations import (DROP_REQUIREMENT, Decrypt, Drop, DropReason, Encrypt,
                                         Expectation, ForwardClear, FrameKey, OuterExpect)
from harness.verify.inner_edit import recompute_ipv4_checksum, tos_of, with_ecn, with_ttl_delta
from harness.verify.ipview import IpView, parse_ip
from harness.verify.policy import Routes, Spd, build_spds
from harness.verify.profiles import (OuterIdRule, Profile, TtlRule, ecn_after_decap)
from harness.verify.replay import ReplayWindow
from harness.verify.sent import SentView, sent_view

# secgw's neighbour MACs for ports 0-3 when no `neigh` line names them (secgw §1.5)
SECGW_DEFAULT_NEIGH = {0: "00:16:3e:7e:94:9a", 1: "00:16:3e:22:a1:d9", 2: "00:16:3e:08:69:26",
                       3: "00:16:3e:49:9e:dd"}
_ESP = 50
_MAX_SEQ32 = 0xFFFFFFFF
_SECGW_ESN_MIN_WINDOW = 64  # an ESN SA gets a window of at least 64 (secgw §2, -e)


def _drop(view: SentView, reason: DropReason, detail: str = "") -> Drop:
    return Drop(view.index, view.key, reason, DROP_REQUIREMENT[reason], detail)


class GatewayModel:
    """The scenario's tables plus the per-SA state one run accumulates."""

    def __init__(self, scenario: Scenario, profile: Profile) -> None:
        self.scenario, self.profile = scenario, profile
        self.spds = build_spds(scenario.policies)
        self.routes = Routes(scenario.routes)
        self.roles = {p.id: p.role for p in scenario.ports}
        self.dut_mac = {p.id: p.dut_mac for p in scenario.ports}
        self.neigh = {n.port: n.mac for n in scenario.neighbours}
        self.sa_out = {sa.spi: sa for sa in scenario.sas if sa.direction is Direction.OUT}
        self.sa_in = {sa.spi: sa for sa in scenario.sas if sa.direction is Direction.IN}
        self.out_seq = {spi: max(sa.esn_start, 1) for spi, sa in self.sa_out.items()}
        self.windows = {spi: self._window(sa) for spi, sa in self.sa_in.items()}
        self.opener = EspOpener(list(self.sa_in.values()))

    def esn(self, sa: SecurityAssociation) -> bool:
        opts = self.scenario.options
        return self.profile.esn_supported and (sa.spec.esn or opts.esn or sa.esn_start > 0)

    def _window(self, sa: SecurityAssociation) -> ReplayWindow:
        esn = self.esn(sa)
        size = self.scenario.options.replay_window if self.profile.anti_replay else 0
        if esn:
            size = max(size, _SECGW_ESN_MIN_WINDOW)
        return ReplayWindow(size, self.profile.replay_edge, esn=esn, top=sa.esn_start)

    def spd(self, family: Family, direction: Direction) -> Spd | None:
        return self.spds.get((family, direction))

    def l2(self, port: int, ethertype: int) -> bytes:
        neigh = self.neigh.get(port)
        dst = neigh if neigh is not None else bytes.fromhex(
            SECGW_DEFAULT_NEIGH.get(port, "00:00:00:00:00:00").replace(":", ""))
        return dst + self.dut_mac.get(port, bytes(6)) + struct.pack("!H", ethertype)


def expect(scenario: Scenario, sent: Sequence[Any], profile: Profile) -> list[Expectation]:
    """One expectation per sent packet, in order (state carries across the sequence).

    The stateless part of the decision (classification, SPD, SAD, route, outer header) is
    computed once per flow: packets whose length and header bytes up to the first four L4
    bytes (everything the model reads: addresses, protocol, TOS, TTL, ports or the bytes a
    fixed-offset selector reads) are equal share it; only the per-SA sequence number, the
    derived outer ID and the packet's own bytes are done per packet (``_plan``)."""
    with cyclic_gc_paused():
        return _expect_all(GatewayModel(scenario, profile), sent)


def _expect_all(model: GatewayModel, sent: Sequence[Any]) -> list[Expectation]:
    plans: dict[tuple[int, int, bytes], Plan | None] = {}
    out: list[Expectation] = []
    append, new = out.append, tuple.__new__
    for i, s in enumerate(sent):
        view = new(SentView, (i, (s[0], s[1]), s[2], s[3])) if type(s) is SentPacket else sent_view(i, s)
        key = _flow_key(view)
        plan = plans.get(key) if key is not None else None
        if plan is not None:
            append(plan(view))
            continue
        exp = expect_one(model, view)
        append(exp)
        if key is not None and len(plans) < _MAX_FLOWS:
            plans[key] = _plan(model, view, exp)
    return out


_MAX_FLOWS = 1 << 16
_NO_EXT = frozenset((1, 6, 17, 58, 132, 253, 254))  # IPv6 next headers with no extension header walk
Plan = Callable[[SentView], Expectation]


def _flow_key(view: SentView) -> tuple[int, int, bytes] | None:
    """(port, frame length, header bytes the model reads) for plain IPv4 (no options) and
    IPv6 without extension headers; None for anything else, ESP above all (its outcome
    depends on every byte and on the replay window), which is always modelled in full."""
    frame = view.frame
    n = len(frame)
    if n >= 38 and frame[14] == 0x45 and frame[23] != _ESP and frame[12:14] == b"\x08\x00":
        return view.port, n, frame[:38]
    if n >= 58 and frame[14] >> 4 == 6 and frame[20] in _NO_EXT and frame[12:14] == b"\x86\xdd":
        return view.port, n, frame[:58]
    return None


def _plan(model: GatewayModel, view: SentView, first: Expectation) -> Plan | None:
    """What the next packets of ``view``'s flow get, from the first one's full model run: the
    same outcome with their own index, key, sequence number and bytes. None when ``first``
    depends on state (sequence exhaustion, decryption)."""
    if isinstance(first, Decrypt) or (isinstance(first, Drop) and first.reason is DropReason.SEQUENCE_EXHAUSTED):
        return None
    frame, new = view.frame, tuple.__new__
    end = 14 + ((frame[16] << 8 | frame[17]) if frame[14] >> 4 == 4 else 40 + (frame[18] << 8 | frame[19]))
    if isinstance(first, Drop):
        reason, rid, detail = first.reason, first.requirement, first.detail
        return lambda v: new(Drop, (v[0], v[1], reason, rid, detail))
    if isinstance(first, ForwardClear):
        delta, port, l2 = _ttl_delta(model.profile, tunnel_step=False), first.port, first.frame[:14]
        return lambda v: new(ForwardClear, (v[0], v[1], port, l2 + recompute_ipv4_checksum(
            with_ttl_delta(v[3][14:end], delta))))
    assert isinstance(first, Encrypt)
    return _encrypt_plan(model, first, end)


def _encrypt_plan(model: GatewayModel, e: Encrypt, end: int) -> Plan:
    """Per packet: take the SA's next sequence number (or drop when it is exhausted), the
    outer ID from it when the profile says so, and the packet's own inner bytes."""
    sa, out_seq, new = model.sa_out[e.spec.spi], model.out_seq, tuple.__new__
    spi, port, spec, eth_dst, eth_src, nh, o = e.spec.spi, e.port, e.spec, e.eth_dst, e.eth_src, e.next_header, e.outer
    delta = _ttl_delta(model.profile, tunnel_step=sa.is_tunnel)
    seq_ident = model.profile.outer_id is OuterIdRule.SEQ_LOW16 and sa.is_tunnel and o.version == 4
    limit = (1 << 64) - 1 if model.esn(sa) else _MAX_SEQ32
    head, tail = tuple(o[:4]), tuple(o[5:])

    def plan(v: SentView) -> Expectation:
        seq = out_seq[spi]
        if seq > limit:
            return _drop(v, DropReason.SEQUENCE_EXHAUSTED, f"SPI {spi} used 2^32-1 numbers")
        out_seq[spi] = seq + 1
        inner = v[3][14:end]
        if delta:
            inner = with_ttl_delta(inner, delta)
        outer = new(OuterExpect, head + (seq & 0xFFFF,) + tail) if seq_ident else o
        return new(Encrypt, (v[0], v[1], port, spec, seq, eth_dst, eth_src, inner, nh, outer))
    return plan


def expect_one(model: GatewayModel, view: SentView) -> Expectation:
    frame = view.frame
    if len(frame) < 14:
        return _drop(view, DropReason.RUNT_FRAME)
    ethertype = struct.unpack_from("!H", frame, 12)[0]
    if ethertype not in (EtherType.IPV4, EtherType.IPV6):
        return _drop(view, DropReason.NON_IP, f"ethertype {ethertype:#06x}")
    l3 = frame[14:]
    ip = parse_ip(l3)
    if ip is None or ip.version != (4 if ethertype == EtherType.IPV4 else 6) or ip.total_len > len(l3) \
            or (ip.version == 4 and ip.total_len < ip.header_len):
        return _drop(view, DropReason.MALFORMED_IP)
    l3 = l3[:ip.total_len]
    if model.roles.get(view.port) is PortRole.PROTECTED:
        return _outbound(model, view, l3, ip)
    return _inbound(model, view, l3, ip)


def _family(ip: IpView) -> Family:
    return Family.IPV4 if ip.version == 4 else Family.IPV6


def _ttl_delta(profile: Profile, *, tunnel_step: bool) -> int:
    """Inner TTL change at one processing step (encap/decap for tunnels, bypass otherwise)."""
    if profile.inner_ttl is TtlRule.DEC_ON_FORWARD:
        return -1
    if profile.inner_ttl is TtlRule.DEC_ENCAP_AND_DECAP and tunnel_step:
        return -1
    return 0


def _policy_action(model: GatewayModel, l3: bytes, ip: IpView,
                   direction: Direction) -> tuple[PolicyAction | None, Policy | None]:
    """(action, rule) after the SPD: (BYPASS, None) for the pass-through of an empty table
    under a profile that has it, (None, None) when nothing matches (default deny)."""
    spd = model.spd(_family(ip), direction)
    if spd is None or not spd.rules:
        if model.profile.no_rules_pass:
            return PolicyAction.BYPASS, None
        return None, None
    rule = spd.lookup(l3, ip, model.profile)
    return (None if rule is None else rule.action), rule


def _no_match(model: GatewayModel, view: SentView, ip: IpView, direction: Direction) -> Drop:
    """Default deny (RFC 4301 §5: a packet no policy matches MUST be discarded, A1). When the
    table is empty the detail names secgw's pass-through (SG-NO-RULES-PASS), so a FAIL under a
    profile without it says which gateway behaviour it saw and how to configure around it."""
    spd = model.spd(_family(ip), direction)
    if spd is not None and spd.rules:
        return _drop(view, DropReason.SP_NO_MATCH)
    return _drop(view, DropReason.SP_NO_MATCH,
                 f"no SP rules for IPv{ip.version} {direction.value}: RFC 4301 §5 discards what no policy "
                 f"matches; secgw passes it (SG-NO-RULES-PASS): add an explicit bypass rule if meant")


def _forward_clear(model: GatewayModel, view: SentView, l3: bytes, ip: IpView, delta: int) -> Expectation:
    port = model.routes.lookup(ip.dst_packed)
    if port is None:
        return _drop(view, DropReason.NO_ROUTE, f"no route to {ip.dst}")
    # the IPv4 header checksum is recomputed for every forwarded packet (secgw §3.8)
    out = recompute_ipv4_checksum(with_ttl_delta(l3, delta))
    etype = EtherType.IPV4 if ip.version == 4 else EtherType.IPV6
    return ForwardClear(view.index, view.key, port, model.l2(port, etype) + out)


def _outbound(model: GatewayModel, view: SentView, l3: bytes, ip: IpView) -> Expectation:
    if ip.upper_proto == _ESP or ip.proto == _ESP:
        return _drop(view, DropReason.ESP_ON_PROTECTED_PORT)
    action, rule = _policy_action(model, l3, ip, Direction.OUT)
    if action is None:
        return _no_match(model, view, ip, Direction.OUT)
    if action is PolicyAction.DISCARD:
        return _drop(view, DropReason.SP_DISCARD)
    if action is PolicyAction.BYPASS:
        return _forward_clear(model, view, l3, ip, _ttl_delta(model.profile, tunnel_step=False))
    spi = rule.spi if rule is not None else None
    sa = model.sa_out.get(spi) if spi is not None else None
    if sa is None:  # RFC 4301 §5.1: PROTECT without an SA (manual keying) means discard
        return Drop(view.index, view.key, DropReason.SP_DISCARD, "A3", f"protect {spi}: no outbound SA")
    return _encrypt(model, view, l3, ip, sa)


def _encrypt(model: GatewayModel, view: SentView, l3: bytes, ip: IpView, sa: SecurityAssociation) -> Expectation:
    seq = model.out_seq[sa.spi]
    if seq > _MAX_SEQ32 and not model.esn(sa):
        return _drop(view, DropReason.SEQUENCE_EXHAUSTED, f"SPI {sa.spi} used 2^32-1 numbers")
    model.out_seq[sa.spi] = seq + 1
    profile = model.profile
    tunnel = sa.is_tunnel
    inner = with_ttl_delta(l3, _ttl_delta(profile, tunnel_step=tunnel))
    if tunnel:
        dst = sa.spec.tunnel_dst
        outer = _tunnel_outer(profile, sa, inner, seq)
        nh = 4 if ip.version == 4 else 41
    else:
        dst = ip.dst
        kept = parse_ip(inner)  # transport: the packet's own header carries ESP
        outer = OuterExpect(ip.version, ip.src, ip.dst, kept.tos, None, None, kept.ttl,
                            kept.flow_label if ip.version == 6 else None, _ESP)
        nh = ip.upper_proto
    port = sa.port_id if sa.port_id is not None and sa.sa_type.needs_port else model.routes.lookup(dst.packed)
    if port is None:
        return _drop(view, DropReason.NO_ROUTE, f"no route to {dst}")
    etype = EtherType.IPV4 if outer.version == 4 else EtherType.IPV6
    l2 = model.l2(port, etype)
    return Encrypt(view.index, view.key, port, sa.spec, seq, l2[:6], l2[6:12], inner, nh, outer)


def _tunnel_outer(profile: Profile, sa: SecurityAssociation, inner: bytes, seq: int) -> OuterExpect:
    src, dst = sa.spec.tunnel_src, sa.spec.tunnel_dst
    inner_tos = tos_of(inner)
    tos = (inner_tos & 0xFC if profile.copy_dscp else 0) | (inner_tos & 3 if profile.copy_ecn else 0)
    proto = 17 if sa.spec.udp_encap else _ESP
    if src.version == 4:
        ident = {OuterIdRule.SEQ_LOW16: seq & 0xFFFF, OuterIdRule.ZERO: 0, OuterIdRule.ANY: None}[profile.outer_id]
        return OuterExpect(4, src, dst, tos, ident, profile.outer_df, profile.outer_ttl, None, proto)
    return OuterExpect(6, src, dst, tos, None, None, profile.outer_hop_limit, profile.outer_flow_label, proto)


def _inbound(model: GatewayModel, view: SentView, l3: bytes, ip: IpView) -> Expectation:
    if ip.upper_proto != _ESP:
        action, rule = _policy_action(model, l3, ip, Direction.IN)
        return _after_inbound_spd(model, view, l3, ip, action, rule, via_spi=None)
    opened = model.opener.lookup(l3, ip)
    if isinstance(opened, DropReason):
        return _drop(view, opened)
    sa = opened
    window = model.windows[sa.spi]
    seq_low = struct.unpack_from("!I", l3, ip.l4_offset + 4)[0] if len(l3) >= ip.l4_offset + 8 else 0
    full = window.full_seq(seq_low)
    if not window.check(full):
        return _drop(view, DropReason.REPLAY, f"seq {full}, window top {window.top}")
    decoded = model.opener.decode(sa, l3, full >> 32)
    reason = _decode_problem(model.profile, sa, decoded)
    if reason is not None:
        return _drop(view, reason, ", ".join(sorted(problem_names(decoded))))
    window.accept(full)
    inner = decoded.inner
    inner_ip = parse_ip(inner)
    if inner_ip is None or inner_ip.total_len > len(inner):
        return _drop(view, DropReason.MALFORMED_IP, "decrypted inner packet")
    inner = inner[:inner_ip.total_len]  # TFC padding after the inner packet (RFC 4303 §2.7)
    if sa.is_tunnel:
        ecn = ecn_after_decap(model.profile.ecn_decap, ip.ecn, inner_ip.ecn)
        if ecn is None:
            return _drop(view, DropReason.ECN_DECAP_DROP, "outer CE over a Not-ECT inner packet")
        inner = with_ecn(inner, ecn)
    action, rule = _policy_action(model, inner, inner_ip, Direction.IN)
    return _after_inbound_spd(model, view, inner, inner_ip, action, rule, via_spi=sa.spi)


def _decode_problem(profile: Profile, sa: SecurityAssociation, decoded: Any) -> DropReason | None:
    problems = problem_names(decoded)
    if problems & {"truncated", "alignment"}:
        return DropReason.ESP_TRUNCATED
    if not decoded.icv_ok or "icv" in problems:
        return DropReason.ICV_FAILED
    if problems & {"pad-bytes", "pad-length"}:
        return DropReason.BAD_PADDING
    if decoded.next_header == 59:
        return DropReason.DUMMY_PACKET
    if sa.is_tunnel and profile.check_next_header:
        if decoded.next_header != (4 if sa.inner_family is Family.IPV4 else 41):
            return DropReason.BAD_NEXT_HEADER
    return None


def _after_inbound_spd(model: GatewayModel, view: SentView, l3: bytes, ip: IpView,
                       action: PolicyAction | None, rule: Policy | None, *, via_spi: int | None) -> Expectation:
    if action is None:
        return _no_match(model, view, ip, Direction.IN)
    if action is PolicyAction.DISCARD:
        return _drop(view, DropReason.SP_DISCARD)
    if action is PolicyAction.PROTECT:
        if via_spi is None:
            return _drop(view, DropReason.SP_CLEAR_ON_PROTECT)
        if rule is not None and rule.spi != via_spi:
            return _drop(view, DropReason.SP_WRONG_SA, f"policy wants SPI {rule.spi}, came via {via_spi}")
    if via_spi is None:
        return _forward_clear(model, view, l3, ip, _ttl_delta(model.profile, tunnel_step=False))
    sa = model.sa_in[via_spi]
    inner = with_ttl_delta(l3, _ttl_delta(model.profile, tunnel_step=sa.is_tunnel))
    port = model.routes.lookup(ip.dst_packed)
    if port is None:
        return _drop(view, DropReason.NO_ROUTE, f"no route to {ip.dst}")
    etype = EtherType.IPV4 if ip.version == 4 else EtherType.IPV6
    return Decrypt(view.index, view.key, port, via_spi, model.l2(port, etype) + recompute_ipv4_checksum(inner))
