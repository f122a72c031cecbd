"""A writer to kill: `python _ingest_child.py DB FIRST` writes numbered batches until killed.

Each batch `n` is `SAMPLES` samples of one series, all with the value `n`, and
one log line; the line `committed n` is printed (and flushed) only after
`Store.write` returned, i.e. after the commit.
"""

from __future__ import annotations

import asyncio
import sys
import time

from collectors.base import LogEvent, Sample
from collectors.store.database import SourceBatch, Store

SAMPLES = 1000
SERIES = "ingest.seq"


async def ingest(path: str, first: int) -> None:
    async with await Store.open(path) as store:
        print("open", flush=True)
        number = first
        while True:
            now = time.time()
            records: list[Sample | LogEvent] = [
                Sample(SERIES, float(number), now, {"slot": str(i % 50)}) for i in range(SAMPLES)
            ]
            records.append(LogEvent(now, f"batch {number} written", event_id=str(number)))
            await store.write([SourceBatch("ingest", records)])
            print(f"committed {number}", flush=True)
            number += 1


if __name__ == "__main__":
    asyncio.run(ingest(sys.argv[1], int(sys.argv[2])))
