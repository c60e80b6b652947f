"""verify(): a correct DUT output passes; each single wrong field yields exactly the right finding."""
from __future__ import annotations

import pytest
from verify_build import (SPI_OUT4, dut_output, encrypt_frame, esp_in, scenario, sent, udp4, udp6)

from harness.verify.expect import expect
from harness.verify.findings import Severity
from harness.verify.inner_edit import with_ecn, with_ttl_delta
from harness.verify.profiles import CE, ECT0, RFC_STRICT, SECGW_LEGACY, SECGW_LIBRARY
from harness.verify.verdict import verify

LIB = SECGW_LIBRARY


def traffic() -> list:
    pkts = []
    for s in range(4):
        pkts.append(sent(1, udp4("198.18.1.5", "198.19.1.9", stream=1, seq=s, tos=0x28), stream=1, seq=s))
        pkts.append(sent(0, esp_in(udp4("198.19.1.9", "198.18.1.5", stream=2, seq=s), s + 1), stream=2, seq=s))
        pkts.append(sent(1, udp4("198.18.1.5", "198.19.2.9", stream=3, seq=s), stream=3, seq=s))
    pkts.append(sent(1, udp4("198.18.1.5", "198.19.3.9", stream=4, seq=0), stream=4, seq=0))  # discard
    return pkts


def run(profile=LIB, edit=None, counters=None, pkts=None):
    pkts = pkts or traffic()
    sc = scenario()
    exps = expect(sc, pkts, profile)
    out = dut_output(exps)
    if edit is not None:
        edit(exps, out)
    return verify(sc, pkts, out, profile, dut_counters=counters)


def findings(result):
    return [(f.requirement, f.field, f.severity) for f in result.findings]


@pytest.mark.parametrize("profile", [LIB, SECGW_LEGACY, RFC_STRICT])
def test_perfect_dut_passes(profile) -> None:
    r = run(profile, counters={"sp-discard": 1})
    assert r.findings == () and r.passed
    t = r.correlation.totals()
    assert (t.expected, t.delivered, t.lost, t.duplicated, t.unexpected) == (12, 12, 0, 0, 0)
    assert r.expected_kinds == {"Encrypt": 4, "Decrypt": 4, "ForwardClear": 4, "Drop": 1}
    assert r.sa_invariants[SPI_OUT4].packets == 4
    assert {"A1", "A6", "E3", "E9", "X-INTACT"} <= r.requirements_exercised
    assert r.to_json()["passed"] is True and "PASS" in r.render()


def _replace_encrypted(index: int, **kw):
    """Edit: re-encode the index-th Encrypt output with encoder overrides."""
    def edit(exps, out):
        from harness.verify.expectations import Encrypt
        enc = [e for e in exps if isinstance(e, Encrypt)]
        e = enc[index]
        frames = out[e.port]
        pos = [i for i, (ts, _) in enumerate(frames) if ts == e.index][0]
        frames[pos] = (e.index, encrypt_frame(e, **kw))
    return edit


@pytest.mark.parametrize(("kw", "expected"), [
    ({"ttl": 63}, [("SG-OUTER-TTL", "outer.ttl", Severity.WARN)]),
    ({"ident": 0}, [("SG-OUTER-ID", "outer.id", Severity.WARN)]),
    ({"df": True}, [("SG-OUTER-DF", "outer.df", Severity.WARN)]),
    ({"tos": 0x28 | CE}, [("SG-TOS-COPY", "outer.ecn", Severity.WARN)]),
    ({"tos": 0x00}, [("SG-TOS-COPY", "outer.dscp", Severity.WARN)]),
    ({"padding": b"\x00\x00"}, [("E10", "esp.padding", Severity.FAIL)]),
    ({"next_header": 41}, [("ESP-NH", "esp.next_header", Severity.FAIL)]),
    ({"seq": 7}, [("E3", "esp.seq", Severity.FAIL), ("E3", "esp.seq", Severity.FAIL)]),
    ({"iv": (1).to_bytes(8, "big")}, [("G4", "esp.iv", Severity.FAIL)]),
])
def test_single_wrong_egress_field(kw, expected) -> None:
    r = run(edit=_replace_encrypted(1, **kw))
    assert findings(r) == expected


