"""sa grammar: every token, key lengths, types, engines, quirks (secgw-reference.md 1.3)."""
import ipaddress

import pytest

from gateway_ref.cfg import ConfigError, parse_cfg
from gateway_ref.cfg.records import Direction, Fallback, OffloadType, SaMode
from gateway_ref.proto.algorithms import AEADS, AUTHS, CIPHERS

GCM = "aead_algo aes-128-gcm aead_key " + ":".join(["ab"] * 20)
TUN = "mode ipv4-tunnel src 198.18.255.1 dst 198.19.255.1"


def key(n: int) -> str:
    return ":".join(f"{i:02x}" for i in range(n))


def with_sp(sa_line: str, family: str = "ipv4") -> str:
    """The sa line first (errors are on line 1), then an sp rule that references it."""
    direction, spi = sa_line.split()[1:3]
    return (f"{sa_line}\n"
            f"sp {family} {direction} esp protect {spi} sport 0:65535 dport 0:65535\n")


def sa(sa_line: str, engine: str = "library"):
    cfg = parse_cfg(with_sp(sa_line), "a.cfg", engine=engine)
    return cfg.sa[0], cfg.warnings


def error(sa_line: str, engine: str = "library") -> str:
    with pytest.raises(ConfigError) as info:
        parse_cfg(with_sp(sa_line), "a.cfg", engine=engine)
    assert info.value.pos.line == 1, "errors here must point into the sa line"
    return str(info.value)


def test_aead_tunnel_fields_and_defaults():
    rule, warnings = sa(f"sa out 7 {GCM} {TUN}")
    assert (rule.direction, rule.spi, rule.mode) == (Direction.OUT, 7, SaMode.IPV4_TUNNEL)
    assert rule.aead_algo == "aes-128-gcm" and rule.aead_key == bytes([0xAB] * 20)
    assert rule.cipher_algo is None and rule.auth_algo is None
    assert rule.src == ipaddress.ip_address("198.18.255.1")
    assert rule.dst == ipaddress.ip_address("198.19.255.1")
    assert (rule.type, rule.port_id, rule.fallback, rule.flow_direction) == (
        OffloadType.NO_OFFLOAD, None, None, None)
    assert (rule.udp_encap, rule.esn, rule.mss, rule.reassembly_en, rule.telemetry) == (
        False, 0, 0, False, False)
    assert warnings == ()


def test_cipher_auth_keys_and_mixed_case_hex():
    rule, _ = sa(f"sa in 9 cipher_algo aes-128-cbc cipher_key {key(16).upper()} "
                 f"auth_algo sha1-hmac auth_key {key(20)} mode transport")
    assert rule.cipher_key == bytes(range(16)) and rule.auth_key == bytes(range(20))
    assert rule.mode is SaMode.TRANSPORT and rule.src is None and rule.dst is None


def test_single_digit_hex_bytes():
    rule, _ = sa("sa out 7 aead_algo aes-128-gcm aead_key " + ":".join(["a"] * 20) + f" {TUN}")
    assert rule.aead_key == bytes([10] * 20)


def test_esp_null_is_legal():
    rule, _ = sa("sa out 7 cipher_algo null auth_algo null mode transport")
    assert (rule.cipher_algo, rule.cipher_key, rule.auth_algo, rule.auth_key) == ("null", b"", "null", b"")


def test_ipv6_tunnel():
    rule, _ = sa(f"sa out 7 {GCM} mode ipv6-tunnel src 2001:2:0:ff::1 dst 2001:2:0:fe::1")
    assert rule.dst == ipaddress.ip_address("2001:2:0:fe::1")


@pytest.mark.parametrize("name", [n for n, a in CIPHERS.items() if a.library and a.key_len])
def test_every_library_cipher_with_right_key_length(name):
    rule, _ = sa(f"sa out 7 cipher_algo {name} cipher_key {key(CIPHERS[name].key_len)} "
                 f"auth_algo sha256-hmac auth_key {key(32)} mode transport")
    assert rule.cipher_algo == name and len(rule.cipher_key) == CIPHERS[name].key_len


@pytest.mark.parametrize("name", [n for n, a in AUTHS.items() if a.key_len])
def test_every_auth_with_right_key_length(name):
    cipher = "null" if name == "aes-gmac" else f"aes-128-cbc cipher_key {key(16)}"
    rule, _ = sa(f"sa out 7 cipher_algo {cipher} auth_algo {name} "
                 f"auth_key {key(AUTHS[name].key_len)} mode transport")
    assert rule.auth_algo == name


@pytest.mark.parametrize("name", list(AEADS))
def test_every_aead_with_right_key_length(name):
    rule, _ = sa(f"sa out 7 aead_algo {name} aead_key {key(AEADS[name].key_len)} mode transport")
    assert rule.aead_algo == name


