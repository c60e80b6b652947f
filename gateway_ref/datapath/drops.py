"""Every reason the datapath drops a packet. Each has a stable kebab-case counter name."""
from __future__ import annotations

import enum


class DropReason(enum.Enum):
    # classification
    RUNT_FRAME = "runt-frame"  # shorter than an Ethernet header
    NON_IP = "non-ip"  # ethertype neither IPv4 nor IPv6 (ARP, LLDP, ...)
    MALFORMED_IP = "malformed-ip"  # bad version/IHL/length fields, truncated L3 header
    ESP_ON_PROTECTED_PORT = "esp-on-protected-port"
    # policy
    SP_DISCARD = "sp-discard"  # matched a discard rule
    SP_NO_MATCH = "sp-no-match"  # default deny
    SP_CLEAR_PROTECTED = "sp-clear-on-protect"  # clear packet matched an inbound protect rule
    SP_WRONG_SA = "sp-wrong-sa"  # decrypted via an SA other than the one the policy names
    # SAD / ESP inbound
    UNKNOWN_SPI = "unknown-spi"
    BAD_TUNNEL_ADDRESS = "bad-tunnel-address"
    ESP_TRUNCATED = "esp-truncated"  # shorter than header + IV + ICV, or misaligned ciphertext
    REPLAY = "replay"  # duplicate or below the window
    ICV = "icv-failed"
    PADDING = "bad-padding"
    NEXT_HEADER = "bad-next-header"
    DUMMY = "dummy-packet"  # next header 59 (RFC 4303 2.6): discarded silently, still counted
    UDP_ENCAP_KEEPALIVE = "nat-keepalive"
    UDP_ENCAP_NON_ESP = "udp-encap-non-esp"  # non-ESP marker: IKE, which we do not terminate
    ECN_DECAP = "ecn-decap-drop"  # rfc-strict only: outer CE with inner Not-ECT
    # ESP outbound
    SEQUENCE_EXHAUSTED = "sequence-exhausted"
    UNSUPPORTED_ALGORITHM = "unsupported-algorithm"  # e.g. cpu-crypto under the legacy engine
    # forwarding
    NO_ROUTE = "no-route"
    MTU_EXCEEDED = "mtu-exceeded"
    NO_TX_PORT = "no-tx-port"  # route names a port that is not enabled
