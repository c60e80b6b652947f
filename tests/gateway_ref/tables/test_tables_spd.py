"""SPD: priority, overlap, default deny, no-rules pass-through, fixed-offset selectors, cache."""
import ipaddress
import struct

import pytest

from gateway_ref.cfg import parse_cfg
from gateway_ref.cfg.records import Direction, Family, PolicyAction
from gateway_ref.tables import Spd, build_tables

PORTS = "sport 0:65535 dport 0:65535"


def ipv4(src: str, dst: str, proto: int = 17, l4: bytes = b"", ihl: int = 5) -> bytes:
    """An IPv4 header (options zero-filled when ihl > 5) followed by ``l4``."""
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(l4), 0, 0, 64, proto, 0,
                         bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    return header + bytes(4 * (ihl - 5)) + l4


def ipv6(src: str, dst: str, nh: int = 17, payload: bytes = b"") -> bytes:
    return (struct.pack("!IHBB", 6 << 28, len(payload), nh, 64) + ipaddress.IPv6Address(src).packed
            + ipaddress.IPv6Address(dst).packed + payload)


def udp(sport: int, dport: int) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8, 0)


def spd(rules: str, family: Family = Family.IPV4, direction: Direction = Direction.OUT) -> Spd:
    table = build_tables(parse_cfg(rules)).spd(family, direction)
    assert table is not None
    return table


def action(table: Spd, packet: bytes) -> str | None:
    rule = table.lookup(packet)
    return None if rule is None else f"{rule.action.value}@{rule.priority}"


def test_higher_priority_wins_regardless_of_file_order():
    table = spd(f"sp ipv4 out esp bypass pri 1 {PORTS}\n"
                f"sp ipv4 out esp discard pri 9 dst 198.19.0.0/16 {PORTS}\n")
    assert action(table, ipv4("198.18.0.1", "198.19.0.1", l4=udp(1, 2))) == "discard@9"
    assert action(table, ipv4("198.18.0.1", "198.18.0.2", l4=udp(1, 2))) == "bypass@1"


def test_equal_priority_first_in_file_wins():
    table = spd(f"sp ipv4 out esp discard pri 5 {PORTS}\nsp ipv4 out esp bypass pri 5 {PORTS}\n")
    assert action(table, ipv4("198.18.0.1", "198.19.0.1", l4=udp(1, 2))) == "discard@5"
    table = spd(f"sp ipv4 out esp bypass pri 5 {PORTS}\nsp ipv4 out esp discard pri 5 {PORTS}\n")
    assert action(table, ipv4("198.18.0.1", "198.19.0.1", l4=udp(1, 2))) == "bypass@5"


def test_no_match_is_none_for_default_deny():
    table = spd(f"sp ipv4 out esp bypass src 198.18.1.0/24 {PORTS}\n")
    assert table.lookup(ipv4("198.18.2.1", "198.19.0.1", l4=udp(1, 2))) is None


def test_family_and_direction_without_rules_give_no_spd():
    tables = build_tables(parse_cfg(f"sp ipv4 out esp bypass {PORTS}\n"))
    assert tables.spd(Family.IPV4, Direction.OUT) is not None
    assert tables.spd(Family.IPV4, Direction.IN) is None
    assert tables.spd(Family.IPV6, Direction.OUT) is None


def test_prefix_selectors():
    table = spd(f"sp ipv4 out esp bypass src 198.18.1.0/24 dst 198.19.128.0/17 {PORTS}\n")
    assert table.lookup(ipv4("198.18.1.200", "198.19.200.1", l4=udp(0, 0)))
    assert table.lookup(ipv4("198.18.1.200", "198.19.127.1", l4=udp(0, 0))) is None
    assert table.lookup(ipv4("198.18.0.200", "198.19.200.1", l4=udp(0, 0))) is None


def test_proto_is_a_bitmask():
    table = spd(f"sp ipv4 out esp bypass proto 16:254 {PORTS}\n")  # matches 16 and 17 only
    hits = [p for p in range(256) if table.lookup(ipv4("198.18.0.1", "198.19.0.1", p, udp(1, 1)))]
    assert hits == [16, 17]


def test_port_ranges_inclusive():
    table = spd("sp ipv4 out esp bypass sport 1000:1001 dport 53:53\n")
    hit = lambda s, d: table.lookup(ipv4("198.18.0.1", "198.19.0.1", l4=udp(s, d))) is not None
    assert [hit(999, 53), hit(1000, 53), hit(1001, 53), hit(1002, 53), hit(1000, 54)] == [
        False, True, True, False, False]


