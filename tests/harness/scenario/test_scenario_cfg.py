"""cfg text: golden checks of the writer, the reader's round trip and its errors."""
from __future__ import annotations

import hashlib
import ipaddress

import pytest

from harness.scenario import CfgReadError, Direction, Family, PolicyAction, get_preset, list_presets, scenario_from_cfg
from harness.scenario.cfg_writer import sp_line
from harness.scenario.model import Policy


def _key(name: str, label: str, n: int) -> str:
    """Independent re-derivation of the preset key rule: SHA-256(name|label|i) blocks."""
    raw = b"".join(hashlib.sha256(f"{name}|{label}|{i}".encode()).digest() for i in range(2))[:n]
    return ":".join(f"{b:02x}" for b in raw)


GOLDEN_TUN44_GCM = f"""\
# ipsec-harness scenario tun44-aes128gcm
# preset tun44-aes128gcm: aes-128-gcm, tun44

# security policies
sp ipv4 out esp protect 1001 pri 10 src 198.18.1.0/24 dst 198.19.1.0/24 sport 0:65535 dport 0:65535
sp ipv4 in esp protect 2001 pri 10 src 198.19.1.0/24 dst 198.18.1.0/24 sport 0:65535 dport 0:65535
sp ipv4 out esp bypass pri 20 src 198.18.2.0/24 dst 198.19.2.0/24 sport 0:65535 dport 0:65535
sp ipv4 in esp bypass pri 20 src 198.19.2.0/24 dst 198.18.2.0/24 sport 0:65535 dport 0:65535
sp ipv4 out esp discard pri 30 src 198.18.3.0/24 dst 198.19.3.0/24 sport 0:65535 dport 0:65535
sp ipv4 in esp discard pri 30 src 198.19.3.0/24 dst 198.18.3.0/24 sport 0:65535 dport 0:65535

# security associations
sa out 1001 aead_algo aes-128-gcm aead_key {_key("tun44-aes128gcm", "out-aead", 20)} mode ipv4-tunnel src 198.18.255.1 dst 198.19.255.1
sa in 2001 aead_algo aes-128-gcm aead_key {_key("tun44-aes128gcm", "in-aead", 20)} mode ipv4-tunnel src 198.19.255.1 dst 198.18.255.1

# routes
rt ipv4 dst 198.19.0.0/16 port 0
rt ipv4 dst 198.18.0.0/16 port 1
rt ipv6 dst 2001:2:0:2::/64 port 0
rt ipv6 dst 2001:2:0:fe::/64 port 0
rt ipv6 dst 2001:2:0:1::/64 port 1

# neighbours
neigh port 0 02:00:00:00:7e:00
neigh port 1 02:00:00:00:7e:01
"""


def test_golden_tun44_aes128gcm() -> None:
    assert get_preset("tun44-aes128gcm").to_cfg() == GOLDEN_TUN44_GCM


def _sa_lines(name: str) -> list[str]:
    return [line for line in get_preset(name).to_cfg().splitlines() if line.startswith("sa ")]


def test_golden_sa_lines_cbc_sha256_ipv6_tunnel() -> None:
    name = "tun66-aes256cbc-sha256-esn-w64"
    assert _sa_lines(name)[0] == (
        f"sa out 1001 cipher_algo aes-256-cbc cipher_key {_key(name, 'out-cipher', 32)} "
        f"auth_algo sha256-hmac auth_key {_key(name, 'out-auth', 32)} "
        "mode ipv6-tunnel src 2001:2:0:ff::1 dst 2001:2:0:fe::1")


def test_golden_sa_lines_null_cipher_transport_and_mixed_family() -> None:
    assert _sa_lines("trs4-aes128gcm")[1].endswith("mode transport")
    line = _sa_lines("tun44-null-gmac")[0]
    assert "cipher_algo null auth_algo aes-gmac auth_key " in line and "cipher_key" not in line
    assert _sa_lines("tun46-aes128gcm")[0].endswith("mode ipv6-tunnel src 2001:2:0:ff::1 dst 2001:2:0:fe::1")
    assert get_preset("tun46-aes128gcm").to_cfg().count("sp ipv4 ") == 6
    assert _sa_lines("tun44-aes128gcm-inline")[0].endswith("type inline-crypto-offload port_id 0")


def test_sp_line_quirks_are_explicit() -> None:
    net = ipaddress.ip_network
    pol = Policy(Family.IPV6, Direction.IN, PolicyAction.DISCARD, None, 5, net("2001:2:0:2::/64"), None, (17, 255), None, (53, 53))
    assert sp_line(pol) == "sp ipv6 in esp discard pri 5 src 2001:2:0:2::/64 proto 17:255 dport 53:53"


@pytest.mark.parametrize("name", list_presets())
def test_reader_recovers_every_curated_preset(name: str) -> None:
    s = get_preset(name)
    back = scenario_from_cfg(s.to_cfg(), f"{name}.cfg", args=s.dut_args(), name=name)
    assert back.sas == s.sas
    assert back.policies == s.policies
    assert back.routes == s.routes
    assert back.neighbours == s.neighbours
    assert back.ports == s.ports
    assert back.options == s.options
    assert _rules(back.to_cfg()) == _rules(s.to_cfg())


