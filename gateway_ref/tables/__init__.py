"""Lookup tables of the reference gateway, built from a parsed ``Config``.

``spd`` (policies per family and direction, cached lookup), ``sad`` (SAs by SPI), ``lpm``
(routes), ``l2`` (neighbour and port MACs), ``tables`` (``Tables`` and ``build_tables``),
``format`` (the human-readable dump).

May import: the standard library and ``gateway_ref.cfg``. Nothing else.
"""
from gateway_ref.tables.format import format_tables
from gateway_ref.tables.lpm import Lpm
from gateway_ref.tables.sad import Sad
from gateway_ref.tables.spd import Spd
from gateway_ref.tables.tables import Tables, build_tables

__all__ = ["Lpm", "Sad", "Spd", "Tables", "build_tables", "format_tables"]
