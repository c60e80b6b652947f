"""Scenario rewrites and derived values the performance runs need.

``with_sa_type`` switches where crypto runs (secgw SA ``type``) and nothing else, so the same
traffic meets the same SAs under another placement; ``dut_options`` is the scenario's
secgw-like options as the ``Dut`` protocol takes them; ``esp_layout`` the per-packet ESP sizes
of an SA (RFC 4303 §2) for frame-size bookkeeping.
"""
from __future__ import annotations

import dataclasses

from harness.codec.algorithms import AEADS, AUTHS, CIPHERS
from harness.codec.spec import EspMode as CodecMode
from harness.dut.base import DutOptions
from harness.measure.esp_size import EspLayout, EspMode
from harness.scenario import PortRole, SaType, Scenario, SecurityAssociation, Tunnel
from harness.scenario.model import Family


def with_sa_type(scenario: Scenario, sa_type: SaType) -> Scenario:
    """The scenario with every SA of type ``sa_type``; inline types are bound to the first
    unprotected port (where ESP leaves and arrives), as secgw's ``port_id`` asks."""
    unprotected = scenario.ports_with_role(PortRole.UNPROTECTED)
    port_id = unprotected[0].id if sa_type.needs_port and unprotected else None
    if sa_type.needs_port and port_id is None:
        raise ValueError(f"scenario {scenario.name!r}: {sa_type.value} needs an unprotected port for port_id")

    def switch(sa: SecurityAssociation | None) -> SecurityAssociation | None:
        return None if sa is None else dataclasses.replace(sa, sa_type=sa_type, port_id=port_id)

    tunnels = tuple(dataclasses.replace(t, outbound=switch(t.outbound), inbound=switch(t.inbound))
                    for t in scenario.tunnels)
    return dataclasses.replace(scenario, tunnels=tunnels, name=f"{scenario.name}@{sa_type.value}")


def dut_options(scenario: Scenario) -> DutOptions:
    """``-u`` mask, ``-w``, ``-e`` and the engine of ``scenario`` as ``DutOptions``."""
    opts = scenario.options
    return DutOptions(
        unprotected_ports=frozenset(p.id for p in scenario.ports_with_role(PortRole.UNPROTECTED)),
        replay_window=opts.replay_window, esn=opts.esn, engine=opts.engine.value)


def esp_layout(sa: SecurityAssociation) -> EspLayout:
    """IV, ICV and padding alignment of ``sa`` in its mode (codec algorithm tables)."""
    spec = sa.spec
    if spec.aead is not None:
        info = AEADS[spec.aead]
        iv, icv, align = info.iv_len, info.icv_len, info.pad_align
    else:
        cipher, auth = CIPHERS[str(spec.cipher)], AUTHS[str(spec.auth)]
        iv, icv, align = cipher.iv_len + auth.iv_len, auth.icv_len, cipher.pad_align
    v4 = sa.outer_family is Family.IPV4
    if spec.mode is CodecMode.TUNNEL:
        mode = EspMode.TUNNEL4 if v4 else EspMode.TUNNEL6
    else:
        mode = EspMode.TRANSPORT4 if v4 else EspMode.TRANSPORT6
    return EspLayout(iv, icv, max(4, align), mode)


def protected_tunnels(scenario: Scenario) -> tuple[Tunnel, ...]:
    """The tunnels a performance point spreads its traffic over: those with both SAs."""
    tunnels = tuple(t for t in scenario.tunnels if t.outbound is not None and t.inbound is not None)
    if not tunnels:
        raise ValueError(f"scenario {scenario.name!r} has no tunnel with both an outbound and an inbound SA")
    return tunnels


def first_tunnel(scenario: Scenario) -> Tunnel:
    """The first tunnel with both SAs (the one a single-flow point uses)."""
    return protected_tunnels(scenario)[0]