@pytest.mark.parametrize("option, expected", [
    ("aead_algo aes-128-gcm aead_key " + key(16),
     "a.cfg:1:41: error: aes-128-gcm needs a 20-byte aead_key (16-byte key + 4-byte salt), got 16"),
    ("cipher_algo aes-128-ctr cipher_key " + key(16) + " auth_algo null",
     "a.cfg:1:45: error: aes-128-ctr needs a 20-byte cipher_key (16-byte key + 4-byte nonce), got 16"),
    ("cipher_algo aes-256-cbc cipher_key " + key(16) + " auth_algo null",
     "a.cfg:1:45: error: aes-256-cbc needs a 32-byte cipher_key, got 16"),
    ("cipher_algo null auth_algo aes-gmac auth_key " + key(16),
     "a.cfg:1:55: error: aes-gmac needs a 20-byte auth_key (16-byte key + 4-byte salt), got 16"),
])
def test_key_length_errors_name_algorithm_and_length(option, expected):
    assert error(f"sa out 7 {option} mode transport") == expected


@pytest.mark.parametrize("line, expected", [
    (f"sa sideways 7 {GCM} {TUN}", "a.cfg:1:4: error: unrecognized sa direction 'sideways'; expected one of: in, out"),
    (f"sa out 0 {GCM} {TUN}", "a.cfg:1:8: error: invalid SPI 0 (secgw silently drops such a rule)"),
    (f"sa out 4294967296 {GCM} {TUN}", "a.cfg:1:8: error: SPI 4294967296 is out of range (at most 4294967295)"),
    (f"sa out 1e3 {GCM} {TUN}", "a.cfg:1:8: error: SPI must be a decimal number, got '1e3'"),
    (f"sa out 7 {GCM}", "a.cfg:1:1: error: missing mode option: expected mode ipv4-tunnel, ipv6-tunnel or transport"),
    (f"sa out 7 {GCM} mode tunnel", "a.cfg:1:106: error: unrecognized mode 'tunnel'; expected one of: ipv4-tunnel, ipv6-tunnel, transport"),
    (f"sa out 7 {GCM} src 198.18.255.1 mode ipv4-tunnel", "a.cfg:1:101: error: 'src' must follow 'mode' (secgw silently ignores an address given before mode)"),
    (f"sa out 7 {GCM} mode transport dst 198.19.0.1", "a.cfg:1:116: error: 'dst' is not allowed in a transport SA (its addresses come from the packet)"),
    (f"sa out 7 {GCM} mode ipv6-tunnel src 198.18.255.1", "a.cfg:1:122: error: '198.18.255.1' is not an IPv6 address"),
    (f"sa out 7 {GCM} {TUN} mode transport", "a.cfg:1:152: error: item already present: 'mode' was given at a.cfg:1:101"),
    ("sa out 7 mode transport", "a.cfg:1:1: error: missing cipher or AEAD options: expected cipher_algo (with auth_algo) or aead_algo"),
    ("sa out 7 cipher_algo null mode transport", "a.cfg:1:1: error: missing auth or AEAD options: expected auth_algo"),
    (f"sa out 7 cipher_algo null {GCM} mode transport", "a.cfg:1:27: error: AEAD used, no need for cipher/auth options"),
    (f"sa out 7 {GCM} auth_algo null mode transport", "a.cfg:1:101: error: AEAD used, no need for cipher/auth options"),
    ("sa out 7 cipher_algo aes-128-cbc cipher_key " + key(16) + " auth_algo aes-gmac auth_key " + key(20) + " mode transport",
     "a.cfg:1:103: error: aes-gmac only authenticates; it needs cipher_algo null"),
    ("sa out 7 cipher_algo rot13 auth_algo null mode transport", "a.cfg:1:22: error: unrecognized cipher algorithm 'rot13'; expected one of: " + ", ".join(CIPHERS)),
    ("sa out 7 cipher_algo null auth_algo md5-hmac mode transport", "a.cfg:1:37: error: unrecognized auth algorithm 'md5-hmac'; expected one of: " + ", ".join(AUTHS)),
    ("sa out 7 aead_algo AES-128-GCM mode transport", "a.cfg:1:20: error: unrecognized aead algorithm 'AES-128-GCM' (keywords are case-sensitive: write 'aes-128-gcm'); expected one of: " + ", ".join(AEADS)),
    ("sa out 7 aead_algo aes-128-gcm mode transport", "a.cfg:1:32: error: aes-128-gcm needs 'aead_key KEY' after it, got 'mode'"),
    ("sa out 7 cipher_algo null cipher_key 00 auth_algo null mode transport", "a.cfg:1:27: error: unrecognized sa option 'cipher_key'; expected one of: mode, src, dst, cipher_algo, auth_algo, aead_algo, type, port_id, fallback, flow-direction, udp-encap, esn, mss, reassembly_en, telemetry"),
    ("sa out 7 aead_algo aes-128-gcm aead_key " + key(19) + ":zz mode transport", "a.cfg:1:98: error: aead_key byte 20 must be 1 or 2 hex digits, got 'zz'"),
    ("sa out 7 aead_algo aes-128-gcm aead_key 123:" + key(19) + " mode transport", "a.cfg:1:41: error: aead_key byte 1 must be 1 or 2 hex digits, got '123'"),
    (f"sa out 7 {GCM} {TUN} bogus", "a.cfg:1:152: error: unrecognized sa option 'bogus'; expected one of: mode, src, dst, cipher_algo, auth_algo, aead_algo, type, port_id, fallback, flow-direction, udp-encap, esn, mss, reassembly_en, telemetry"),
    (f"sa out 7 {GCM} {TUN} type lookaside-none", "a.cfg:1:157: error: 'lookaside-none' is only accepted after 'fallback'; for a software SA write 'type no-offload'"),
    (f"sa out 7 {GCM} {TUN} type fast", "a.cfg:1:157: error: unrecognized type 'fast'; expected one of: no-offload, cpu-crypto, inline-crypto-offload, inline-protocol-offload, lookaside-protocol-offload"),
    (f"sa out 7 {GCM} {TUN} udp-encap", "a.cfg:1:152: error: UDP encapsulation not supported for security session type no-offload; 'udp-encap' needs an earlier 'type' of: inline-crypto-offload, inline-protocol-offload, lookaside-protocol-offload"),
    (f"sa out 7 {GCM} {TUN} udp-encap type inline-protocol-offload port_id 0", "a.cfg:1:152: error: UDP encapsulation not supported for security session type no-offload; 'udp-encap' needs an earlier 'type' of: inline-crypto-offload, inline-protocol-offload, lookaside-protocol-offload"),
    (f"sa out 7 {GCM} {TUN} port_id 1 port_id 2", "a.cfg:1:170: error: port_id 2 does not match port_id 1 already assigned at a.cfg:1:160"),
    (f"sa out 7 {GCM} {TUN} port_id 32", "a.cfg:1:160: error: port_id 32 is out of range (at most 31)"),
    (f"sa out 7 {GCM} {TUN} port_id 1 flow-direction 2 0", "a.cfg:1:177: error: flow-direction port 2 does not match port_id 1 already assigned at a.cfg:1:160"),
    (f"sa in 7 {GCM} {TUN} type inline-crypto-offload port_id 0 flow-direction 0 1", "a.cfg:1:188: error: flow director not supported for security session type inline-crypto-offload"),
    (f"sa out 7 {GCM} {TUN} type inline-crypto-offload port_id 0 fallback cpu-crypto", "a.cfg:1:189: error: fallback is only allowed for 'sa in'"),
    (f"sa in 7 {GCM} {TUN} fallback cpu-crypto type inline-crypto-offload port_id 0", "a.cfg:1:151: error: fallback needs 'type inline-crypto-offload' earlier on the line (type so far: no-offload)"),
    (f"sa in 7 {GCM} {TUN} type inline-crypto-offload port_id 0 fallback none", "a.cfg:1:197: error: unrecognized fallback 'none'; expected one of: lookaside-none, cpu-crypto"),
    (f"sa in 7 {GCM} {TUN} type inline-crypto-offload port_id 0 fallback cpu-crypto fallback cpu-crypto", "a.cfg:1:208: error: item already present: 'fallback' was given at a.cfg:1:188"),
    (f"sa out 7 {GCM} {TUN} esn", "a.cfg:1:152: error: missing argument after 'esn': expected an initial sequence number"),
    (f"sa out 7 {GCM} {TUN} esn -1", "a.cfg:1:156: error: esn must be a decimal number, got '-1'"),
    (f"sa out 7 {GCM} {TUN} mss 65536", "a.cfg:1:156: error: mss 65536 is out of range (at most 65535)"),
])
def test_errors(line, expected):
    assert error(line) == expected


