"""The edges of the reference gateway: feeding frames in and writing frames out.

Modules:

* ``offline``: pcap files or in-memory records -> ``Gateway.process`` in bursts -> per-port
  records and counters (``gateway-ref offline``).
* ``live``: one process draining every ready RX ring (up to ``--burst`` frames per port per
  pass) into ``Gateway.process``, then one poll() for all ports; transmits per port; signals,
  stats lines, counters file (``gateway-ref live``).
* ``live_cli``: the ``live`` subcommand's flags and their validation into ``LiveOptions``.
* ``live_workers``: ``--workers 2``, one worker process per direction.
* ``afpacket``: the live runner's AF_PACKET port (RX receiver, TX socket, kernel counters).
* ``afpacket_rx``: the receivers: TPACKET_V2 ring (default: per-frame hand-over, no block-retire
  latency floor), TPACKET_V3 ring (block batches, ``--rx-retire-ms``) and plain ``recv``.
* ``afpacket_tx``: batched transmit with sendmmsg(2) through ctypes.

Every runner drives the same small interface (``offline.Processor``: ``process(port, frames)``,
``flush()``, ``counters()``), which ``gateway_ref.gateway.Gateway`` provides.

May import: the standard library, ``gateway_ref.gateway``, ``gateway_ref.pcap``.
"""
