"""rt, neigh, flow grammars and the rule dispatcher (secgw-reference.md 1.4-1.6)."""
import ipaddress

import pytest

from gateway_ref.cfg import ConfigError, load_cfg, parse_cfg
from gateway_ref.cfg.records import Family


def error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_cfg(text + "\n", "r.cfg")
    return str(info.value)


def test_rt_rule():
    cfg = parse_cfg("rt ipv6 port 3 dst 2001:2:0:2::/64\n")
    (rule,) = cfg.rt
    assert (rule.family, rule.dst, rule.port) == (Family.IPV6, ipaddress.ip_network("2001:2:0:2::/64"), 3)


def test_rt_without_port_defaults_to_0_with_warning():
    cfg = parse_cfg("rt ipv4 dst 198.18.0.0/16\n", "r.cfg")
    assert cfg.rt[0].port == 0
    assert [str(w) for w in cfg.warnings] == ["r.cfg:1:1: warning: rt without 'port': secgw routes to port 0"]


@pytest.mark.parametrize("line, expected", [
    ("rt ipv4 dst 198.18.0.0/16 src 198.19.0.0/16 port 0", "r.cfg:1:27: error: unrecognized rt option 'src'; expected one of: dst, port"),
    ("rt ipv4 port 1", "r.cfg:1:1: error: missing argument: rt needs 'dst PREFIX/LEN'"),
    ("rt ipv4 dst 198.18.0.1 port 1", "r.cfg:1:13: error: rt dst '198.18.0.1' needs a prefix length of at least 1 (secgw's LPM rejects depth 0: cover everything with two /1 routes)"),
    ("rt ipv4 dst 0.0.0.0/0 port 1", "r.cfg:1:13: error: rt dst '0.0.0.0/0' needs a prefix length of at least 1 (secgw's LPM rejects depth 0: cover everything with two /1 routes)"),
    ("rt ipv4 dst 198.18.0.0/16 port x", "r.cfg:1:32: error: port must be a decimal number, got 'x'"),
    ("rt ipv4 dst 198.18.0.0/16 port 1 port 2", "r.cfg:1:34: error: item already present: 'port' was given at r.cfg:1:27"),
    ("rt ipv6 dst 198.18.0.0/16 port 1", "r.cfg:1:13: error: '198.18.0.0' is not an IPv6 address"),
    ("rt ip dst 198.18.0.0/16", "r.cfg:1:4: error: unrecognized rt family 'ip'; expected one of: ipv4, ipv6"),
    ("rt", "r.cfg:1:1: error: missing argument in 'rt' rule: expected ipv4 or ipv6"),
    ("neigh port 0 02:00:00:00:00", "r.cfg:1:14: error: a MAC address has 6 bytes, '02:00:00:00:00' has 5"),
    ("neigh port 0 02:00:00:00:00:0g", "r.cfg:1:29: error: MAC address byte 6 must be 1 or 2 hex digits, got '0g'"),
    ("neigh port 32 02:00:00:00:00:01", "r.cfg:1:12: error: port 32 is out of range (at most 31)"),
    ("neigh 0 02:00:00:00:00:01", "r.cfg:1:7: error: unrecognized neigh option '0'; expected: neigh port N MAC"),
    ("neigh port 0 02:00:00:00:00:01 extra", "r.cfg:1:32: error: unexpected 'extra': neigh takes exactly 'port N MAC'"),
    ("neigh port 0", "r.cfg:1:7: error: missing argument after 'port': expected a MAC address hh:hh:hh:hh:hh:hh"),
    ("flow ipv4 src 198.18.0.0/16 dst 198.19.0.0/16 port 0", "r.cfg:1:29: error: flow takes one of src/dst after ipv4, not both (secgw: Unrecognized input:dst)"),
    ("flow eth frob", "r.cfg:1:10: error: unrecognized flow option 'frob'; expected one of: mark, eth, ipv4, ipv6, port, queue, count, security, set_mark"),
    ("flow queue x", "r.cfg:1:12: error: queue must be a decimal number, got 'x'"),
    ("flow port 1 port 2", "r.cfg:1:13: error: item already present: 'port' was given at r.cfg:1:6"),
    ("Sa out 5", "r.cfg:1:1: error: unrecognized rule 'Sa' (keywords are case-sensitive: write 'sa'); expected one of: sp, sa, rt, flow, neigh"),
    ("route ipv4", "r.cfg:1:1: error: unrecognized rule 'route'; expected one of: sp, sa, rt, flow, neigh"),
])
def test_errors(line, expected):
    assert error(line) == expected


def test_rt_route_limit_per_family():
    lines = [f"rt ipv4 dst 198.18.{i // 256}.{i % 256}/32 port 0" for i in range(1025)]
    assert error("\n".join(lines)) == "r.cfg:1025:1: error: too many IPv4 routes: at most 1024"
    parse_cfg("\n".join(lines[:1024]) + "\nrt ipv6 dst 2001:2::/48 port 1\n")


def test_neigh_rule_and_override_warning():
    cfg = parse_cfg("neigh port 1 DE:AD:BE:EF:1:2\nneigh port 1 02:00:00:00:00:09\n", "r.cfg")
    assert [n.mac for n in cfg.neigh] == [bytes.fromhex("deadbeef0102"), bytes.fromhex("020000000009")]
    assert [str(w) for w in cfg.warnings] == [
        "r.cfg:2:1: warning: neigh for port 1 replaces the one at r.cfg:1:1"]


def test_flow_rule_is_parsed_and_ignored_with_warning():
    cfg = parse_cfg("flow mark 7 eth ipv6 dst 2001:2::/48 port 1 queue 2 count security set_mark 3\n"
                    "flow ipv4 port 0\n", "r.cfg")
    assert (cfg.sp, cfg.sa, cfg.rt, cfg.neigh) == ((), (), (), ())
    assert [str(w) for w in cfg.warnings] == [
        "r.cfg:1:1: warning: flow rule ignored: the reference gateway has no rte_flow hardware",
        "r.cfg:2:1: warning: flow rule ignored: the reference gateway has no rte_flow hardware"]


def test_more_than_128_flows_warn_that_secgw_skips_them():
    cfg = parse_cfg("flow eth\n" * 129)
    assert "secgw skips this one" in cfg.warnings[-1].message


def test_empty_and_comment_only_cfg():
    cfg = parse_cfg("# nothing\n\n   \n")
    assert (cfg.sp, cfg.sa, cfg.rt, cfg.neigh, cfg.warnings) == ((), (), (), (), ())


def test_load_cfg_missing_file(tmp_path):
    path = tmp_path / "missing.cfg"
    with pytest.raises(ConfigError) as info:
        load_cfg(path)
    assert str(info.value) == f"{path}:1:1: error: cannot read cfg file: No such file or directory"


def test_load_cfg_directory(tmp_path):
    with pytest.raises(ConfigError, match="cannot read cfg file"):
        load_cfg(tmp_path)


def test_load_cfg_bad_utf8_names_line_and_column(tmp_path):
    path = tmp_path / "bad.cfg"
    path.write_bytes(b"# ok\nrt ipv4 \xff\n")
    with pytest.raises(ConfigError) as info:
        load_cfg(path)
    assert str(info.value) == f"{path}:2:9: error: byte 0xff is not valid UTF-8 text"


def test_load_cfg_names_the_file_in_errors(tmp_path):
    path = tmp_path / "x.cfg"
    path.write_text("rt ipv4 dst 198.18.0.0/16 port 99\n")
    with pytest.raises(ConfigError) as info:
        load_cfg(path)
    assert str(info.value).startswith(f"{path}:1:32: error: port 99")
