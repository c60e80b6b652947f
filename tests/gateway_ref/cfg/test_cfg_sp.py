"""sp grammar: every token, its checks, defaults and quirks (secgw-reference.md 1.2)."""
import ipaddress

import pytest

from gateway_ref.cfg import ConfigError, parse_cfg
from gateway_ref.cfg.records import Direction, Family, PolicyAction

PORTS = "sport 0:65535 dport 0:65535"
SA_OUT = ("sa out 5 aead_algo aes-128-gcm aead_key " + ":".join(["ab"] * 20)
          + " mode ipv4-tunnel src 198.18.255.1 dst 198.19.255.1\n")


def sp(line: str):
    cfg = parse_cfg(line + "\n", "p.cfg")
    return cfg.sp[0], cfg.warnings


def error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_cfg(text + "\n", "p.cfg")
    return str(info.value)


def test_full_rule_fields():
    rule, warnings = sp("sp ipv6 in esp discard pri 7 src 2001:2:0:1::/64 dst 2001:2::5/128 "
                        "proto 17:255 sport 10:20 dport 30:40")
    assert (rule.family, rule.direction, rule.action, rule.spi) == (
        Family.IPV6, Direction.IN, PolicyAction.DISCARD, None)
    assert rule.priority == 7
    assert rule.src == ipaddress.ip_network("2001:2:0:1::/64")
    assert rule.dst == ipaddress.ip_network("2001:2::5/128")
    assert (rule.proto_value, rule.proto_mask, rule.sport, rule.dport) == (17, 255, (10, 20), (30, 40))
    assert warnings == ()


def test_protect_records_spi():
    cfg = parse_cfg(f"sp ipv4 out esp protect 5 {PORTS}\n" + SA_OUT)
    assert cfg.sp[0].action is PolicyAction.PROTECT and cfg.sp[0].spi == 5


def test_defaults_any_address_any_proto_priority_0():
    rule, _ = sp(f"sp ipv4 out esp bypass {PORTS}")
    assert rule.priority == 0
    assert rule.src == rule.dst == ipaddress.ip_network("0.0.0.0/0")
    assert (rule.proto_value, rule.proto_mask) == (0, 0)


def test_options_in_any_order():
    rule, _ = sp(f"sp ipv4 out dport 1:2 pri 3 bypass sport 4:5 esp")
    assert (rule.priority, rule.sport, rule.dport) == (3, (4, 5), (1, 2))


def test_prefixless_address_is_wildcard_with_warning():
    rule, warnings = sp(f"sp ipv4 out esp bypass src 198.18.0.1 {PORTS}")
    assert rule.src == ipaddress.ip_network("0.0.0.0/0")
    assert [str(w) for w in warnings] == [
        "p.cfg:1:28: warning: 'src 198.18.0.1' has no prefix length: secgw treats it as /0 "
        "(matches every address); write 198.18.0.1/32 for one host or 0.0.0.0/0 for any"]


def test_missing_ports_default_to_zero_range_with_warning():
    rule, warnings = sp("sp ipv4 out esp bypass dport 0:65535")
    assert rule.sport == (0, 0) and rule.dport == (0, 65535)
    assert len(warnings) == 1 and "no sport:" in warnings[0].message
    assert "sport 0:65535" in warnings[0].message


def test_host_bits_are_masked_with_warning():
    rule, warnings = sp(f"sp ipv4 out esp bypass dst 198.18.1.1/24 {PORTS}")
    assert rule.dst == ipaddress.ip_network("198.18.1.0/24")
    assert "host bits" in warnings[0].message