def test_rfc_strict_judges_outer_fields_differently() -> None:
    r = run(RFC_STRICT, edit=_replace_encrypted(1, ident=0, ttl=5, df=True))
    assert findings(r) == []  # ID, DF and TTL are not prescribed
    r = run(RFC_STRICT, edit=_replace_encrypted(1, ttl=0))
    assert findings(r) == [("A6", "outer.ttl", Severity.FAIL)]
    r = run(RFC_STRICT, edit=_replace_encrypted(1, tos=0x28 | CE))
    assert findings(r) == [("A8", "outer.ecn", Severity.FAIL)]


def test_inner_ttl_rule_per_profile() -> None:
    def dec_ttl(exps, out):
        _replace_encrypted(0, inner=with_ttl_delta(exps[0].inner, -1))(exps, out)
    assert findings(run(edit=dec_ttl)) == [("SG-TTL-LIB", "inner.ttl", Severity.WARN)]
    # under rfc-strict the model already decremented: one more is an A7 violation
    assert findings(run(RFC_STRICT, edit=dec_ttl)) == [("A7", "inner.ttl", Severity.FAIL)]


def _patch_frame(port: int, nth: int, fn):
    def edit(exps, out):
        ts, frame = out[port][nth]
        out[port][nth] = (ts, fn(frame))
    return edit


def _set_byte(offset: int, value: int):
    return lambda f: f[:offset] + bytes([value]) + f[offset + 1:]


def test_outer_checksum_and_address() -> None:
    # port 0 carries, per round, the encrypted frame then the bypassed one: index 2 is ESP
    r = run(edit=_patch_frame(0, 2, lambda f: f[:24] + bytes([f[24] ^ 0xFF]) + f[25:]))
    assert findings(r) == [("A6", "outer.checksum", Severity.FAIL)]
    from harness.verify.inner_edit import recompute_ipv4_checksum
    r = run(edit=_patch_frame(0, 2, lambda f: f[:14] + recompute_ipv4_checksum(f[14:26] + bytes([198, 18, 255, 9]) + f[30:])))
    assert findings(r) == [("A6", "outer.src", Severity.FAIL)]


def test_l2_rewrite() -> None:
    r = run(edit=_patch_frame(0, 2, _set_byte(0, 0xAA)))
    assert findings(r) == [("SG-L2", "eth.dst", Severity.WARN)]


def test_icv_corruption_on_egress() -> None:
    r = run(edit=_patch_frame(0, 2, lambda f: f[:-1] + bytes([f[-1] ^ 1])))
    # its signature cannot be read, so the packet also counts as lost
    assert findings(r) == [("G2", "esp.icv", Severity.FAIL), ("X-DELIVERY", "delivery", Severity.FAIL)]
    r = run(edit=_patch_frame(0, 1, lambda f: f[:-1] + bytes([f[-1] ^ 0x55])))
    assert findings(r) == [("X-INTACT", "ip.bytes", Severity.FAIL)]  # index 1 is a bypassed frame


def test_clear_leak_of_protected_traffic() -> None:
    def leak(exps, out):
        e = exps[0]
        out[0][0] = (0, e.eth_dst + e.eth_src + b"\x08\x00" + e.inner)
    # the first ESP packet then carries seq 2: E2 as well
    assert findings(run(edit=leak)) == [("A1", "protection", Severity.FAIL), ("E2", "esp.seq", Severity.FAIL)]


