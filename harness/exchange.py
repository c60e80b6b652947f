"""Exchange glue: configure a DUT with a scenario, send packets through it, collect what it
emitted, read its counters and judge the lot with ``harness.verify``.

``run_exchange`` builds the packets of declarative streams; ``send_packets`` takes packets a
test built itself (a ``SentPacket`` or a ``CraftedPacket``: anything with ``stream_id``,
``seq``, ``port`` and ``frame``). A crafted packet may carry ``expect_drop``, the drop reason
(a DUT counter name such as ``icv-failed``) the test means it to provoke; the verifier's own
model must agree (else ``AnnotationMismatch``: the test and the model disagree, which is a
harness or test bug, not a DUT finding). The verifier then checks the packet's absence on the
wire and, for DUTs with counters, the drop counted under that reason (RFC 4301 §4.4 audit, A14).

The secgw profiles describe the two secgw engines, so with a ``secgw-*`` profile the scenario's
engine picks between ``secgw-library`` and ``secgw-legacy``; ``rfc-strict`` is used as given.

Every send is bounded: at most ``MAX_PACKETS`` packets, and no new burst after ``timeout_s``
(the exchange is then marked ``truncated`` and judged on what was really sent).
"""
from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from harness.dut.base import Dut, DutOptions, ReceivedFrame
from harness.scenario.model import Direction, Engine, Neighbour, Port, PortRole
from harness.scenario.scenario import Scenario
from harness.stream.builder import build_packets
from harness.stream.spec import StreamSpec
from harness.verify.expect import expect
from harness.verify.expectations import Drop, DropReason
from harness.verify.profiles import PROFILES, Profile, get_profile
from harness.verify.report import VerifyResult
from harness.verify.verdict import verify

if TYPE_CHECKING:
    from harness.oracles.sampled import OracleReport

MAX_PACKETS = 1_000_000
DEFAULT_BURST = 32
DEFAULT_TIMEOUT_S = 120.0
_SECGW_BY_ENGINE = {Engine.LIBRARY: "secgw-library", Engine.LEGACY: "secgw-legacy"}
_DROP_NAMES = frozenset(r.value for r in DropReason)


class AnnotationMismatch(ValueError):
    """A crafted packet's ``expect_drop`` disagrees with the verifier's model of that packet."""


class CraftedPacket(NamedTuple):
    """A packet a test built by hand. ``stream_id``/``seq`` are the signature inside its
    payload (so a wrongly forwarded copy is recognised); ``expect_drop`` is the drop reason
    the test means to provoke, or None."""

    stream_id: int
    seq: int
    port: int
    frame: bytes
    expect_drop: str | None = None


@dataclass(frozen=True)
class Exchange:
    """One run of packets through a DUT and its verdict."""

    dut_name: str
    scenario: Scenario
    profile: Profile
    cfg_text: str
    sent: tuple[Any, ...]
    received: tuple[ReceivedFrame, ...]
    counters: dict | None  # the DUT's counters for this exchange (drops as a delta), None if it has none
    result: VerifyResult
    truncated: bool = False
    oracle: OracleReport | None = None  # filled by ``with_oracle`` (its findings are in ``result``)

    @property
    def passed(self) -> bool:
        return self.result.passed and not self.truncated

    @property
    def cfg_sha256(self) -> str:
        return hashlib.sha256(self.cfg_text.encode()).hexdigest()

    def by_port(self) -> dict[int, list[bytes]]:
        """Received frames per DUT port, in emission order."""
        out: dict[int, list[bytes]] = {}
        for rx in self.received:
            out.setdefault(rx.port, []).append(rx.frame)
        return out

    def params(self) -> dict[str, str | int | bool]:
        """The scenario's parameters as record fields (with profile and cfg hash)."""
        return {**scenario_params(self.scenario), "profile": self.profile.name,
                "scenario_cfg_sha256": self.cfg_sha256, "packets_sent": len(self.sent)}

    def render(self) -> str:
        head = f"DUT {self.dut_name}, scenario {self.scenario.name}, {len(self.sent)} packets sent"
        if self.truncated:
            head += " (TRUNCATED: the send deadline passed before every packet was sent)"
        if self.oracle is not None:
            head += "\n" + self.oracle.render()
        return head + "\n" + self.result.render()