def test_offload_types_with_port_id():
    for offload in OffloadType:
        rule, warnings = sa(f"sa out 7 {GCM} {TUN} type {offload.value} port_id 3")
        assert rule.type is offload and rule.port_id == 3 and warnings == ()


def test_offload_type_without_port_id_downgrades_with_warning():
    rule, warnings = sa(f"sa in 7 {GCM} {TUN} type inline-crypto-offload fallback lookaside-none")
    assert rule.type is OffloadType.NO_OFFLOAD and rule.fallback is None
    assert [str(w) for w in warnings] == [
        "a.cfg:1:151: warning: type inline-crypto-offload needs port_id; the SA becomes "
        "no-offload and its fallback is dropped"]


def test_cpu_crypto_needs_no_port_id():
    rule, warnings = sa(f"sa out 7 {GCM} {TUN} type cpu-crypto")
    assert rule.type is OffloadType.CPU_CRYPTO and warnings == ()


def test_fallback_after_inline_crypto_on_inbound():
    rule, _ = sa(f"sa in 7 {GCM} {TUN} type inline-crypto-offload port_id 0 fallback cpu-crypto")
    assert rule.fallback is Fallback.CPU_CRYPTO
    rule, _ = sa(f"sa in 7 {GCM} {TUN} type inline-crypto-offload port_id 0 fallback lookaside-none")
    assert rule.fallback is Fallback.LOOKASIDE_NONE


