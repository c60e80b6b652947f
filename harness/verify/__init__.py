"""Verification: what a gateway must have done with every sent packet, and whether it did.

Holds the requirement catalogue, DUT behaviour profiles, the expected-transform model
(SPD/SAD/routing/anti-replay of RFC 4301/4303 and of secgw-reference.md §3), correlation of
received frames to sent packets by payload signature, byte-level checks that produce findings
keyed to requirement ids, long-run ESP invariants and the verdict.

May import: the standard library, ``harness.codec``, ``harness.scenario``, ``harness.stream``,
``cryptography`` (only its exception types: the fused pass opens ESP with the codec's AEAD
objects directly) and (lazily, only to render findings for people) scapy. Never ``gateway_ref``: the reference
gateway is one of the devices under test, so this model is written independently of it.
"""
