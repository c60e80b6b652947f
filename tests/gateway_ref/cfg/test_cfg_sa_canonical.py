"""The one-match reader of canonical sa rules agrees with the general sa grammar.

Whenever ``parse_canonical_sa`` accepts a rule, ``parse_sa`` must accept it too (same engine),
without a warning, and give the same ``SaRule`` (position included) and SPI position; whenever
it declines, the general grammar runs, so messages come from one place only.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway_ref.cfg import parse_cfg
from gateway_ref.cfg.engine import Engine
from gateway_ref.cfg.errors import ConfigError, ConfigWarning
from gateway_ref.cfg.lexer import lex
from gateway_ref.cfg.sa import parse_sa
from gateway_ref.cfg.sa_canonical import parse_canonical_sa
from gateway_ref.proto.algorithms import AEADS as AEAD_TABLE
from gateway_ref.proto.algorithms import AUTHS as AUTH_TABLE
from gateway_ref.proto.algorithms import CIPHERS as CIPHER_TABLE
from harness.scenario.presets import build_preset
from harness.scenario.scale import scale_scenario

SPIS = ["1", "007", "0", "4294967295", "4294967296"]
AEADS = ["aes-128-gcm", "aes-256-gcm", "chacha20-poly1305", "aes-128-ccm", "aes-999-gcm"]
CIPHERS = ["null", "aes-128-cbc", "aes-128-ctr", "3des-cbc", "des-cbc", "sm4-cbc", "bogus"]
AUTHS = ["null", "sha1-hmac", "sha256-hmac", "aes-gmac", "aes-xcbc-mac", "sm3-hmac", "md5"]
TABLES = {"aead_algo": AEAD_TABLE, "cipher_algo": CIPHER_TABLE, "auth_algo": AUTH_TABLE}
KEY_BYTES = [0, 8, 16, 20, 24, 32, 36, 48]
V4 = ["198.18.255.1", "198.19.255.1", "198.18.0.256", "2001:2::1", "198.18.0.1/32"]
V6 = ["2001:2:0:ff::1", "2001:2::1", "198.18.0.1", "2001:2::g"]


def _key(draw: st.DrawFn, name: str) -> str:
    """Mostly a key of the algorithm's own length, so that valid rules are common."""
    known = {**TABLES["aead_algo"], **TABLES["cipher_algo"], **TABLES["auth_algo"]}
    n = known[name].key_len if name in known and draw(st.integers(0, 3)) else draw(st.sampled_from(KEY_BYTES))
    parts = [f"{b:02x}" for b in draw(st.binary(min_size=n, max_size=n))] or ["zz"]
    if draw(st.integers(0, 6)) == 0:
        parts[0] = draw(st.sampled_from(["f", "FF", "fff", "g1"]))
    return ":".join(parts)


def _algo(draw: st.DrawFn, option: str, names: list[str], key_word: str) -> list[str]:
    words = [option, draw(st.sampled_from(names))]
    if draw(st.integers(0, 5)):
        words += [key_word, _key(draw, words[1])]
    return words


@st.composite
def sa_rules(draw: st.DrawFn) -> str:
    words = ["sa", draw(st.sampled_from(["in", "out"])), draw(st.sampled_from(SPIS))]
    if draw(st.booleans()):
        words += _algo(draw, "aead_algo", AEADS, "aead_key")
    else:
        words += _algo(draw, "cipher_algo", CIPHERS, "cipher_key") + _algo(draw, "auth_algo", AUTHS, "auth_key")
    mode = draw(st.sampled_from(["ipv4-tunnel", "ipv6-tunnel", "transport"]))
    words += ["mode", mode]
    if draw(st.integers(0, 4)):
        pool = V4 if mode != "ipv6-tunnel" else V6
        words += ["src", draw(st.sampled_from(pool)), "dst", draw(st.sampled_from(pool))]
    if draw(st.integers(0, 8)) == 0:
        words += draw(st.sampled_from([["esn", "1"], ["type", "no-offload"], ["telemetry"]]))
    return draw(st.sampled_from(["", " "])) + draw(st.sampled_from([" ", "\t", "  "])).join(words)


def _general(rule, engine):  # type: ignore[no-untyped-def]
    warnings: list[ConfigWarning] = []
    try:
        parsed = parse_sa(rule.tokens[0], rule.tokens[1:], engine, warnings)
    except ConfigError as exc:
        return exc, warnings
    return parsed, warnings


@settings(max_examples=400, deadline=None)
@given(sa_rules(), st.sampled_from(list(Engine)))
def test_canonical_reader_agrees_with_the_general_grammar(text, engine):
    (rule,) = list(lex(text + "\n", "t.cfg"))
    fast = parse_canonical_sa(rule, engine)
    general, warnings = _general(rule, engine)
    if fast is None:
        return
    assert not isinstance(general, ConfigError), f"{text!r}: {general}"
    assert warnings == []
    assert fast.rule == general.rule
    assert fast.spi_pos == general.spi_pos


def test_canonical_reader_takes_the_harness_layouts_and_gives_the_same_config():
    for preset in ("tun44-aes128gcm", "tun44-aes128cbc-sha256"):
        text = scale_scenario(build_preset(preset), 20).to_cfg()
        rules = [r for r in lex(text, "s.cfg") if r.words[0] == "sa"]
        assert rules and all(parse_canonical_sa(r, Engine.LIBRARY) is not None for r in rules)
        expected = tuple(_general(r, Engine.LIBRARY)[0].rule for r in rules)
        assert parse_cfg(text, "s.cfg").sa == expected


def test_canonical_reader_declines_what_needs_a_message():
    key = ":".join(["00"] * 20)
    declined = [
        f"sa out 0 aead_algo aes-128-gcm aead_key {key} mode ipv4-tunnel src 198.18.0.1 dst 198.19.0.1",
        f"sa out 5 aead_algo aes-128-gcm aead_key {key[:-3]} mode ipv4-tunnel src 198.18.0.1 dst 198.19.0.1",
        f"sa out 5 aead_algo aes-128-gcm aead_key {key} mode ipv4-tunnel src 198.18.0.1/24 dst 198.19.0.1",
        f"sa out 5 aead_algo aes-128-gcm aead_key {key} mode ipv4-tunnel",
        f"sa out 5 aead_algo aes-128-gcm aead_key {key} mode transport src 198.18.0.1 dst 198.19.0.1",
        "sa out 5 cipher_algo aes-128-cbc cipher_key " + ":".join(["00"] * 16) + " auth_algo aes-gmac auth_key "
        + ":".join(["00"] * 20) + " mode transport",
    ]
    for text in declined:
        (rule,) = list(lex(text, "t.cfg"))
        assert parse_canonical_sa(rule, Engine.LIBRARY) is None, text
