"""Pure byte codecs: Ethernet, IPv4, IPv6 (extension-header walk), UDP/NAT-T, ESP trailer, ECN.

Every function takes and returns ``bytes``/``int``; there are no per-packet objects. The
algorithm registry (``algorithms``) is data shared with the cfg parser and the crypto layer.

May import: the standard library only (and sibling modules of this package).
"""
