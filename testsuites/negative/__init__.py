"""The negative suite (marker ``negative``): malformed, forged, replayed and misplaced packets
sent to the DUT among good ones. Each bad packet must be dropped (and, for DUTs with counters,
counted under its reason, RFC 4301 §4.4 audit, A14) while the good packets around it are
delivered. Bad packets are crafted with the harness codec (``harness.codec``), never with
gateway_ref. Every test names the requirement ids it checks
(/work/shared/conformance-requirements.md, ``harness.verify.requirements``)."""