def _rules(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_reader_lexing_comments_continuation_and_quirks() -> None:
    text = (
        "# a comment line\n"
        "sp ipv4 out esp protect 5 pri 1 dst 198.19.0.0/16 # trailing comment\n"
        "sp ipv4 in esp protect 6 pri 1 src 198.19.0.0/16 sport 0:65535 dport 0:65535\n"
        "sa out 5 aead_algo aes-128-gcm aead_key 00:01:02:03:04:05:06:07:08:09:\\\n"
        "0a:0b:0c:0d:0e:0f:10:11:12:13 mode ipv4-tunnel src 198.18.255.1 dst 198.19.255.1\n"
        "sa in 6 cipher_algo null auth_algo null mode ipv4-tunnel src 198.19.255.1 dst 198.18.255.1\n"
        "rt ipv4 dst 198.19.0.0/16 port 0\n"
        "flow ipv4 dst 198.19.0.0/16 port 0 queue 1\n"
    )
    s = scenario_from_cfg(text, "x.cfg")
    out = s.sa(Direction.OUT, 5)
    assert out is not None and out.spec.aead_key == bytes(range(20))
    first = s.policies[0]
    assert first.src is None and first.sport is None and first.dport is None  # omitted tokens stay omitted
    assert s.policies[1].sport == (0, 65535)
    assert [t.name for t in s.tunnels] == ["sa-5-6"]


@pytest.mark.parametrize("line, needle", [
    ("bogus 1 2", "x.cfg:2: unknown rule kind (expected sp, sa, rt, neigh or flow) (token 'bogus')"),
    ("sp ipv4 out esp protect 1 pri 1 colour red", "x.cfg:2: unknown sp option (token 'colour')"),
    ("sp ipv4 out esp protect 1 pri x", "x.cfg:2: pri must be a decimal number"),
    ("sp ipv5 out esp bypass", "x.cfg:2: expected ipv4 or ipv6 (token 'ipv5')"),
    ("sa out 1 aead_algo aes-128-gcm aead_key zz mode transport", "x.cfg:2: aead_key must be ':'-separated hex bytes (token 'zz')"),
    ("sa out 1 cipher_algo null auth_algo null src 198.18.0.1 mode ipv4-tunnel", "x.cfg:2: src before mode"),
    ("sa out 1 cipher_algo null auth_algo null mode ipv4-tunnel src 2001:2::1", "address does not fit the mode"),
    ("sa out 1 cipher_algo null auth_algo null mode transport telemetry", "unknown or unsupported sa option (token 'telemetry')"),
    ("sa out 1 aead_algo aes-128-gcm aead_key 01:02 mode transport", "x.cfg:2: sa out 1: aead key for 'aes-128-gcm' must be 20 bytes"),
    ("neigh port 0 02:00:00", "x.cfg:2: MAC must be six"),
    ("rt ipv4 port 0", "x.cfg:2: rt needs a dst prefix"),
])
def test_reader_errors_name_line_and_token(line: str, needle: str) -> None:
    text = "# header\n" + line + "\nsp ipv4 out esp protect 1 pri 1\n"
    with pytest.raises(CfgReadError) as err:
        scenario_from_cfg(text, "x.cfg")
    assert needle in str(err.value)


def test_reader_reports_unreferenced_sa_and_bad_args() -> None:
    with pytest.raises(CfgReadError, match="x.cfg:1: sa out 1 is not used by any protect rule"):
        scenario_from_cfg("sa out 1 cipher_algo null auth_algo null mode transport\n", "x.cfg", args=["-u", "0"])
    with pytest.raises(CfgReadError, match="unknown gateway option '-z'"):
        scenario_from_cfg("", "x.cfg", args=["-z"])


def test_per_sa_esn_type_and_udp_encap_round_trip() -> None:
    text = (
        "sp ipv6 out esp protect 9 pri 1 src 2001:2:0:1::/64 dst 2001:2:0:2::/64 sport 0:65535 dport 0:65535\n"
        "sp ipv6 in esp protect 9 pri 1 src 2001:2:0:2::/64 dst 2001:2:0:1::/64 sport 0:65535 dport 0:65535\n"
        "sa out 9 aead_algo aes-256-gcm aead_key " + ":".join(["ab"] * 36) +
        " mode ipv4-tunnel src 198.18.255.1 dst 198.19.255.1 type inline-crypto-offload port_id 0 udp-encap esn 5\n"
        "sa in 9 cipher_algo aes-128-ctr cipher_key " + ":".join(["01"] * 20) + " auth_algo sha1-hmac auth_key " +
        ":".join(["02"] * 20) + " mode ipv4-tunnel src 198.19.255.1 dst 198.18.255.1 type cpu-crypto\n"
    )
    s = scenario_from_cfg(text, "e.cfg", args=["-u", "0x1", "-w", "64", "--engine", "library"])
    out, inn = s.sa(Direction.OUT, 9), s.sa(Direction.IN, 9)
    assert out is not None and inn is not None
    assert (out.spec.esn, out.esn_start, out.sa_type.value, out.port_id, out.spec.udp_encap) == (
        True, 5, "inline-crypto-offload", 0, (0, 4500))
    assert (inn.spec.esn, inn.sa_type.value, inn.inner_family) == (False, "cpu-crypto", Family.IPV6)
    assert _rules(s.to_cfg())[2:] == [line for line in text.splitlines()[2:]]
    assert s.dut_args() == ["-u", "0x1", "-w", "64", "--engine", "library"]
