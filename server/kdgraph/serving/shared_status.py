"""What every process of one running server knows, in memory shared by all of them.

The serving process (granian's main process) maps this before any worker is forked (granian forks
its workers on Linux: the anonymous shared mapping is inherited), so the main process and every
worker see the same bytes. A worker reads one 8-byte generation number
per request and parses the record only when it changed: it switches to a new version without
looking at the disk, and a full or read-only disk cannot hide how the last reload went. Being
in memory, it belongs to this server process only: a restart starts with a clean record, so
/health describes the process that answers, never an earlier one.

Each slot has one writer (the main process's preparation thread writes ``served``: what is served
and how the last reload went) and is a seqlock: the generation is odd while the record is
written, and a reader retries until it saw the same even generation before and after copying
the record.
"""

from __future__ import annotations

import json
import mmap
import struct
import time

from kdgraph.query.suspects import Suspects

_HEADER = struct.Struct("<QQ")  # generation, length of the JSON record
SLOTS = {"served": (0, 8 << 20)}  # name -> (offset, size)


class SharedStatus:
    def __init__(self) -> None:
        size = sum(length for _, length in SLOTS.values())
        self._map = mmap.mmap(-1, size)  # anonymous and MAP_SHARED: inherited by forked children
        self.suspects = Suspects()  # addresses whose queries ran long (the engine pools')

    def write(self, slot: str, record: dict) -> None:
        offset, size = SLOTS[slot]
        payload = json.dumps(record).encode()
        if len(payload) > size - _HEADER.size:
            raise ValueError(f"the {slot} record ({len(payload)} bytes) does not fit its {size} bytes")
        generation, _ = _HEADER.unpack_from(self._map, offset)
        _HEADER.pack_into(self._map, offset, generation + 1, 0)  # odd: being written
        self._map[offset + _HEADER.size : offset + _HEADER.size + len(payload)] = payload
        _HEADER.pack_into(self._map, offset, generation + 2, len(payload))

    def generation(self, slot: str) -> int:
        generation: int = _HEADER.unpack_from(self._map, SLOTS[slot][0])[0]  # (struct's values are Any)
        return generation

    def read(self, slot: str) -> tuple[int, dict | None]:
        """(generation, record); generation 0 and None when nothing was written yet."""
        offset, _ = SLOTS[slot]
        while True:
            generation, length = _HEADER.unpack_from(self._map, offset)
            if generation % 2 == 0:
                payload = bytes(self._map[offset + _HEADER.size : offset + _HEADER.size + length])
                if _HEADER.unpack_from(self._map, offset)[0] == generation:
                    return generation, json.loads(payload) if generation else None
            time.sleep(0)  # the writer is between its two stores
