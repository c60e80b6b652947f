"""Start-up cross-checks between sp and sa rules (secgw-reference.md 1.2, 1.3)."""
import pytest

from gateway_ref.cfg import ConfigError, parse_cfg
from gateway_ref.cfg.records import Direction, Family

PORTS = "sport 0:65535 dport 0:65535"
KEY = ":".join(["ab"] * 20)


def sa(direction: str, spi: int, mode: str = "transport", extra: str = "") -> str:
    return f"sa {direction} {spi} aead_algo aes-128-gcm aead_key {KEY} mode {mode} {extra}\n"


def error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_cfg(text, "x.cfg")
    return str(info.value)


def test_inner_family_comes_from_referencing_sp():
    cfg = parse_cfg(
        f"sp ipv6 out esp protect 5 {PORTS}\nsp ipv4 in esp protect 5 {PORTS}\n"
        + sa("out", 5, "ipv4-tunnel", "src 198.18.255.1 dst 198.19.255.1") + sa("in", 5))
    assert cfg.sa_inner_family == {(Direction.OUT, 5): Family.IPV6, (Direction.IN, 5): Family.IPV4}


def test_protect_spi_must_exist_in_same_direction():
    assert error(f"sp ipv4 out esp protect 5 {PORTS}\n" + sa("in", 5)) == (
        "x.cfg:1:25: error: SPI 5 is not present in SAD: no 'sa out 5' rule")


def test_sa_used_by_both_families_is_an_error_at_the_second_sp():
    text = (f"sp ipv4 out esp protect 5 {PORTS}\nsp ipv4 out esp protect 5 pri 2 {PORTS}\n"
            f"sp ipv6 out esp protect 5 {PORTS}\n" + sa("out", 5))
    assert error(text) == ("x.cfg:3:25: error: SPI 5 used simultaneously by IPv4 and IPv6 SP "
                           "rules (the other family's rule is at x.cfg:1:1)")


def test_unreferenced_sa_is_an_error_at_its_spi():
    text = f"sp ipv4 out esp protect 5 {PORTS}\n" + sa("out", 5) + sa("out", 6)
    assert error(text) == ("x.cfg:3:8: error: SPI 6 is not used by any SP rule: expected "
                           "'sp ipv4|ipv6 out esp protect 6 ...'")


def test_duplicate_spi_per_direction_is_rejected_same_spi_both_directions_is_fine():
    text = f"sp ipv4 out esp protect 5 {PORTS}\n" + sa("out", 5) + sa("out", 5)
    assert error(text) == "x.cfg:3:8: error: duplicate SPI 5 for 'sa out': first defined at x.cfg:2:8"
    parse_cfg(f"sp ipv4 out esp protect 5 {PORTS}\nsp ipv4 in esp protect 5 {PORTS}\n"
              + sa("out", 5) + sa("in", 5))


def test_inline_crypto_transport_needs_host_selectors():
    inline = "type inline-crypto-offload port_id 0"
    bad = f"sp ipv4 out esp protect 5 src 198.18.0.0/16 dst 198.19.0.1/32 {PORTS}\n" + sa("out", 5, extra=inline)
    assert error(bad) == ("x.cfg:1:25: error: inline-crypto transport SA 5 takes its addresses "
                          "from this rule, whose src must be one non-zero host /32, got 198.18.0.0/16")
    parse_cfg(f"sp ipv4 out esp protect 5 src 198.18.0.1/32 dst 198.19.0.1/32 {PORTS}\n"
              + sa("out", 5, extra=inline))