@pytest.mark.parametrize("offload", ["inline-crypto-offload", "inline-protocol-offload",
                                     "lookaside-protocol-offload"])
def test_udp_encap_after_offload_type(offload):
    rule, _ = sa(f"sa out 7 {GCM} {TUN} type {offload} udp-encap port_id 1")
    assert rule.udp_encap


def test_flow_direction_sets_port_and_queue():
    rule, _ = sa(f"sa in 7 {GCM} {TUN} flow-direction 1 4 port_id 1")
    assert rule.flow_direction == (1, 4) and rule.port_id == 1


def test_esn_repeats_last_wins_and_flags():
    rule, _ = sa(f"sa out 7 {GCM} {TUN} esn 5 esn 18446744073709551615 mss 1400 "
                 "reassembly_en telemetry")
    assert (rule.esn, rule.mss, rule.reassembly_en, rule.telemetry) == (2**64 - 1, 1400, True, True)


def test_tunnel_endpoint_prefix_ignored_with_warning():
    rule, warnings = sa(f"sa out 7 {GCM} mode ipv4-tunnel src 198.18.255.1/24 dst 198.19.255.1")
    assert rule.src == ipaddress.ip_address("198.18.255.1")
    assert "prefix /24" in warnings[0].message


def test_tunnel_without_endpoints_uses_unspecified_with_warning():
    rule, warnings = sa(f"sa out 7 {GCM} mode ipv4-tunnel dst 198.19.255.1")
    assert rule.src == ipaddress.ip_address("0.0.0.0")
    assert "without src" in warnings[0].message


@pytest.mark.parametrize("name", ["des-cbc", "sm4-cbc"])
def test_library_engine_rejects_des_and_sm4(name):
    line = (f"sa out 7 cipher_algo {name} cipher_key {key(CIPHERS[name].key_len)} "
            "auth_algo null mode transport")
    assert error(line) == (f"a.cfg:1:22: error: {name} is not supported by the library engine "
                           "(secgw rejects it in rte_ipsec_sa_init); use --engine legacy")
    assert sa(line, engine="legacy")[0].cipher_algo == name


@pytest.mark.parametrize("name", [n for n, a in AEADS.items() if not a.legacy])
def test_legacy_engine_rejects_library_only_aeads(name):
    line = f"sa out 7 aead_algo {name} aead_key {key(AEADS[name].key_len)} mode transport"
    assert error(line, "legacy") == (f"a.cfg:1:20: error: {name} is not supported by the legacy "
                                     "engine; use --engine library")


@pytest.mark.parametrize("name", [n for n, a in AUTHS.items() if not a.legacy])
def test_legacy_engine_rejects_library_only_auths(name):
    cipher = "null" if name == "aes-gmac" else f"aes-128-cbc cipher_key {key(16)}"
    line = (f"sa out 7 cipher_algo {cipher} auth_algo {name} auth_key "
            f"{key(AUTHS[name].key_len)} mode transport")
    assert f"{name} is not supported by the legacy engine" in error(line, "legacy")


def test_legacy_engine_rejects_cpu_crypto_and_fallback():
    assert error(f"sa out 7 {GCM} {TUN} type cpu-crypto", "legacy") == (
        "a.cfg:1:157: error: type cpu-crypto is not supported by the legacy engine; use --engine library")
    assert "fallback is not supported by the legacy engine" in error(
        f"sa in 7 {GCM} {TUN} type inline-crypto-offload port_id 0 fallback cpu-crypto", "legacy")


def test_legacy_engine_warns_esn_ignored():
    _, warnings = sa(f"sa out 7 {GCM} {TUN} esn 3", engine="legacy")
    assert [w.message for w in warnings] == ["esn is ignored by the legacy engine"]


def test_unknown_engine_is_a_value_error():
    with pytest.raises(ValueError, match="unknown engine 'fast'"):
        parse_cfg("", engine="fast")
