"""The harness's own packet and ESP codec, written from the RFCs independently of
``gateway_ref.proto`` so that the two implementations catch each other's bugs.

Role: pure functions over bytes (Ethernet, IPv4, IPv6 with extension headers, UDP/TCP/ICMP/
ICMPv6 with checksums, ESP per RFC 4303 with every DPDK ipsec-secgw algorithm keyword), a fast
light-weight frame parser for the verifier, and cached ESP encoders/decoders for the hot path.

May import: the standard library, ``cryptography`` (the primitives). Must never import
``gateway_ref``, ``scapy`` or any other ``harness`` package.
"""