def scenario_params(scenario: Scenario) -> dict[str, str | int | bool]:
    """Parameters describing ``scenario``: engine, ESN, replay window, SA types, algorithms,
    modes and families (values joined with ``+`` when SAs differ)."""
    sas = scenario.sas

    def joined(values: Iterable[str]) -> str:
        return "+".join(sorted(set(values)))
    return {
        "scenario": scenario.name, "engine": scenario.options.engine.value, "esn": scenario.options.esn,
        "replay_window": scenario.options.replay_window,
        "sa_type": joined(sa.sa_type.value for sa in sas),
        "algorithm": joined(sa.spec.algorithm_label for sa in sas if sa.direction is Direction.OUT),
        "mode": joined(sa.spec.mode.value if hasattr(sa.spec.mode, "value") else str(sa.spec.mode) for sa in sas),
        "inner_family": joined(f"ipv{sa.inner_family.value}" for sa in sas),
        "outer_family": joined(f"ipv{sa.outer_family.value}" for sa in sas),
    }


def resolve_profile(profile: str | Profile, scenario: Scenario) -> Profile:
    """The profile to judge ``scenario`` by (see the module docstring for the engine rule)."""
    prof = get_profile(profile) if isinstance(profile, str) else profile
    if prof.name in _SECGW_BY_ENGINE.values():
        return PROFILES[_SECGW_BY_ENGINE[scenario.options.engine]]
    return prof


def dut_options(scenario: Scenario) -> DutOptions:
    """secgw-like options from the scenario: ``-u`` port roles, ``-w``, ``-e``, engine; ``extra``
    names the scenario's DUT port MACs (``port_mac.N``) for DUTs whose MACs can be set."""
    unprotected = frozenset(p.id for p in scenario.ports if p.role is PortRole.UNPROTECTED)
    opts = scenario.options
    macs = {f"port_mac.{p.id}": p.dut_mac.hex(":") for p in scenario.ports}  # for DUTs that can take them
    return DutOptions(unprotected, opts.replay_window, opts.esn, opts.engine.value, macs)


def _mac(text: str | None) -> bytes | None:
    return None if text is None else bytes.fromhex(text.replace(":", "").replace("-", ""))


def scenario_for_dut(scenario: Scenario, dut: Dut) -> Scenario:
    """``scenario`` with the port MACs of a DUT wired through a lab (``dut.lab``): frames go to
    the DUT's real MAC and the DUT's neighbours are the tester's real MACs. Unchanged when the
    DUT has no lab (the in-process reference gateway)."""
    lab = getattr(dut, "lab", None)
    if lab is None:
        return scenario
    macs = {p.id: (_mac(p.dut_mac), _mac(p.tester_mac)) for p in lab.ports}
    ports = []
    for port in scenario.ports:
        dut_mac, tester_mac = macs.get(port.id, (None, None))
        ports.append(Port(port.id, port.role, dut_mac or port.dut_mac, tester_mac or port.tester_mac))
    tester = {p.id: p.tester_mac for p in ports}
    neigh = tuple(Neighbour(n.port, tester[n.port]) if macs.get(n.port, (None, None))[1] else n
                  for n in scenario.neighbours)
    return dataclasses.replace(scenario, ports=tuple(ports), neighbours=neigh)


def _bursts(packets: Sequence[Any], burst: int) -> Iterable[tuple[int, list[Any]]]:
    """Consecutive packets for one port, at most ``burst`` at a time, in send order."""
    i = 0
    while i < len(packets):
        port = packets[i].port
        j = i + 1
        while j < len(packets) and j - i < burst and packets[j].port == port:
            j += 1
        yield port, list(packets[i:j])
        i = j


def _drops_of(counters: Mapping[str, Any] | None) -> dict[str, int] | None:
    if not isinstance(counters, Mapping) or not isinstance(counters.get("drops"), Mapping):
        return None
    return {str(k): int(v) for k, v in counters["drops"].items()}


def _delta(after: dict | None, before: dict | None) -> dict | None:
    """``after`` with its drop counters made relative to ``before`` (same DUT, no reconfigure)."""
    drops_after, drops_before = _drops_of(after), _drops_of(before)
    if after is None or drops_after is None or drops_before is None:
        return after
    delta = {k: v - drops_before.get(k, 0) for k, v in drops_after.items()}
    return {**after, "drops": {k: v for k, v in delta.items() if v}}


def check_annotations(scenario: Scenario, sent: Sequence[Any], profile: Profile) -> None:
    """Raise ``AnnotationMismatch`` when a packet's ``expect_drop`` is not what the model says."""
    wanted = {i: getattr(p, "expect_drop", None) for i, p in enumerate(sent)}
    wanted = {i: w for i, w in wanted.items() if w is not None}
    if not wanted:
        return
    for i, reason in wanted.items():
        if reason not in _DROP_NAMES:
            raise AnnotationMismatch(f"sent packet #{i}: expect_drop {reason!r} is not a drop reason; "
                                     f"choose one of {sorted(_DROP_NAMES)}")
    exps = expect(scenario, sent, profile)
    for i, reason in wanted.items():
        e = exps[i]
        got = e.reason.value if isinstance(e, Drop) else f"{type(e).__name__} (delivered)"
        if got != reason:
            raise AnnotationMismatch(f"sent packet #{i} (stream {sent[i].stream_id} seq {sent[i].seq}): the test "
                                     f"expects drop {reason!r}, the verifier's model says {got} under profile "
                                     f"{profile.name}")


