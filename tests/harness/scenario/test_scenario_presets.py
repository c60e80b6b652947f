"""Preset names: grammar, every matrix name builds, addresses only from benchmarking ranges."""
from __future__ import annotations

import ipaddress

import pytest

from harness.scenario import Direction, Engine, Family, get_preset, list_presets, matrix_names
from harness.scenario.presets import parse_preset_name

V4_BENCH = ipaddress.ip_network("198.18.0.0/15")
V6_BENCH = ipaddress.ip_network("2001:2::/48")


def _in_bench(obj: ipaddress.IPv4Address | ipaddress.IPv6Address | ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    if isinstance(obj, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return obj.subnet_of(V4_BENCH if obj.version == 4 else V6_BENCH)  # type: ignore[arg-type]
    return obj in (V4_BENCH if obj.version == 4 else V6_BENCH)


def test_matrix_covers_every_layout_and_algorithm_keyword() -> None:
    names = matrix_names()
    assert len(names) == len(set(names))
    keywords = set()
    for name in names:
        p = parse_preset_name(name)
        keywords |= {k for k in (p.aead, p.cipher, p.auth) if k}
    assert keywords == {
        "aes-128-gcm", "aes-192-gcm", "aes-256-gcm", "aes-128-ccm", "aes-192-ccm", "aes-256-ccm", "chacha20-poly1305",
        "null", "aes-128-cbc", "aes-192-cbc", "aes-256-cbc", "aes-128-ctr", "aes-192-ctr", "aes-256-ctr", "3des-cbc",
        "des-cbc", "sm4-cbc", "sha1-hmac", "sha256-hmac", "sha384-hmac", "sha512-hmac", "aes-gmac", "aes-xcbc-mac-96",
        "sm3-hmac"}
    assert {n.split("-")[0] for n in names} == {"tun44", "tun66", "tun46", "tun64", "trs4", "trs6"}


def test_every_matrix_and_curated_name_builds_with_benchmark_addresses() -> None:
    for name in matrix_names() + list_presets():
        s = get_preset(name)
        assert s.name == name
        for sa in s.sas:
            for addr in (sa.spec.tunnel_src, sa.spec.tunnel_dst):
                assert addr is None or _in_bench(addr), name
        for pol in s.policies:
            assert pol.src is not None and pol.dst is not None
            assert _in_bench(pol.src) and _in_bench(pol.dst), name
        assert all(_in_bench(r.prefix) for r in s.routes)


@pytest.mark.parametrize("name, inner, outer, tunnel", [
    ("tun44-aes128gcm", Family.IPV4, Family.IPV4, True),
    ("tun66-aes128gcm", Family.IPV6, Family.IPV6, True),
    ("tun46-aes128gcm", Family.IPV4, Family.IPV6, True),
    ("tun64-aes128gcm", Family.IPV6, Family.IPV4, True),
    ("trs4-aes128gcm", Family.IPV4, Family.IPV4, False),
    ("trs6-chacha20", Family.IPV6, Family.IPV6, False),
])
def test_layout_tokens(name: str, inner: Family, outer: Family, tunnel: bool) -> None:
    s = get_preset(name)
    out = s.sa(Direction.OUT, 1001)
    inn = s.sa(Direction.IN, 2001)
    assert out is not None and inn is not None
    assert (out.inner_family, out.outer_family, out.is_tunnel) == (inner, outer, tunnel)
    if tunnel:
        assert (out.spec.tunnel_src, out.spec.tunnel_dst) == (inn.spec.tunnel_dst, inn.spec.tunnel_src)


def test_modifiers() -> None:
    s = get_preset("tun66-aes256cbc-sha256-esn-w64")
    assert (s.options.esn, s.options.replay_window, s.options.engine) == (True, 64, Engine.LIBRARY)
    assert all(sa.spec.esn for sa in s.sas)
    assert get_preset("tun44-descbc-sha1-legacy").options.engine is Engine.LEGACY


def test_keys_are_deterministic_and_distinct() -> None:
    a, b = get_preset("tun44-aes128gcm"), get_preset("tun44-aes128gcm")
    assert a == b
    keys = {sa.spec.aead_key for sa in a.sas} | {sa.spec.aead_key for sa in get_preset("tun66-aes128gcm").sas}
    assert len(keys) == 4


@pytest.mark.parametrize("name, needle", [
    ("tun45-aes128gcm", "layout 'tun45' must be one of"),
    ("tun44", "missing algorithm"),
    ("tun44-aes100gcm", "algorithm 'aes100gcm' must be an AEAD token"),
    ("tun44-aes128cbc", "must be followed by an auth token"),
    ("tun44-aes128cbc-md5", "got 'md5'"),
    ("tun44-aes128gcm-turbo", "unknown modifier 'turbo'"),
    ("tun44-aes128gcm-w64-esn", "canonical name is 'tun44-aes128gcm-esn-w64'"),
    ("tun44-descbc-sha1", "needs the legacy engine: append '-legacy'"),
    ("tun44-aes128gcm-esn-legacy", "legacy engine has no ESN"),
    ("tun44-aes128gcm-w0", "unknown modifier 'w0'"),
])
def test_bad_names_say_what_is_wrong(name: str, needle: str) -> None:
    with pytest.raises(ValueError) as err:
        get_preset(name)
    assert needle in str(err.value)