@pytest.mark.parametrize("line, expected", [
    ("sp ipv5 out esp bypass", "p.cfg:1:4: error: unrecognized sp family 'ipv5'; expected one of: ipv4, ipv6"),
    ("sp IPV4 out esp bypass", "p.cfg:1:4: error: unrecognized sp family 'IPV4' (keywords are case-sensitive: write 'ipv4'); expected one of: ipv4, ipv6"),
    ("sp ipv4 sideways esp bypass", "p.cfg:1:9: error: unrecognized sp direction 'sideways'; expected one of: in, out"),
    ("sp ipv4 out bypass", "p.cfg:1:1: error: missing argument \"esp\" in sp rule"),
    ("sp ipv4 out esp", "p.cfg:1:1: error: missing argument: sp needs one of protect SPI, bypass, discard"),
    ("sp ipv4 out esp bypass discard", "p.cfg:1:24: error: conflict item: 'discard' after 'bypass'; an sp rule has exactly one of protect, bypass, discard"),
    ("sp ipv4 out esp esp bypass", "p.cfg:1:17: error: item already present: 'esp' was given at p.cfg:1:13"),
    ("sp ipv4 out esp bypass pri 1 pri 2", "p.cfg:1:30: error: item already present: 'pri' was given at p.cfg:1:24"),
    ("sp ipv4 out esp bypass frob", "p.cfg:1:24: error: unrecognized sp option 'frob'; expected one of: esp, protect, bypass, discard, pri, src, dst, proto, sport, dport"),
    ("sp ipv4 out esp bypass pri", "p.cfg:1:24: error: missing argument after 'pri': expected a priority (decimal, higher wins)"),
    ("sp ipv4 out esp bypass pri -1", "p.cfg:1:28: error: pri must be a decimal number, got '-1'"),
    ("sp ipv4 out esp bypass pri 0x10", "p.cfg:1:28: error: pri must be a decimal number, got '0x10'"),
    ("sp ipv4 out esp bypass pri 536870912", "p.cfg:1:28: error: pri 536870912 is out of range (at most 536870911)"),
    ("sp ipv4 out esp protect 0", "p.cfg:1:25: error: invalid SPI 0: 0 and 4294967295 are reserved"),
    ("sp ipv4 out esp protect 4294967295", "p.cfg:1:25: error: invalid SPI 4294967295: 0 and 4294967295 are reserved"),
    ("sp ipv4 out esp protect 4294967296", "p.cfg:1:25: error: SPI 4294967296 is out of range (at most 4294967295)"),
    ("sp ipv4 out esp protect abc", "p.cfg:1:25: error: SPI must be a decimal number, got 'abc'"),
    ("sp ipv4 out esp protect", "p.cfg:1:17: error: missing argument after 'protect': expected an SPI (decimal 1..4294967294)"),
    ("sp ipv4 out esp bypass src 2001:2::/64", "p.cfg:1:28: error: '2001:2::' is not an IPv4 address"),
    ("sp ipv6 out esp bypass src 198.18.0.0/16", "p.cfg:1:28: error: '198.18.0.0' is not an IPv6 address"),
    ("sp ipv6 out esp bypass src fe80::1%eth0/64", "p.cfg:1:28: error: 'fe80::1%eth0' is not an IPv6 address"),
    ("sp ipv4 out esp bypass src 198.18.0.0/33", "p.cfg:1:39: error: prefix length must be a decimal number 0..32, got '33'"),
    ("sp ipv4 out esp bypass src 198.18.0.0/x", "p.cfg:1:39: error: prefix length must be a decimal number 0..32, got 'x'"),
    ("sp ipv4 out esp bypass proto 17", "p.cfg:1:30: error: proto VALUE:MASK needs LOW:HIGH (two decimal numbers joined by ':'), got '17'"),
    ("sp ipv4 out esp bypass proto 256:255", "p.cfg:1:30: error: proto VALUE:MASK low value 256 over limit 255"),
    ("sp ipv4 out esp bypass proto 17:256", "p.cfg:1:30: error: proto VALUE:MASK high value 256 over limit 255"),
    ("sp ipv4 out esp bypass sport 5", "p.cfg:1:30: error: sport needs LOW:HIGH (two decimal numbers joined by ':'), got '5'"),
    ("sp ipv4 out esp bypass dport 0:65536", "p.cfg:1:30: error: dport high value 65536 over limit 65535"),
    ("sp ipv4 out esp bypass sport 9:1", "p.cfg:1:30: error: sport range 9:1 is empty (low > high)"),
])
def test_errors_name_position_and_token(line, expected):
    assert error(line) == expected


def test_error_on_second_line_of_continued_rule():
    assert error("sp ipv4 out esp bypass \\\n  pri x").startswith("p.cfg:2:7: error: pri must")
