"""``verify``: from a scenario, what was sent and what came back, to a verdict.

Expectations (``expect``) are matched with the received frames by signature (``correlate``);
each matched frame is checked byte by byte (``checks_*``), egress ESP streams feed the
long-run invariants, frames that should not exist and packets that never arrived become
findings, and, when the DUT's drop counters are given, the expected drops per reason are
compared with them (RFC 4301 §4.4 / §5.2 audit, A14).

``verify`` first tries the fused single pass (``fused``) that handles the common run (fixed
flows encrypted on AEAD/CBC non-ESN tunnel SAs with an IPv4 outer header, or dropped) when it
is exactly right; anything else, including any deviation at all, takes the general path here.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from harness.scenario.model import Direction
from harness.scenario.scenario import Scenario
from harness.verify.bulk import cyclic_gc_paused
from harness.verify.checks import PacketChecker, ref_of
from harness.verify.checks_esp import icv_requirement
from harness.verify.correlate import Delivery, Received, Unexpected, correlate
from harness.verify.expect import expect
from harness.verify.expectations import Decrypt, Drop, Encrypt, Expectation, ForwardClear, FrameKey
from harness.verify.findings import Finding, PacketRef, Severity, make_finding
from harness.verify.fused import FusedRun, fused_verify
from harness.verify.invariants import EspInvariants
from harness.verify.observe import Observer
from harness.verify.profiles import Profile
from harness.verify.report import VerifyResult

Captures = Mapping[int, Sequence[tuple[int, bytes]]]  # port -> [(timestamp_ns, frame)]


def _delivery(e: Expectation) -> Delivery | None:
    if isinstance(e, Encrypt):
        return Delivery(e.port, e.spec.spi)
    if isinstance(e, Decrypt):
        return Delivery(e.port, e.spi)
    if isinstance(e, ForwardClear):
        return Delivery(e.port)
    return None


def _by_key(exps: Sequence[Expectation]) -> tuple[dict[FrameKey, Delivery | None], dict[FrameKey, Expectation],
                                                  dict[FrameKey, Drop]]:
    """Per key: its delivery, the delivering expectation, and a drop expectation if any (a
    replayed packet shares its key with the original). One ``Delivery`` per (type, port, SA)."""
    deliveries: dict[FrameKey, Delivery | None] = {}
    delivering: dict[FrameKey, Expectation] = {}
    drops: dict[FrameKey, Drop] = {}
    shared: dict[tuple, Delivery | None] = {}
    for e in exps:
        key = e.key
        if key is None:
            continue
        kind = type(e)
        where = (kind, e.port, e.spec.spi) if kind is Encrypt else (kind, e.port, e.spi) if kind is Decrypt \
            else (kind, e.port) if kind is ForwardClear else None
        if where is None:
            drops.setdefault(key, e)  # type: ignore[arg-type]
            deliveries.setdefault(key, None)
            continue
        if key in delivering:
            continue
        d = shared.get(where)
        if d is None:
            d = shared[where] = _delivery(e)
        delivering[key] = e
        deliveries[key] = d
    return deliveries, delivering, drops


def _unexpected_findings(corr, drops: Mapping[FrameKey, Drop], scenario: Scenario,
                         profile: Profile) -> list[Finding]:
    out = []
    for rx, why in corr.unexpected:
        ref = ref_of(rx)
        drop = drops.get(rx.key) if rx.key is not None else None
        sa = scenario.sa(Direction.OUT, rx.spi) if rx.esp is not None else None
        if sa is not None and not rx.esp.icv_ok:
            out.append(make_finding(icv_requirement(sa.spec), profile.name, ref, "esp.icv", "valid ICV",
                                    rx.esp.icv.hex(), frame=rx.frame, detail=sa.spec.algorithm_label))
        elif rx.esp is None and rx.spi is not None:  # ESP on an SPI no outbound SA has
            rid = "E1" if rx.spi < 256 else "X-UNEXPECTED"
            out.append(make_finding(rid, profile.name, ref, "esp.spi", "an outbound SA's SPI (>= 256)", rx.spi,
                                    frame=rx.frame))
        elif why in (Unexpected.SHOULD_BE_DROPPED, Unexpected.DUPLICATE) and drop is not None:
            out.append(make_finding(drop.requirement, profile.name, ref, "delivery", f"drop ({drop.reason.value})",
                                    f"forwarded on port {rx.port}", detail=drop.detail, frame=rx.frame))
        elif why is Unexpected.NO_SIGNATURE:
            out.append(make_finding("X-UNEXPECTED", profile.name, ref, "frame", "no frame", "frame without signature",
                                    severity=Severity.WARN, frame=rx.frame))
        else:
            out.append(make_finding("X-DELIVERY" if why is not Unexpected.UNKNOWN_SIGNATURE else "X-UNEXPECTED",
                                    profile.name, ref, "delivery", "no such frame", why.value, frame=rx.frame))
    return out


def _lost_findings(corr, delivering: Mapping[FrameKey, Expectation], profile: Profile) -> list[Finding]:
    out = []
    for key in corr.lost:
        exp = delivering[key]
        out.append(make_finding("X-DELIVERY", profile.name, PacketRef(None, None, key[0], key[1]), "delivery",
                                f"{type(exp).__name__} on port {exp.port}", "not received",  # type: ignore[union-attr]
                                detail=f"sent packet #{exp.index}"))
    return out


def _counter_findings(expected_drops: Counter, dut_counters: Mapping[str, int], profile: Profile) -> list[Finding]:
    out = []
    for reason in sorted(set(expected_drops) | {k for k, v in dut_counters.items() if v}):
        exp, obs = expected_drops.get(reason, 0), dut_counters.get(reason, 0)
        if exp != obs:
            out.append(make_finding("A14", profile.name, PacketRef(), f"counter.{reason}", exp, obs))
    return out


def _invariants(scenario: Scenario, rxs: Sequence[Received], profile: Profile) -> EspInvariants:
    out_sas = [sa for sa in scenario.sas if sa.direction is Direction.OUT]
    inv = EspInvariants(profile.name, first_seq={sa.spi: max(sa.esn_start, 1) for sa in out_sas},
                        iv_requirement={sa.spi: "G6" if (sa.spec.cipher or "").endswith("cbc") else "G4"
                                        for sa in out_sas})
    inv.observe_stream(((rx.spi, rx.esp_seq, rx.esp.iv, rx) for rx in rxs
                        if rx.esp is not None and rx.esp_seq is not None), ref_of)
    return inv


def _exercised(exps: Sequence[Expectation], profile: Profile) -> frozenset[str]:
    ids: set[str] = {"A1", "SG-L2", "X-INTACT", profile.ttl_requirement}
    seen: set[object] = set()
    for e in exps:
        kind = e.requirement if isinstance(e, Drop) else e.spec.spi if isinstance(e, Encrypt) else type(e)
        if kind in seen:
            continue
        seen.add(kind)
        if isinstance(e, Drop):
            ids.add(e.requirement)
        elif isinstance(e, Encrypt):
            ids |= {"A6", "E1", "E2", "E3", "E10", "E11", "ESP-NH", icv_requirement(e.spec)}
        elif isinstance(e, Decrypt):
            ids |= {"E9", profile.ecn_requirement}
    return frozenset(ids) if exps else frozenset()


def verify(scenario: Scenario, sent: Sequence[Any], received: Captures, profile: Profile, *,
           dut_counters: Mapping[str, int] | None = None) -> VerifyResult:
    """Judge a run: ``sent`` are the stream's SentPacket records in send order, ``received``
    maps each DUT port to its captured (timestamp_ns, frame) list."""
    with cyclic_gc_paused():
        fused = fused_verify(scenario, sent, received, profile)
        if fused is None:
            return _verify(scenario, sent, received, profile, dut_counters)
        return _fused_result(fused, profile, dut_counters)


def _fused_result(run: FusedRun, profile: Profile, dut_counters: Mapping[str, int] | None) -> VerifyResult:
    """The verdict of a run the fused pass found exactly right: only the counters can differ."""
    findings = () if dut_counters is None else tuple(_counter_findings(Counter(run.expected_drops), dut_counters,
                                                                         profile))
    return VerifyResult(profile.name, findings, run.correlation, run.expected_kinds, run.expected_drops,
                        run.sa_invariants, _exercised(run.firsts, profile))


def _verify(scenario: Scenario, sent: Sequence[Any], received: Captures, profile: Profile,
            dut_counters: Mapping[str, int] | None) -> VerifyResult:
    exps = expect(scenario, sent, profile)
    deliveries, delivering, drops = _by_key(exps)
    observer = Observer([sa for sa in scenario.sas if sa.direction is Direction.OUT])
    rxs = observer.observe_all(received)
    corr = correlate(deliveries, rxs)
    findings: list[Finding] = []
    checker = PacketChecker(profile, observer)
    check = checker.check
    for key, rx in corr.matches.items():
        bad = check(delivering[key], rx)
        if bad:
            findings += bad
    inv = _invariants(scenario, rxs, profile)
    findings += inv.findings
    findings += _unexpected_findings(corr, drops, scenario, profile)
    findings += _lost_findings(corr, delivering, profile)
    dropped = Counter(e.reason.value for e in exps if type(e) is Drop)
    if dut_counters is not None:
        findings += _counter_findings(dropped, dut_counters, profile)
    kinds = {kind.__name__: n for kind, n in Counter(map(type, exps)).items()}
    return VerifyResult(profile.name, tuple(findings), corr, dict(kinds), dict(dropped), inv.stats(),
                        _exercised(exps, profile))
