"""Scenario records: validation messages name the field; JSON round trip; dut_args."""
from __future__ import annotations

import dataclasses
import ipaddress
import json

import pytest

from harness.codec.spec import EspSaSpec
from harness.scenario import (
    Direction,
    Engine,
    Family,
    GatewayOptions,
    Policy,
    PolicyAction,
    Port,
    PortRole,
    Route,
    SaType,
    Scenario,
    SecurityAssociation,
    Tunnel,
    get_preset,
    list_presets,
)

NET = ipaddress.ip_network


def _gcm(spi: int, **kw: object) -> EspSaSpec:
    return EspSaSpec(spi=spi, mode="tunnel", aead="aes-128-gcm", aead_key=bytes(range(20)),
                     tunnel_src=ipaddress.ip_address("198.18.255.1"), tunnel_dst=ipaddress.ip_address("198.19.255.1"), **kw)


def _scenario(**overrides: object) -> Scenario:
    out = SecurityAssociation(Direction.OUT, _gcm(7), Family.IPV4)
    inn = SecurityAssociation(Direction.IN, _gcm(8), Family.IPV4)
    fields: dict[str, object] = {
        "name": "t",
        "ports": (Port.with_defaults(0, PortRole.UNPROTECTED), Port.with_defaults(1, PortRole.PROTECTED)),
        "tunnels": (Tunnel("a", out, inn),),
        "policies": (Policy(Family.IPV4, Direction.OUT, PolicyAction.PROTECT, 7, 1, NET("198.18.1.0/24"), NET("198.19.1.0/24")),
                     Policy(Family.IPV4, Direction.IN, PolicyAction.PROTECT, 8, 1, NET("198.19.1.0/24"), NET("198.18.1.0/24"))),
        "routes": (Route(NET("198.19.0.0/16"), 0),),
    }
    fields.update(overrides)
    return Scenario(**fields)  # type: ignore[arg-type]


def test_minimal_scenario_builds_and_derives_mask() -> None:
    s = _scenario()
    assert s.unprotected_port_mask == 0b01
    assert s.sa(Direction.OUT, 7) is not None and s.sa(Direction.IN, 7) is None


@pytest.mark.parametrize("overrides, needle", [
    ({"ports": ()}, "ports must not be empty"),
    ({"ports": (Port.with_defaults(0, PortRole.UNPROTECTED), Port.with_defaults(0, PortRole.PROTECTED))}, "duplicate ids"),
    ({"routes": (Route(NET("198.19.0.0/16"), 5),)}, "routes: 198.19.0.0/16 goes to port 5"),
    ({"policies": (Policy(Family.IPV4, Direction.OUT, PolicyAction.PROTECT, 99),)}, "protect 99 (out) names no outbound SA"),
    ({"policies": (Policy(Family.IPV4, Direction.OUT, PolicyAction.PROTECT, 7),)}, "SA in 8 is not used by any protect rule"),
    ({"policies": (Policy(Family.IPV6, Direction.OUT, PolicyAction.PROTECT, 7),
                   Policy(Family.IPV4, Direction.IN, PolicyAction.PROTECT, 8))}, "inner_family IPV4 but its protect rules are IPV6"),
    ({"options": GatewayOptions(esn=True)}, "spec.esn is False but the gateway runs it with ESN on"),
])
def test_scenario_cross_checks_name_the_problem(overrides: dict[str, object], needle: str) -> None:
    with pytest.raises(ValueError, match="Scenario 't'") as err:
        _scenario(**overrides)
    assert needle in str(err.value)


def test_duplicate_spi_in_one_direction_is_rejected() -> None:
    extra = Tunnel("b", SecurityAssociation(Direction.OUT, _gcm(7), Family.IPV4))
    with pytest.raises(ValueError, match="duplicate outbound SPI 7"):
        _scenario(tunnels=(_scenario().tunnels[0], extra))


def test_engine_support_is_checked() -> None:
    with pytest.raises(ValueError, match="legacy-engine only"):
        dataclasses.replace(get_preset("tun44-descbc-sha1-legacy"), options=GatewayOptions())
    with pytest.raises(ValueError, match="chacha20-poly1305 needs the library engine"):
        _scenario(tunnels=(Tunnel("c", SecurityAssociation(
            Direction.OUT, EspSaSpec(spi=7, mode="transport", aead="chacha20-poly1305", aead_key=bytes(36)), Family.IPV4),
            SecurityAssociation(Direction.IN, _gcm(8), Family.IPV4)),), options=GatewayOptions(engine=Engine.LEGACY))


@pytest.mark.parametrize("build, field", [
    (lambda: Port(300, PortRole.PROTECTED, bytes(6), bytes(6)), "Port.id"),
    (lambda: Port(1, PortRole.PROTECTED, bytes(5), bytes(6)), "Port.dut_mac"),
    (lambda: Policy(Family.IPV4, Direction.OUT, PolicyAction.BYPASS, spi=3), "Policy.spi"),
    (lambda: Policy(Family.IPV4, Direction.OUT, PolicyAction.BYPASS, src=NET("2001:2::/48")), "Policy.src"),
    (lambda: Policy(Family.IPV4, Direction.OUT, PolicyAction.BYPASS, sport=(5, 1)), "Policy.sport"),
    (lambda: Policy(Family.IPV4, Direction.OUT, PolicyAction.BYPASS, proto=(17, 256)), "Policy.proto"),
    (lambda: Route(NET("0.0.0.0/0"), 0), "Route.prefix"),
    (lambda: GatewayOptions(replay_window=-1), "GatewayOptions.replay_window"),
    (lambda: SecurityAssociation(Direction.OUT, _gcm(7), Family.IPV4, SaType.INLINE_CRYPTO), "SecurityAssociation.port_id"),
    (lambda: SecurityAssociation(Direction.OUT, _gcm(0), Family.IPV4), "SecurityAssociation.spec.spi"),
    (lambda: SecurityAssociation(Direction.OUT, _gcm(7, udp_encap=(0, 4500)), Family.IPV4), "udp_encap"),
    (lambda: Tunnel("x"), "needs an outbound or an inbound SA"),
])
def test_record_errors_name_the_field(build, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        build()


@pytest.mark.parametrize("name", list_presets())
def test_json_round_trip_of_every_curated_preset(name: str) -> None:
    s = get_preset(name)
    text = s.to_json()
    back = Scenario.from_json(text)
    assert back == s
    assert json.loads(back.to_json()) == json.loads(text)


def test_json_errors_name_the_field() -> None:
    data = get_preset("tun44-aes128gcm").to_dict()
    data["ports"][1]["role"] = "sideways"
    with pytest.raises(ValueError, match=r"ports\[1\]\.role must be one of"):
        Scenario.from_dict(data)
    data = get_preset("tun44-aes128gcm").to_dict()
    data["tunnels"][0]["outbound"]["spec"]["aead_key"] = "00"
    with pytest.raises(ValueError, match=r"tunnels\[0\]\.outbound\.spec: aead key"):
        Scenario.from_dict(data)


def test_dut_args() -> None:
    assert get_preset("tun44-aes128gcm").dut_args() == ["-u", "0x1", "-w", "0", "--engine", "library"]
    assert get_preset("tun66-aes256cbc-sha256-esn-w64").dut_args() == ["-u", "0x1", "-w", "64", "-e", "--engine", "library"]
    assert get_preset("tun44-aes128gcm-legacy").dut_args()[-1] == "legacy"
