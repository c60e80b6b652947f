"""Crypto: who executes ESP crypto operations, and the algorithm transforms.

Placements (``placement*.py``, DESIGN.md "crypto/"): ``cpu`` runs an op synchronously in the
caller (SA ``type cpu-crypto``); ``lookaside`` is a separate engine on its own thread fed by
bursts through a queue, whose completions come back later (``no-offload``, i.e. a cryptodev,
and ``lookaside-protocol-offload`` with all of ESP done in the engine); ``inline`` means the
port applies crypto at RX/TX (``inline-crypto-offload``) and ``inline-protocol`` means the port
does all of ESP (``inline-protocol-offload``). The placement is a choice of wiring made by
``gateway_ref.datapath``; the ESP logic in ``gateway_ref.esp`` is written once.

May import: the standard library, ``cryptography``, ``gateway_ref.cfg.records``,
``gateway_ref.proto``, ``gateway_ref.datapath.drops`` (the DropReason contract only).
Never the rest of ``datapath``, nor ``run`` or ``harness``.
"""
