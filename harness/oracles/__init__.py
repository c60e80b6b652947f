"""Third opinions on ESP packets: scapy's ``SecurityAssociation`` and tshark decrypting a
capture with a Wireshark ``esp_sa`` table. Each oracle says per SA which checks it can make
and answers "not checkable" instead of a false pass.

Modules: ``verdict`` (an oracle's answer), ``scapy_oracle``, ``esp_sa_table`` and
``tshark_oracle`` (the two oracles), ``compare`` (one frame's opinions compared, pure),
``sampled`` (samples of an exchange's egress asked of both oracles, disagreements as
``X-ORACLE`` findings).

May import: ``harness.codec`` (the SA description and the harness's own reading),
``harness.io.pcap`` (the samples' pcap), ``harness.scenario.model`` (SAs),
``harness.verify.findings``/``replay``/``requirements`` (findings, ESN inference), scapy, the
standard library; runs the ``tshark`` executable. Must never import ``gateway_ref``.
"""
