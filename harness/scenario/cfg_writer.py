"""Scenario → DPDK ipsec-secgw cfg text (secgw-reference.md §1.2–§1.5) and command-line options (§2).

Choices made so that the text means exactly what the scenario says:
* ``sport``/``dport`` are written as explicit ranges (omitting them means 0:0 in secgw);
  a policy whose range is None omits the token on purpose (to test that quirk);
* src/dst prefixes always carry their ``/len`` (a bare address means /0 in secgw);
* ``mode`` comes before ``src``/``dst`` (secgw ignores addresses given before ``mode``);
* ``type`` comes before ``udp-encap`` (secgw checks the type already seen);
* keys as lower-case ``hh:hh:...``; ``null`` algorithms take no key token.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from harness.codec.spec import EspMode
from harness.scenario.model import Family, Policy, PolicyAction, SaType, SecurityAssociation

if TYPE_CHECKING:
    from harness.scenario.scenario import Scenario


def key_text(key: bytes) -> str:
    """Key bytes → ``de:ad:be:ef``."""
    return ":".join(f"{b:02x}" for b in key)


def _family_word(family: Family) -> str:
    return "ipv4" if family is Family.IPV4 else "ipv6"


def sp_line(p: Policy) -> str:
    words = ["sp", _family_word(p.family), p.direction.value, "esp", p.action.value]
    if p.action is PolicyAction.PROTECT:
        words.append(str(p.spi))
    words += ["pri", str(p.priority)]
    if p.src is not None:
        words += ["src", p.src.with_prefixlen]
    if p.dst is not None:
        words += ["dst", p.dst.with_prefixlen]
    if p.proto[1]:
        words += ["proto", f"{p.proto[0]}:{p.proto[1]}"]
    if p.sport is not None:
        words += ["sport", f"{p.sport[0]}:{p.sport[1]}"]
    if p.dport is not None:
        words += ["dport", f"{p.dport[0]}:{p.dport[1]}"]
    return " ".join(words)


def _algo_words(sa: SecurityAssociation) -> list[str]:
    spec = sa.spec
    if spec.aead is not None:
        return ["aead_algo", spec.aead, "aead_key", key_text(spec.aead_key)]
    words = ["cipher_algo", str(spec.cipher)]
    if spec.cipher != "null":
        words += ["cipher_key", key_text(spec.cipher_key)]
    words += ["auth_algo", str(spec.auth)]
    if spec.auth != "null":
        words += ["auth_key", key_text(spec.auth_key)]
    return words


def sa_line(sa: SecurityAssociation) -> str:
    spec = sa.spec
    words = ["sa", sa.direction.value, str(sa.spi), *_algo_words(sa)]
    if spec.mode is EspMode.TRANSPORT:
        words += ["mode", "transport"]
    else:
        words += ["mode", f"{_family_word(sa.outer_family)}-tunnel", "src", str(spec.tunnel_src),
                  "dst", str(spec.tunnel_dst)]
    if sa.sa_type is not SaType.NO_OFFLOAD:
        words += ["type", sa.sa_type.value]
    if sa.port_id is not None:
        words += ["port_id", str(sa.port_id)]
    if spec.udp_encap is not None:
        words.append("udp-encap")
    if sa.esn_start:
        words += ["esn", str(sa.esn_start)]
    return " ".join(words)


def write_cfg(s: Scenario) -> str:
    """The whole cfg: a header comment, then sp, sa, rt and neigh sections."""
    lines = [f"# ipsec-harness scenario {s.name}"]
    if s.description:
        lines.append(f"# {s.description}")
    lines += ["", "# security policies"]
    lines += [sp_line(p) for p in s.policies]
    lines += ["", "# security associations"]
    lines += [sa_line(sa) for sa in s.sas]
    lines += ["", "# routes"]
    lines += [f"rt {_family_word(r.family)} dst {r.prefix.with_prefixlen} port {r.port}" for r in s.routes]
    lines += ["", "# neighbours"]
    lines += [f"neigh port {n.port} {key_text(n.mac)}" for n in s.neighbours]
    return "\n".join(lines) + "\n"


def dut_args(s: Scenario) -> list[str]:
    """secgw-like options as an argv fragment: ``-u 0x1 -w 64 [-e] --engine library``."""
    args = ["-u", f"0x{s.unprotected_port_mask:x}", "-w", str(s.options.replay_window)]
    if s.options.esn:
        args.append("-e")
    return args + ["--engine", s.options.engine.value]
