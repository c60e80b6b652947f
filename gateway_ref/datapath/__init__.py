"""The datapath: a VPP-style graph of nodes over bursts of packets (DESIGN.md "datapath/").

``graph`` (Node, Graph), ``buf`` (per-packet Buf, per-SA SaCtx), ``l3`` (pure frame helpers),
the nodes (``nodes_input``, ``nodes_out``, ``nodes_in``, ``nodes_crypto``, ``nodes_fwd``), the
emulated inline ports (``ports``), ``counters``, ``drops`` (the DropReason contract) and
``pipeline`` (wires one gateway's graph). The datapath never raises on a bad packet.

May import: the standard library, ``gateway_ref.cfg.records``, ``gateway_ref.crypto.placement*``.
Tables and the ESP functions are passed in (``pipeline.Datapath``), not imported.
"""
