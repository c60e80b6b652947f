"""Third opinions on ESP packets: scapy's ``SecurityAssociation`` and tshark decrypting a
capture with a Wireshark ``esp_sa`` table. Each oracle says per SA which checks it can make
and answers "not checkable" instead of a false pass.

May import: ``harness.codec`` (the SA description), scapy, the standard library; runs the
``tshark`` executable. Must never import ``gateway_ref``.
"""
