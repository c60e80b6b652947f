"""The edges of the reference gateway: feeding frames in and writing frames out.

``offline``: pcap files or in-memory records -> ``Gateway.process`` in bursts -> per-port
records and counters. A live AF_PACKET runner reuses ``bursts_by_port`` and ``run_bursts``.

May import: the standard library, ``gateway_ref.gateway``, ``gateway_ref.pcap``.
"""
