"""The edges of the reference gateway: feeding frames in and writing frames out.

``offline``: pcap files or in-memory records -> ``Gateway.process`` in bursts -> per-port
records and counters. ``live``/``afpacket``: AF_PACKET rings on interfaces. Every runner drives
the same small interface (``offline.Processor``: ``process(port, frames)``, ``flush()``,
``counters()``), which ``gateway_ref.gateway.Gateway`` provides.

May import: the standard library, ``gateway_ref.gateway``, ``gateway_ref.pcap``.
"""
