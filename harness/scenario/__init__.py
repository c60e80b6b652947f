"""The harness's own model of a gateway test setup and its DPDK ipsec-secgw cfg writer/reader.

Role: frozen records for ports, SAs (``EspSaSpec`` from the codec plus direction, inner
family, SA type), SP policies, routes, neighbours and gateway options; ``Scenario.to_cfg()``
writes ipsec-secgw cfg text, ``Scenario.dut_args()`` the secgw-like options,
``scenario_from_cfg`` reads cfg back, ``presets`` builds named matrix scenarios.
The harness writes cfg and the reference gateway reads it: two implementations checking each
other, so nothing here may import ``gateway_ref``.

May import: the standard library and ``harness.codec``. Never ``gateway_ref`` or other
``harness`` packages.
"""
from harness.scenario.cfg_reader import CfgReadError, scenario_from_cfg
from harness.scenario.model import (
    Direction,
    Engine,
    Family,
    GatewayOptions,
    Neighbour,
    Policy,
    PolicyAction,
    Port,
    PortRole,
    Route,
    SaType,
    SecurityAssociation,
    Tunnel,
)
from harness.scenario.presets import get_preset, list_presets, matrix_names
from harness.scenario.scenario import Scenario

__all__ = [
    "CfgReadError", "Direction", "Engine", "Family", "GatewayOptions", "Neighbour", "Policy", "PolicyAction",
    "Port", "PortRole", "Route", "SaType", "Scenario", "SecurityAssociation", "Tunnel", "get_preset",
    "list_presets", "matrix_names", "scenario_from_cfg",
]
