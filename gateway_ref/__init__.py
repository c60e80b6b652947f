"""Reference IPsec gateway speaking DPDK ipsec-secgw's cfg language.

Sub-packages: ``cfg`` (cfg text -> frozen records), ``tables`` (records -> SPD/SAD/LPM/neigh
lookups), ``proto`` (pure byte codecs and the algorithm registry), ``crypto`` (algorithm
transforms and crypto placements), ``esp`` (RFC 4303 encap/decap, replay window, ESN),
``datapath`` (graph of nodes over bursts), ``run`` (offline and live edges), ``cli``.

Never imports ``harness``, ``testsuites`` or ``reports``.
"""
