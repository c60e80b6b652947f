"""scapy (``scapy.layers.ipsec.SecurityAssociation``) as an independent ESP implementation.

Algorithm names map the DPDK keywords onto scapy's; scapy has no AES-XCBC-MAC (its
AES-CMAC-96 is RFC 4494, a different MAC), no SM4, no HMAC-SM3, and CCM with a 3-byte salt
(RFC 4309 §4), so the 4th salt byte of the secgw key is dropped. scapy's ``decrypt``
mutates its input, so each call parses a fresh packet.
"""

from __future__ import annotations

import logging

from harness.codec.spec import EspMode, EspSaSpec
from harness.oracles.verdict import OracleStatus, OracleVerdict

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.layers.inet import IP  # noqa: E402  (after the log level is set)
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.ipsec import ESP, IPSecIntegrityError, SecurityAssociation  # noqa: E402

SCAPY_CIPHERS: dict[str, str] = {
    "null": "NULL",
    "aes-128-cbc": "AES-CBC", "aes-192-cbc": "AES-CBC", "aes-256-cbc": "AES-CBC",
    "aes-128-ctr": "AES-CTR", "aes-192-ctr": "AES-CTR", "aes-256-ctr": "AES-CTR",
    "3des-cbc": "3DES", "des-cbc": "DES",
}
SCAPY_AUTHS: dict[str, str] = {
    "null": "NULL", "sha1-hmac": "HMAC-SHA1-96", "sha256-hmac": "SHA2-256-128",
    "sha384-hmac": "SHA2-384-192", "sha512-hmac": "SHA2-512-256",
}
SCAPY_AEADS: dict[str, str] = {
    "aes-128-gcm": "AES-GCM", "aes-192-gcm": "AES-GCM", "aes-256-gcm": "AES-GCM",
    "aes-128-ccm": "AES-CCM", "aes-192-ccm": "AES-CCM", "aes-256-ccm": "AES-CCM",
    "chacha20-poly1305": "CHACHA20-POLY1305",
}


def scapy_unsupported(spec: EspSaSpec) -> str | None:
    """Why scapy cannot check this SA, or None when it can."""
    if spec.aead is not None:
        return None if spec.aead in SCAPY_AEADS else f"scapy has no {spec.aead}"
    if spec.auth == "aes-gmac":
        return None
    for keyword, table in ((spec.cipher, SCAPY_CIPHERS), (spec.auth, SCAPY_AUTHS)):
        if keyword not in table:
            return f"scapy has no {keyword}"
    return None


def scapy_sa(spec: EspSaSpec, seq_num: int = 1, seq_high: int = 0) -> SecurityAssociation:
    """A scapy SA equivalent to ``spec`` (raises ValueError when unsupported)."""
    why = scapy_unsupported(spec)
    if why is not None:
        raise ValueError(why)
    kwargs: dict = {"spi": spec.spi, "seq_num": seq_num, "esn_en": spec.esn, "esn": seq_high}
    if spec.aead is not None:
        name = SCAPY_AEADS[spec.aead]
        key = spec.aead_key[:-1] if name == "AES-CCM" else spec.aead_key
        kwargs.update(crypt_algo=name, crypt_key=key, auth_algo="NULL")
        if name == "AES-CCM":
            kwargs["crypt_icv_size"] = 16
    elif spec.auth == "aes-gmac":
        kwargs.update(crypt_algo="AES-NULL-GMAC", crypt_key=spec.auth_key, auth_algo="NULL")
    else:
        kwargs.update(crypt_algo=SCAPY_CIPHERS[spec.cipher or "null"], crypt_key=spec.cipher_key or None,
                      auth_algo=SCAPY_AUTHS[spec.auth or "null"], auth_key=spec.auth_key or None)
    if spec.mode is EspMode.TUNNEL and spec.tunnel_src is not None and spec.tunnel_dst is not None:
        layer = IP if spec.tunnel_src.version == 4 else IPv6
        kwargs["tunnel_header"] = layer(src=str(spec.tunnel_src), dst=str(spec.tunnel_dst))
    if spec.udp_encap is not None:
        from scapy.layers.inet import UDP
        kwargs["nat_t_header"] = UDP(sport=spec.udp_encap[0], dport=spec.udp_encap[1])
    return SecurityAssociation(ESP, **kwargs)


def _parse(l3: bytes) -> IP | IPv6:
    return IPv6(l3) if l3[:1] and l3[0] >> 4 == 6 else IP(l3)


def scapy_decrypt(spec: EspSaSpec, outer_l3: bytes, *, seq_high: int = 0) -> OracleVerdict:
    """Decrypt/verify ``outer_l3`` with scapy. PASS carries the inner packet bytes."""
    why = scapy_unsupported(spec)
    if why is not None:
        return OracleVerdict(OracleStatus.NOT_CHECKABLE, why)
    sa = scapy_sa(spec, seq_high=seq_high)
    packet = _parse(outer_l3)
    esp = packet.getlayer(ESP)
    spi, seq = (int(esp.spi), int(esp.seq)) if esp is not None else (None, None)
    try:
        result = sa.decrypt(packet)
    except IPSecIntegrityError as exc:
        return OracleVerdict(OracleStatus.FAIL, f"integrity: {exc}", spi=spi, seq=seq)
    except Exception as exc:  # scapy raises assorted errors on malformed input
        return OracleVerdict(OracleStatus.FAIL, f"{type(exc).__name__}: {exc}", spi=spi, seq=seq)
    return OracleVerdict(OracleStatus.PASS, "", bytes(result), spi, seq)


def scapy_encrypt(spec: EspSaSpec, inner_l3: bytes, seq: int, iv: bytes | None = None) -> bytes:
    """ESP packet built by scapy (outer header is scapy's: compare from the ESP header)."""
    sa = scapy_sa(spec, seq_num=seq & 0xFFFFFFFF, seq_high=seq >> 32)
    return bytes(sa.encrypt(_parse(inner_l3), seq_num=seq & 0xFFFFFFFF, iv=iv, esn_en=spec.esn,
                            esn=seq >> 32))
