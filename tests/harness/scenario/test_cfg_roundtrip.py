"""The cfg the harness writes parses in the reference gateway into the same SAs, policies,
routes and neighbours: two independent implementations of the cfg language agreeing.

The only test under harness/ that imports gateway_ref; skipped when gateway_ref.cfg is absent.
"""
from __future__ import annotations

import pytest

from harness.codec.spec import EspMode
from harness.scenario import Scenario, get_preset, list_presets, matrix_names

cfg = pytest.importorskip("gateway_ref.cfg", reason="gateway_ref.cfg (parse_cfg) is not available")

# A sample of the matrix on top of the curated list keeps the test quick.
NAMES = sorted(set(list_presets()) | set(matrix_names()[::17]))


def _compare(s: Scenario, config: object) -> None:
    sas = {(sa.direction.value, sa.spi): sa for sa in s.sas}
    parsed = {(r.direction.value, r.spi): r for r in config.sa}  # type: ignore[attr-defined]
    assert parsed.keys() == sas.keys()
    for key, rule in parsed.items():
        sa = sas[key]
        spec = sa.spec
        assert (rule.aead_algo, rule.cipher_algo, rule.auth_algo) == (spec.aead, spec.cipher, spec.auth)
        assert (rule.aead_key, rule.cipher_key, rule.auth_key) == (spec.aead_key, spec.cipher_key, spec.auth_key)
        if spec.mode is EspMode.TUNNEL:
            assert (rule.src, rule.dst) == (spec.tunnel_src, spec.tunnel_dst)
            assert rule.mode.value == f"ipv{sa.outer_family.value}-tunnel"
        else:
            assert rule.mode.value == "transport" and rule.src is None
        assert rule.type.value == sa.sa_type.value and rule.port_id == sa.port_id
        assert config.sa_inner_family[(rule.direction, rule.spi)].value == sa.inner_family.value  # type: ignore[attr-defined]
    got_sp = [(r.family.value, r.direction.value, r.action.value, r.spi, r.priority, r.src, r.dst,
               (r.proto_value, r.proto_mask), r.sport, r.dport) for r in config.sp]  # type: ignore[attr-defined]
    want_sp = [(p.family.value, p.direction.value, p.action.value, p.spi, p.priority, p.src, p.dst, p.proto,
                p.sport, p.dport) for p in s.policies]
    assert sorted(got_sp, key=repr) == sorted(want_sp, key=repr)
    assert [(r.dst, r.port) for r in config.rt] == [(r.prefix, r.port) for r in s.routes]  # type: ignore[attr-defined]
    assert [(n.port, n.mac) for n in config.neigh] == [(n.port, n.mac) for n in s.neighbours]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", NAMES)
def test_gateway_ref_parses_what_the_harness_writes(name: str) -> None:
    s = get_preset(name)
    config = cfg.parse_cfg(s.to_cfg(), f"{name}.cfg", engine=s.options.engine.value)
    _compare(s, config)
