"""Start-up cross-checks between sp and sa rules (secgw-reference.md sections 1.2 and 1.3).

* Every SA SPI is unique within its direction (secgw ignores the failed SAD insert; we reject).
* Every ``protect SPI`` names an SA of the same direction ("SPI %u is not present in SAD").
* Every SA is referenced by ``protect`` rules of exactly one IP family in its direction; that
  family is the SA's inner family (and, for transport SAs, the packet family).
* Inline-crypto transport SAs take their addresses from the referencing SP rules, which must
  therefore name one non-zero host as src and dst (/32 or /128).

Each error points at the offending token: the SPI of the sp or sa rule concerned.
"""
from __future__ import annotations

from collections.abc import Sequence

from gateway_ref.cfg.errors import ConfigError
from gateway_ref.cfg.records import Direction, Family, OffloadType, PolicyAction, SaMode
from gateway_ref.cfg.sa import ParsedSa
from gateway_ref.cfg.sp import ParsedSp

SaKey = tuple[Direction, int]


def cross_check(sps: Sequence[ParsedSp], sas: Sequence[ParsedSa]) -> dict[SaKey, Family]:
    """Run the checks; return the inner family of every SA, keyed by (direction, SPI)."""
    by_key = _index_sas(sas)
    referrers: dict[SaKey, list[ParsedSp]] = {}
    for parsed in sps:
        rule = parsed.rule
        if rule.action is not PolicyAction.PROTECT or rule.spi is None:
            continue
        key = (rule.direction, rule.spi)
        if key not in by_key:
            raise ConfigError(parsed.spi_pos or rule.pos,
                              f"SPI {rule.spi} is not present in SAD: no 'sa "
                              f"{rule.direction.value} {rule.spi}' rule")
        found = referrers.setdefault(key, [])
        if found and found[0].rule.family is not rule.family:
            raise ConfigError(parsed.spi_pos or rule.pos,
                              f"SPI {rule.spi} used simultaneously by IPv4 and IPv6 SP rules "
                              f"(the other family's rule is at {found[0].rule.pos})")
        found.append(parsed)
    inner: dict[SaKey, Family] = {}
    for key, parsed_sa in by_key.items():
        if key not in referrers:
            direction, spi = key
            raise ConfigError(parsed_sa.spi_pos,
                              f"SPI {spi} is not used by any SP rule: expected 'sp ipv4|ipv6 "
                              f"{direction.value} esp protect {spi} ...'")
        _check_inline_transport(parsed_sa, referrers[key])
        inner[key] = referrers[key][0].rule.family
    return inner


def _index_sas(sas: Sequence[ParsedSa]) -> dict[SaKey, ParsedSa]:
    by_key: dict[SaKey, ParsedSa] = {}
    for parsed in sas:
        key = (parsed.rule.direction, parsed.rule.spi)
        first = by_key.get(key)
        if first is not None:
            raise ConfigError(parsed.spi_pos,
                              f"duplicate SPI {parsed.rule.spi} for 'sa "
                              f"{parsed.rule.direction.value}': first defined at {first.spi_pos}")
        by_key[key] = parsed
    return by_key


def _check_inline_transport(parsed_sa: ParsedSa, referrers: Sequence[ParsedSp]) -> None:
    sa = parsed_sa.rule
    if sa.mode is not SaMode.TRANSPORT or sa.type is not OffloadType.INLINE_CRYPTO:
        return
    for parsed in referrers:
        sp = parsed.rule
        full = 32 if sp.family is Family.IPV4 else 128
        for name, net in (("src", sp.src), ("dst", sp.dst)):
            if net.prefixlen != full or int(net.network_address) == 0:
                raise ConfigError(parsed.spi_pos or sp.pos,
                                  f"inline-crypto transport SA {sa.spi} takes its addresses from "
                                  f"this rule, whose {name} must be one non-zero host /{full}, "
                                  f"got {net}")
