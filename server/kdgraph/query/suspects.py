"""Addresses whose queries ran long lately, known to every worker of one server.

A worker's engine pool keeps only a share of its engines for long queries (see
``supervised.EnginePool``); an address whose query ran long is "suspect" for a while, and its
next queries only run in that share. Kept per worker, each runaway address had one free run in
every worker before it was known there, and with many addresses those first runs filled the
engines kept for short queries for seconds. So the marks live in memory shared by the workers
(anonymous and ``MAP_SHARED``, mapped before granian forks them, as ``shared_status``).

A fixed table of ``SLOTS`` entries (64-bit hash of the address, until when on the system-wide
monotonic clock); two addresses in one slot overwrite each other, and a torn read mixes two
marks for a moment: either loses or lends a mark briefly, never more.
"""

from __future__ import annotations

import hashlib
import mmap
import struct

SLOTS = 4096
_ENTRY = struct.Struct("<Qd")  # address hash, until (time.monotonic(): one clock for all processes)


def _hash(address: str) -> int:
    return int.from_bytes(hashlib.blake2b(address.encode(), digest_size=8).digest(), "little") or 1


class Suspects:
    def __init__(self) -> None:
        self._map = mmap.mmap(-1, SLOTS * _ENTRY.size)  # inherited by forked workers

    def mark(self, address: str, until: float) -> None:
        key = _hash(address)
        _ENTRY.pack_into(self._map, (key % SLOTS) * _ENTRY.size, key, until)

    def until(self, address: str) -> float:
        """Until when ``address`` is suspect (0.0: it is not)."""
        key = _hash(address)
        found, until = _ENTRY.unpack_from(self._map, (key % SLOTS) * _ENTRY.size)
        return until if found == key else 0.0
