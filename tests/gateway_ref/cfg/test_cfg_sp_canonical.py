"""The one-match reader of canonical sp rules agrees with the general sp grammar.

Whenever ``parse_canonical_sp`` accepts a rule, ``parse_sp`` must accept it too, without a
warning, and give the same ``SpRule`` (positions included) and SPI position; whenever it
declines, the general grammar runs, so messages come from one place only.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway_ref.cfg import parse_cfg
from gateway_ref.cfg.errors import ConfigError, ConfigWarning
from gateway_ref.cfg.lexer import lex
from gateway_ref.cfg.sp import parse_sp
from gateway_ref.cfg.sp_canonical import parse_canonical_sp
from harness.scenario.presets import build_preset
from harness.scenario.scale import scale_scenario

SPIS = ["1", "5", "007", "0", "4294967294", "4294967295", "4294967296"]
PRIS = ["0", "10", "536870911", "536870912", "01"]
V4 = ["198.18.0.0", "198.18.0.1", "198.19.255.255", "198.18.0.256", "198.018.0.1", "198.18.0", "2001:2::1"]
V6 = ["2001:2::", "2001:2::1", "2001:2:0:1::", "2001:2::g", "198.18.0.1", "::"]
LENGTHS = ["0", "15", "24", "31", "32", "032", "33", "48", "64", "127", "128", "129", ""]
RANGES = ["0:65535", "0:0", "80:80", "443:80", "0:65536", "1:2", "00:9"]
PROTOS = ["17:255", "0:0", "6:240", "256:255", "17:256", "50:255"]
SPACES = st.sampled_from([" ", "  ", "\t", " \t "])


@st.composite
def sp_rules(draw: st.DrawFn) -> str:
    family = draw(st.sampled_from(["ipv4", "ipv6"]))
    pool = V4 if family == "ipv4" else V6
    words = ["sp", family, draw(st.sampled_from(["in", "out"])), "esp"]
    options: list[list[str]] = [draw(st.sampled_from([["protect", draw(st.sampled_from(SPIS))],
                                                      ["bypass"], ["discard"]]))]
    if draw(st.booleans()):
        options.append(["pri", draw(st.sampled_from(PRIS))])
    for name in ("src", "dst"):
        if draw(st.booleans()):
            length = draw(st.sampled_from(LENGTHS))
            options.append([name, draw(st.sampled_from(pool)) + (f"/{length}" if length else "")])
    if draw(st.booleans()):
        options.append(["proto", draw(st.sampled_from(PROTOS))])
    for name in ("sport", "dport"):
        if draw(st.integers(0, 4)):  # mostly present: a missing one is a warning
            options.append([name, draw(st.sampled_from(RANGES))])
    if draw(st.integers(0, 5)) == 0:
        options = draw(st.permutations(options))
    words += [w for option in options for w in option]
    text = draw(st.sampled_from(["", " ", "\t"]))
    for word in words:
        text += word + draw(SPACES)
    return text.rstrip(" \t") + draw(st.sampled_from(["", " ", "\r"]))


def _general(rule):  # type: ignore[no-untyped-def]
    warnings: list[ConfigWarning] = []
    try:
        parsed = parse_sp(rule.tokens[0], rule.tokens[1:], warnings)
    except ConfigError as exc:
        return exc, warnings
    return parsed, warnings


@settings(max_examples=400, deadline=None)
@given(sp_rules())
def test_canonical_reader_agrees_with_the_general_grammar(text):
    (rule,) = list(lex(text + "\n", "t.cfg"))
    fast = parse_canonical_sp(rule)
    general, warnings = _general(rule)
    if fast is None:
        return
    assert not isinstance(general, ConfigError), f"{text!r}: {general}"
    assert warnings == []
    assert fast.rule == general.rule
    assert fast.spi_pos == general.spi_pos


def test_canonical_reader_takes_the_harness_layout_and_gives_the_same_config():
    text = scale_scenario(build_preset("tun44-aes128gcm"), 50).to_cfg()
    rules = [r for r in lex(text, "s.cfg") if r.words[0] == "sp"]
    assert rules and all(parse_canonical_sp(r) is not None for r in rules)
    assert parse_cfg(text, "s.cfg").sp == tuple(_general(r)[0].rule for r in rules)


def test_canonical_reader_declines_what_needs_a_message():
    declined = [
        "sp ipv4 out esp protect 0 sport 0:0 dport 0:0",  # reserved SPI: an error
        "sp ipv4 out esp bypass src 198.18.0.1/24 sport 0:0 dport 0:0",  # host bits: a warning
        "sp ipv4 out esp bypass src 198.18.0.1 sport 0:0 dport 0:0",  # no /len: a warning
        "sp ipv4 out esp bypass dport 0:0",  # no sport: a warning
        "sp ipv4 out esp bypass sport 9:1 dport 0:0",  # empty range: an error
        "sp ipv4 out esp sport 0:0 bypass dport 0:0",  # another order: the general grammar
    ]
    for text in declined:
        (rule,) = list(lex(text, "t.cfg"))
        assert parse_canonical_sp(rule) is None, text
