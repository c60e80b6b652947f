"""The bundled example cfgs parse cleanly and follow the address convention."""
import ipaddress
from pathlib import Path

import pytest

from gateway_ref.cfg import ConfigError, load_cfg
from gateway_ref.cfg.records import Direction, Family, SaMode
from gateway_ref.proto.algorithms import AEADS, AUTHS, CIPHERS

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
CFGS = sorted(EXAMPLES.glob("*.cfg"))
ALLOWED = (ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:2::/48"))


@pytest.mark.parametrize("path", CFGS, ids=lambda p: p.name)
@pytest.mark.parametrize("engine", ["library", "legacy"])
def test_example_parses_without_warnings(path, engine):
    if engine == "legacy" and "all-algorithms" in path.name:
        with pytest.raises(ConfigError, match="is not supported by the legacy engine"):
            load_cfg(path, engine=engine)
        return
    cfg = load_cfg(path, engine=engine)
    assert cfg.warnings == ()
    assert cfg.sa and cfg.sp and cfg.rt and cfg.neigh


@pytest.mark.parametrize("path", CFGS, ids=lambda p: p.name)
def test_example_uses_only_benchmarking_addresses(path):
    cfg = load_cfg(path)
    nets = [r.src for r in cfg.sp] + [r.dst for r in cfg.sp] + [r.dst for r in cfg.rt]
    nets += [ipaddress.ip_network(a) for s in cfg.sa for a in (s.src, s.dst) if a is not None]
    assert nets and all(any(n.subnet_of(a) for a in ALLOWED if a.version == n.version) for n in nets)


def test_basic_example_contents():
    cfg = load_cfg(EXAMPLES / "secgw-basic.cfg")
    by_spi = {(s.direction, s.spi): s for s in cfg.sa}
    assert by_spi[(Direction.OUT, 1001)].aead_algo == "aes-128-gcm"
    assert by_spi[(Direction.IN, 2002)].cipher_algo == "aes-128-cbc"
    assert by_spi[(Direction.IN, 2002)].auth_algo == "sha256-hmac"
    assert by_spi[(Direction.OUT, 1003)].mode is SaMode.IPV6_TUNNEL
    assert by_spi[(Direction.OUT, 1003)].aead_algo == "aes-256-gcm"
    assert by_spi[(Direction.OUT, 1004)].mode is SaMode.TRANSPORT
    assert cfg.sa_inner_family[(Direction.IN, 2003)] is Family.IPV6
    actions = {r.action.value for r in cfg.sp}
    assert actions == {"protect", "bypass", "discard"}


def test_all_algorithms_example_covers_every_library_keyword():
    cfg = load_cfg(EXAMPLES / "secgw-all-algorithms.cfg")
    used = {n for s in cfg.sa for n in (s.cipher_algo, s.auth_algo, s.aead_algo) if n}
    wanted = {n for table in (CIPHERS, AUTHS, AEADS) for n, a in table.items() if a.library}
    assert used == wanted
    outs = {s.spi for s in cfg.sa if s.direction is Direction.OUT}
    ins = {s.spi for s in cfg.sa if s.direction is Direction.IN}
    assert {spi + 1000 for spi in outs} == ins
