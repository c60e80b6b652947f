"""SAD by SPI (outer family for inbound), LPM routes, neighbour and port MACs, the dump."""
import ipaddress
from pathlib import Path

import pytest

from gateway_ref.cfg import load_cfg, parse_cfg
from gateway_ref.cfg.records import Family, SaMode
from gateway_ref.tables import Lpm, build_tables, format_tables

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
PORTS = "sport 0:65535 dport 0:65535"
KEY = ":".join(["ab"] * 20)


def packed(address: str) -> bytes:
    return ipaddress.ip_address(address).packed


@pytest.fixture(scope="module")
def basic():
    return build_tables(load_cfg(EXAMPLES / "secgw-basic.cfg"))


def test_sa_out_by_spi(basic):
    assert basic.sa_out(1001).aead_algo == "aes-128-gcm"
    assert basic.sa_out(2001) is None
    assert basic.sa_out(999) is None


def test_sa_in_by_outer_family_and_spi(basic):
    tunnel6 = basic.sa_in(Family.IPV6, 2003)
    assert tunnel6.mode is SaMode.IPV6_TUNNEL
    assert tunnel6.src == ipaddress.ip_address("2001:2:0:fe::1")
    assert basic.sa_in(Family.IPV4, 2003) is None
    assert basic.sa_in(Family.IPV4, 2004).mode is SaMode.TRANSPORT
    assert basic.sa_in(Family.IPV6, 2004) is None
    assert basic.inner_family(basic.sa_in(Family.IPV4, 2001)) is Family.IPV4


def test_mixed_family_tunnel_goes_in_outer_family_table():
    cfg = parse_cfg(f"sp ipv6 in esp protect 8 {PORTS}\n"
                    f"sa in 8 aead_algo aes-128-gcm aead_key {KEY} "
                    "mode ipv4-tunnel src 198.19.255.1 dst 198.18.255.1\n")
    tables = build_tables(cfg)
    sa = tables.sa_in(Family.IPV4, 8)
    assert sa is not None and tables.sa_in(Family.IPV6, 8) is None
    assert tables.inner_family(sa) is Family.IPV6


def test_transport_sa_in_table_of_its_sp_family():
    cfg = parse_cfg(f"sp ipv6 in esp protect 6 {PORTS}\n"
                    f"sa in 6 aead_algo aes-128-gcm aead_key {KEY} mode transport\n")
    tables = build_tables(cfg)
    assert tables.sa_in(Family.IPV6, 6) is not None and tables.sa_in(Family.IPV4, 6) is None


def test_route_longest_prefix_wins_and_miss_is_none():
    tables = build_tables(parse_cfg("rt ipv4 dst 198.18.0.0/15 port 1\n"
                                    "rt ipv4 dst 198.19.0.0/16 port 2\n"
                                    "rt ipv4 dst 198.19.7.0/24 port 3\n"
                                    "rt ipv4 dst 198.19.7.9/32 port 4\n"))
    assert tables.route(Family.IPV4, packed("198.18.1.1")) == 1
    assert tables.route(Family.IPV4, packed("198.19.1.1")) == 2
    assert tables.route(Family.IPV4, packed("198.19.7.1")) == 3
    assert tables.route(Family.IPV4, packed("198.19.7.9")) == 4
    assert tables.route(Family.IPV4, packed("198.20.0.1")) is None
    assert tables.route(Family.IPV6, packed("2001:2::1")) is None


def test_route_duplicate_prefix_last_wins():
    tables = build_tables(parse_cfg("rt ipv6 dst 2001:2::/48 port 1\nrt ipv6 dst 2001:2::/48 port 5\n"
                                    "rt ipv6 dst 2001:2:0:1::/64 port 2\n"))
    assert tables.route(Family.IPV6, packed("2001:2:0:3::1")) == 5
    assert tables.route(Family.IPV6, packed("2001:2:0:1::1")) == 2


def test_route_split_default_with_two_half_prefixes():
    tables = build_tables(parse_cfg("rt ipv4 dst 0.0.0.0/1 port 1\nrt ipv4 dst 128.0.0.0/1 port 2\n"))
    assert tables.route(Family.IPV4, packed("1.2.3.4")) == 1
    assert tables.route(Family.IPV4, packed("198.18.0.1")) == 2


def test_lpm_rejects_wrong_address_length():
    lpm = Lpm(Family.IPV4, ())
    with pytest.raises(ValueError, match="needs 4 bytes"):
        lpm.lookup(packed("2001:2::1"))


def test_neigh_defaults_overrides_and_zero_beyond(basic):
    assert basic.neigh_mac(0) == bytes.fromhex("02000000fe01")
    tables = build_tables(parse_cfg("neigh port 2 02:00:00:00:00:22\n"))
    assert tables.neigh_mac(0) == bytes.fromhex("00163e7e949a")
    assert tables.neigh_mac(1) == bytes.fromhex("00163e22a1d9")
    assert tables.neigh_mac(2) == bytes.fromhex("020000000022")
    assert tables.neigh_mac(3) == bytes.fromhex("00163e499edd")
    assert tables.neigh_mac(4) == bytes(6)


def test_port_macs_default_and_override():
    tables = build_tables(parse_cfg(""), port_macs={1: bytes.fromhex("020000aa0001")})
    assert tables.port_mac(0) == bytes.fromhex("020000000000")
    assert tables.port_mac(7) == bytes.fromhex("020000000007")
    assert tables.port_mac(300) == bytes.fromhex("02000000012c")
    assert tables.port_mac(1) == bytes.fromhex("020000aa0001")
    with pytest.raises(ValueError):
        build_tables(parse_cfg(""), port_macs={0: b"\x02"})


def test_format_tables_dump(basic):
    text = format_tables(basic)
    lines = text.splitlines()
    spd_out = lines.index("SPD ipv4 out (5 rules, highest priority first; no match -> discard):")
    assert lines[spd_out + 1].split()[:4] == ["pri", "100", "discard", "src"]
    assert lines[spd_out + 3].split()[:4] == ["pri", "10", "protect", "1001"]
    assert any(l.split()[:3] == ["spi", "2003", "aes-256-gcm"] and "ipv6-tunnel 2001:2:0:fe::1 -> 2001:2:0:ff::1" in l
               and "inner ipv6 outer ipv6" in l for l in lines)
    assert any("aes-128-cbc+sha256-hmac" in l for l in lines)
    assert any(l.split() == ["198.19.0.0/16", "->", "port", "0"] for l in lines)
    assert "  port 1: src 02:00:00:00:00:01  dst 02:00:00:00:01:01 (neigh)" in lines


def test_format_tables_marks_missing_spd_as_pass_through():
    text = format_tables(build_tables(parse_cfg(f"sp ipv4 out esp bypass {PORTS}\n")))
    assert "SPD ipv6 in: no rules -> SP stage skipped, every packet passes (secgw quirk)" in text