def send_packets(dut: Dut, scenario: Scenario, packets: Sequence[Any], *,
                 profile: str | Profile = "secgw-library", configure: bool = True,
                 burst: int = DEFAULT_BURST, timeout_s: float = DEFAULT_TIMEOUT_S) -> Exchange:
    """Send ready-made packets (``SentPacket``/``CraftedPacket``, in this order) through ``dut``
    and judge them. ``configure=False`` keeps the DUT's current configuration and state (a
    second exchange on the same SAs); drop counters are then reported as a delta."""
    if len(packets) > MAX_PACKETS:
        raise ValueError(f"{len(packets)} packets in one exchange; the bound is {MAX_PACKETS}")
    if burst < 1:
        raise ValueError(f"burst must be >= 1, got {burst}")
    prof = resolve_profile(profile, scenario)
    scenario = scenario_for_dut(scenario, dut)
    check_annotations(scenario, packets, prof)
    cfg_text = scenario.to_cfg()
    before = None
    if configure:
        dut.configure(cfg_text, dut_options(scenario))
    else:
        before = dut.counters()
    sent: list[Any] = []
    truncated = False
    deadline = time.monotonic() + timeout_s
    for port, chunk in _bursts(packets, burst):
        if time.monotonic() > deadline:
            truncated = True
            break
        dut.send(port, [p.frame for p in chunk])
        sent.extend(chunk)
    received = tuple(dut.collect())
    counters = _delta(dut.counters(), before)
    captures: dict[int, list[tuple[int, bytes]]] = {p.id: [] for p in scenario.ports}
    for rx in received:
        captures.setdefault(rx.port, []).append((rx.ts_ns, rx.frame))
    result = verify(scenario, sent, captures, prof, dut_counters=_drops_of(counters))
    return Exchange(dut.name, scenario, prof, cfg_text, tuple(sent), received, counters, result, truncated)


def with_oracle(ex: Exchange, samples_per_sa: int | None = None) -> Exchange:
    """``ex`` with scapy's and tshark's opinions on ``samples_per_sa`` (default
    ``DEFAULT_SAMPLES_PER_SA``, 8) egress ESP frames of each outbound SA compared with the harness's (``harness.oracles.sampled``): disagreements
    (FAIL) and what an oracle could not check (INFO) are added to the verdict as ``X-ORACLE``
    findings, and ``X-ORACLE`` counts as exercised when a frame was sampled."""
    from harness.oracles.sampled import (DEFAULT_SAMPLES_PER_SA, REQUIREMENT, oracle_findings,  # noqa: PLC0415
                                         oracle_report)  # lazily: scapy loads slowly

    per_sa = DEFAULT_SAMPLES_PER_SA if samples_per_sa is None else samples_per_sa
    report = oracle_report(ex.scenario.sas, ex.received, ex.result.findings, per_sa)
    exercised = ex.result.requirements_exercised | ({REQUIREMENT} if report.samples else set())
    result = dataclasses.replace(ex.result, findings=ex.result.findings + tuple(oracle_findings(report, ex.profile.name)),
                                 requirements_exercised=frozenset(exercised))
    return dataclasses.replace(ex, result=result, oracle=report)


def build_stream_packets(scenario: Scenario, streams: Sequence[StreamSpec]) -> list[Any]:
    """Every stream's packets, stream after stream (the order they are sent in)."""
    total = sum(s.count for s in streams)
    if total > MAX_PACKETS:
        raise ValueError(f"streams hold {total} packets; one exchange is bounded to {MAX_PACKETS}")
    ids = [s.stream_id for s in streams]
    if len(set(ids)) != len(ids):
        raise ValueError(f"stream ids must be unique in one exchange, got {ids}")
    return [p for s in streams for p in build_packets(s, scenario)]


def run_exchange(dut: Dut, scenario: Scenario, streams: Sequence[StreamSpec], *,
                 profile: str | Profile = "secgw-library", configure: bool = True,
                 burst: int = DEFAULT_BURST, timeout_s: float = DEFAULT_TIMEOUT_S) -> Exchange:
    """Configure ``dut`` with ``scenario`` (cfg and options), send every stream's packets per
    port in stream order, collect, read counters and verify under ``profile``."""
    target = scenario_for_dut(scenario, dut)
    packets = build_stream_packets(target, streams)
    return send_packets(dut, scenario, packets, profile=profile, configure=configure, burst=burst,
                        timeout_s=timeout_s)
