"""Fuzz: whatever the text, parse_cfg returns a Config or raises ConfigError, nothing else.

Inputs: mutations of the bundled example cfgs (delete, duplicate, swap and replace tokens,
truncate, splice random bytes or unicode) and free-form text over the cfg alphabet.
"""
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway_ref.cfg import ConfigError, parse_cfg
from gateway_ref.cfg.errors import SourcePos

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SEEDS = [p.read_text() for p in sorted(EXAMPLES.glob("*.cfg"))]
VOCAB = ["sp", "sa", "rt", "neigh", "flow", "ipv4", "ipv6", "in", "out", "esp", "protect",
         "bypass", "discard", "pri", "src", "dst", "proto", "sport", "dport", "mode",
         "ipv4-tunnel", "ipv6-tunnel", "transport", "cipher_algo", "auth_algo", "aead_algo",
         "cipher_key", "auth_key", "aead_key", "type", "port_id", "fallback", "flow-direction",
         "udp-encap", "esn", "mss", "reassembly_en", "telemetry", "port", "0", "1", "4294967295",
         "198.18.0.1/24", "2001:2::/48", "0:65535", "17:255", "aes-128-gcm", "null", "\\", "#",
         "\n", "\r\n", "de:ad", "inline-crypto-offload", "lookaside-none", "cpu-crypto"]
FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def parse_or_config_error(text: str) -> None:
    try:
        cfg = parse_cfg(text, "fuzz.cfg")
    except ConfigError as exc:
        assert isinstance(exc.pos, SourcePos) and exc.pos.file == "fuzz.cfg"
        assert str(exc).startswith(f"fuzz.cfg:{exc.pos.line}:{exc.pos.col}: error: ")
        return
    assert cfg.source == "fuzz.cfg"


@st.composite
def mutated(draw) -> str:
    tokens = draw(st.sampled_from(SEEDS)).split(" ")
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            break
        i = draw(st.integers(0, len(tokens) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "bytes", "unicode"]))
        if op == "delete":
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "replace":
            tokens[i] = draw(st.sampled_from(VOCAB))
        elif op == "bytes":
            tokens[i] += draw(st.binary(max_size=8)).decode("latin-1")
        else:
            tokens[i] = draw(st.text(max_size=8))
    text = " ".join(tokens)
    if draw(st.booleans()):
        text = text[:draw(st.integers(0, len(text)))]
    return text


@FUZZ
@given(mutated())
def test_mutated_examples_raise_only_config_error(text):
    parse_or_config_error(text)


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(VOCAB), st.text(max_size=6)), max_size=40)
       .map(" ".join))
def test_free_text_raises_only_config_error(text):
    parse_or_config_error(text)


@FUZZ
@given(st.lists(st.sampled_from(VOCAB), max_size=30).map(" ".join))
def test_single_rules_from_vocabulary_raise_only_config_error(text):
    parse_or_config_error(text)
