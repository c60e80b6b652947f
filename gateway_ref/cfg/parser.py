"""Whole-file cfg parsing: lexer -> per-rule grammars -> cross-checks -> ``Config``.

The first word of a rule selects its grammar (``sp``, ``sa``, ``rt``, ``neigh``, ``flow``; exact
lowercase match, as secgw's cmdline does). Limits kept from secgw: at most 1024 routes per
family. Every error is a ``ConfigError`` whose ``str`` is ``FILE:LINE:COL: error: MESSAGE``.
"""
from __future__ import annotations

import os

from gateway_ref.cfg.crosscheck import cross_check
from gateway_ref.cfg.engine import Engine, engine_from_name
from gateway_ref.cfg.errors import ConfigError, ConfigWarning, SourcePos
from gateway_ref.cfg.flow import parse_flow
from gateway_ref.cfg.gcpause import cyclic_gc_paused
from gateway_ref.cfg.lexer import lex
from gateway_ref.cfg.neigh import parse_neigh
from gateway_ref.cfg.records import Config, Family, NeighRule, RtRule
from gateway_ref.cfg.rt import parse_rt
from gateway_ref.cfg.sa import ParsedSa, parse_sa
from gateway_ref.cfg.sp import ParsedSp, parse_sp
from gateway_ref.cfg.sa_canonical import parse_canonical_sa
from gateway_ref.cfg.sp_canonical import parse_canonical_sp

RULE_KEYWORDS = ("sp", "sa", "rt", "flow", "neigh")
MAX_ROUTES = 1024  # per family
MAX_FLOWS = 128


def parse_cfg(text: str, source: str = "<cfg>", *, engine: str = "library") -> Config:
    """Parse and cross-check cfg ``text``; ``source`` names it in messages."""
    with cyclic_gc_paused():
        return _parse(text, source, engine_from_name(engine))


def _parse(text: str, source: str, chosen: Engine) -> Config:
    sps: list[ParsedSp] = []
    sas: list[ParsedSa] = []
    routes: list[RtRule] = []
    neighs: list[NeighRule] = []
    warnings: list[ConfigWarning] = []
    flows = 0
    for rule in lex(text, source):
        word = rule.words[0]
        if word == "sp":
            canonical = parse_canonical_sp(rule)
            if canonical is not None:
                sps.append(canonical)
                continue
        elif word == "sa":
            canonical_sa = parse_canonical_sa(rule, chosen)
            if canonical_sa is not None:
                sas.append(canonical_sa)
                continue
        keyword, args = rule.tokens[0], rule.tokens[1:]
        if word == "sp":
            sps.append(parse_sp(keyword, args, warnings))
        elif word == "sa":
            sas.append(parse_sa(keyword, args, chosen, warnings))
        elif word == "rt":
            routes.append(_checked_route(parse_rt(keyword, args, warnings), routes))
        elif word == "neigh":
            neighs.append(_checked_neigh(parse_neigh(keyword, args), neighs, warnings))
        elif word == "flow":
            flows += 1
            parse_flow(keyword, args, warnings)
            if flows > MAX_FLOWS:
                warnings.append(ConfigWarning(keyword.pos, f"more than {MAX_FLOWS} flow rules: "
                                                           "secgw skips this one"))
        else:
            raise ConfigError(keyword.pos, _unknown_rule(word))
    inner = cross_check(sps, sas)
    return Config(
        source=source,
        sp=tuple(p.rule for p in sps),
        sa=tuple(p.rule for p in sas),
        rt=tuple(routes),
        neigh=tuple(neighs),
        sa_inner_family=inner,
        warnings=tuple(warnings),
    )


def load_cfg(path: str | os.PathLike[str], *, engine: str = "library") -> Config:
    """Read and parse the cfg file at ``path``; reading and decoding errors are ConfigErrors."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ConfigError(SourcePos(source, 1, 1),
                          f"cannot read cfg file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise ConfigError(SourcePos(source, line, col),
                          f"byte 0x{data[exc.start]:02x} is not valid UTF-8 text") from None
    return parse_cfg(text, source, engine=engine)


def _unknown_rule(word: str) -> str:
    hint = ""
    if word.lower() in RULE_KEYWORDS and word not in RULE_KEYWORDS:
        hint = f" (keywords are case-sensitive: write '{word.lower()}')"
    return f"unrecognized rule '{word}'{hint}; expected one of: {', '.join(RULE_KEYWORDS)}"


def _checked_route(rule: RtRule, routes: list[RtRule]) -> RtRule:
    count = sum(1 for r in routes if r.family is rule.family) + 1
    if count > MAX_ROUTES:
        name = "IPv4" if rule.family is Family.IPV4 else "IPv6"
        raise ConfigError(rule.pos, f"too many {name} routes: at most {MAX_ROUTES}")
    return rule


def _checked_neigh(rule: NeighRule, neighs: list[NeighRule],
                   warnings: list[ConfigWarning]) -> NeighRule:
    for earlier in neighs:
        if earlier.port == rule.port:
            warnings.append(ConfigWarning(rule.pos, f"neigh for port {rule.port} replaces the "
                                                    f"one at {earlier.pos}"))
    return rule