def test_decrypted_packet_checks() -> None:
    # port 1 carries Decrypt and ForwardClear frames in send order: index 0 is stream 2 seq 0
    def ecn(f):
        return f[:14] + with_ecn(f[14:], CE)
    assert findings(run(edit=_patch_frame(1, 0, ecn))) == [("SG-ECN-DECAP", "ip.ecn", Severity.WARN)]
    last = _set_byte(-1 + 0, 0)
    r = run(edit=_patch_frame(1, 0, lambda f: f[:-1] + bytes([f[-1] ^ 0x55])))
    assert findings(r) == [("X-INTACT", "ip.bytes", Severity.FAIL)]
    assert "^^" in r.findings[0].hexdiff()
    r = run(edit=_patch_frame(1, 0, lambda f: f[:24] + bytes([f[24] ^ 1]) + f[25:]))
    assert findings(r) == [("R-IP-VALID", "ip.checksum", Severity.FAIL)]
    del last


def test_loss_duplicate_and_should_be_dropped() -> None:
    def lose(exps, out):
        del out[1][0]
    r = run(edit=lose)
    assert findings(r) == [("X-DELIVERY", "delivery", Severity.FAIL)]
    assert r.correlation.totals().lost == 1 and not r.passed

    def dup(exps, out):
        out[1].append((99, out[1][0][1]))
    assert findings(run(edit=dup)) == [("X-DELIVERY", "delivery", Severity.FAIL)]

    def forward_discarded(exps, out):
        frame = sent(1, udp4("198.18.1.5", "198.19.3.9", stream=4, seq=0)).frame
        out[0].append((100, frame))
    assert findings(run(edit=forward_discarded)) == [("A1", "delivery", Severity.FAIL)]


def test_replayed_packet_forwarded_is_e6() -> None:
    inner = udp4("198.19.1.9", "198.18.1.5", stream=2, seq=0)
    esp = esp_in(inner, 1)
    pkts = [sent(0, esp, stream=2, seq=0), sent(0, esp, stream=2, seq=0)]
    def accept_replay(exps, out):
        out[1].append((5, out[1][0][1]))
    r = run(edit=accept_replay, pkts=pkts)
    assert findings(r) == [("E6", "delivery", Severity.FAIL)]
    assert r.expected_drops == {"replay": 1}


def test_unexpected_frame_without_signature_warns() -> None:
    def chatter(exps, out):
        out[0].append((200, bytes(12) + b"\x86\xdd" + udp6("2001:2:0:1::5", "2001:2:0:2::9")[:40]))
    assert findings(run(edit=chatter)) == [("X-UNEXPECTED", "frame", Severity.WARN)]


def test_counter_comparison() -> None:
    r = run(counters={"sp-discard": 0, "replay": 2})
    got = sorted((f.field, f.expected, f.observed) for f in r.findings)
    assert got == [("counter.replay", 0, 2), ("counter.sp-discard", 1, 0)]
    assert all(f.requirement == "A14" for f in r.findings)


def test_ipv6_outer_fields() -> None:
    pkts = [sent(1, udp6("2001:2:0:1::5", "2001:2:0:2::9", stream=7, seq=s), stream=7, seq=s) for s in range(2)]
    assert run(pkts=pkts).findings == ()
    r = run(pkts=pkts, edit=_replace_encrypted(1, ttl=0, flow_label=5))
    assert findings(r) == [("SG-FLOWLABEL", "outer.flow_label", Severity.WARN),
                           ("SG-HOPLIMIT", "outer.hop_limit", Severity.WARN)]
    assert "ECT0" not in r.render() and ECT0 == 2


def test_esp_with_spi_zero_is_e1() -> None:
    def spi_zero(exps, out):
        ts, frame = out[0][2]
        out[0][2] = (ts, frame[:34] + bytes(4) + frame[38:])
    got = findings(run(edit=spi_zero))
    assert got == [("E3", "esp.seq", Severity.FAIL), ("E1", "esp.spi", Severity.FAIL),
                   ("X-DELIVERY", "delivery", Severity.FAIL)]