def test_missing_ports_default_only_matches_zero_bytes():
    table = spd("sp ipv4 out esp bypass\n")
    assert table.lookup(ipv4("198.18.0.1", "198.19.0.1", l4=udp(0, 0)))
    assert table.lookup(ipv4("198.18.0.1", "198.19.0.1", l4=udp(0, 1))) is None


def test_ipv4_ports_read_at_fixed_offset_20_ignoring_ihl():
    table = spd("sp ipv4 out esp bypass sport 0:0 dport 0:0\n")
    # IHL 6: real UDP ports sit at 24..27, but secgw reads the 4 option bytes (zeros) at 20..23
    packet = ipv4("198.18.0.1", "198.19.0.1", l4=udp(1234, 80), ihl=6)
    assert table.lookup(packet) is not None
    table = spd("sp ipv4 out esp bypass sport 1234:1234 dport 80:80\n")
    assert table.lookup(packet) is None


def test_icmp_type_code_and_checksum_are_the_ports():
    table = spd("sp ipv4 out esp bypass proto 1:255 sport 2048:2048 dport 0:65535\n")
    echo = bytes([8, 0, 0x12, 0x34])  # type 8 code 0 -> "sport" 0x0800
    assert table.lookup(ipv4("198.18.0.1", "198.19.0.1", 1, echo))


def test_short_packet_missing_port_bytes_count_as_zero():
    table = spd("sp ipv4 out esp bypass sport 0:0 dport 0:0\n")
    assert table.lookup(ipv4("198.18.0.1", "198.19.0.1", l4=b"")) is not None
    assert table.lookup(ipv4("198.18.0.1", "198.19.0.1", l4=b"\x00\x00\x00")) is not None
    assert table.lookup(b"") is not None  # everything zero, never raises
    other = spd("sp ipv4 out esp bypass sport 256:256 dport 0:0\n")
    assert other.lookup(ipv4("198.18.0.1", "198.19.0.1", l4=b"\x01")) is not None


def test_ipv6_proto_is_base_next_header_and_ports_at_40():
    table = spd(f"sp ipv6 out esp bypass src 2001:2:0:1::/64 proto 17:255 sport 7:7 dport 9:9\n",
                Family.IPV6)
    assert table.lookup(ipv6("2001:2:0:1::5", "2001:2:0:2::5", 17, udp(7, 9)))
    # a hop-by-hop header first: next header 0 and its bytes sit where the ports are read
    hbh = bytes([17, 0, 0, 0, 0, 0, 0, 0]) + udp(7, 9)
    assert table.lookup(ipv6("2001:2:0:1::5", "2001:2:0:2::5", 0, hbh)) is None
    assert table.lookup(ipv6("2001:2:0:2::5", "2001:2:0:2::5", 17, udp(7, 9))) is None


def test_protect_rule_lookup_returns_spi():
    key = ":".join(["ab"] * 20)
    cfg = parse_cfg(f"sp ipv4 in esp protect 9 {PORTS}\n"
                    f"sa in 9 aead_algo aes-128-gcm aead_key {key} mode transport\n")
    rule = build_tables(cfg).spd(Family.IPV4, Direction.IN).lookup(ipv4("198.19.0.1", "198.18.0.1", l4=udp(1, 2)))
    assert rule.action is PolicyAction.PROTECT and rule.spi == 9


def test_cache_is_bounded_and_returns_same_answers():
    rules = parse_cfg(f"sp ipv4 out esp bypass pri 2 dst 198.19.0.0/24 {PORTS}\n"
                      f"sp ipv4 out esp discard pri 1 {PORTS}\n").sp
    small = Spd(Family.IPV4, Direction.OUT, rules, cache_size=4)
    packets = [ipv4("198.18.0.1", f"198.19.{i % 3}.1", l4=udp(i, 1)) for i in range(50)]
    first = [small.lookup(p) for p in packets]
    again = [small.lookup(p) for p in packets]
    assert first == again
    assert [r.action.value for r in first[:3]] == ["bypass", "discard", "discard"]
    assert 0 < small.cached <= 4


def test_spd_rejects_rules_of_another_family():
    rules = parse_cfg(f"sp ipv6 out esp bypass {PORTS}\n").sp
    with pytest.raises(ValueError):
        Spd(Family.IPV4, Direction.OUT, rules)
