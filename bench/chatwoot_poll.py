"""What one Chatwoot poll costs: filling the window, a steady poll, the SLA arithmetic, memory.

Usage: `python bench/chatwoot_poll.py [--conversations 2000]`

The collector runs against `collectors.fakes.chatwoot_api` in the same event
loop (so the figures include the fake server's own work, on the same core):

* fill: polls and time until the window's conversations are all read
  (25 a page, `max_pages` 4 a poll);
* steady poll: `collect()` wall time once filled, with 5 conversations
  changing between polls; baseline: one bare `GET /api` round trip;
* SLA arithmetic: `sla_report` + `channel_samples` over 10,000 conversations,
  with and without business hours (pure CPU, no I/O);
* memory: bytes held per cached conversation (tracemalloc).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import tracemalloc

import httpx

from collectors.business_hours import WorkingHours
from collectors.chatwoot.collector import ChatwootCollector
from collectors.chatwoot.config import ChatwootConfig
from collectors.chatwoot.parse import Conversation, parse_conversation_page
from collectors.chatwoot.sla import channel_samples, sla_report
from collectors.fakes.chatwoot_api import ChatwootState, FakeChatwootServer


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def polls(conversations: int) -> list[str]:
    clock = Clock()
    state = ChatwootState(clock=clock, conversations=conversations, span=86000)
    lines = []
    async with FakeChatwootServer(state) as server:
        config = ChatwootConfig(
            name="bench", base_url=server.url, api_token=state.token, interval="30s"
        )
        collector = ChatwootCollector(config, clock=clock)
        try:
            began, count = time.perf_counter(), 0
            while True:
                await collector.collect()
                count += 1
                clock.now += 30
                if not collector.notes or "more next poll" not in collector.notes:
                    break
            fill = time.perf_counter() - began
            lines.append(
                f"fill {conversations:,} conversations: {count} polls, {ms(fill)} in all, "
                f"{ms(fill / count)} a poll"
            )
            times, requests = [], []
            ids = list(state.conversations)
            for round_ in range(30):
                for display_id in ids[round_ * 5 : round_ * 5 + 5]:
                    state.reply(display_id, clock.now)
                mark = len(state.requests)
                started = time.perf_counter()
                await collector.collect()
                times.append(time.perf_counter() - started)
                requests.append(len(state.requests) - mark)
                clock.now += 30
            times.sort()
            lines.append(
                f"steady poll: median {ms(statistics.median(times))}, "
                f"p95 {ms(times[int(len(times) * 0.95) - 1])}, "
                f"{statistics.median(requests):.0f} requests a poll"
            )
            async with httpx.AsyncClient(base_url=server.url) as client:
                bare = []
                for _ in range(30):
                    started = time.perf_counter()
                    await client.get("/api")
                    bare.append(time.perf_counter() - started)
            lines.append(f"baseline: one GET /api round trip, median {ms(statistics.median(bare))}")
        finally:
            await collector.aclose()
    return lines


def arithmetic() -> list[str]:
    clock = Clock()
    state = ChatwootState(clock=clock, conversations=10_000, span=86000)
    payload = state.conversation_list({"status": "all", "updated_within": "90000"})
    convs: list[Conversation] = parse_conversation_page(payload).conversations
    hours = WorkingHours("America/New_York", frozenset(range(5)), 9 * 60, 17 * 60)
    lines = []
    for label, working in (("no business hours", None), ("business hours", hours)):
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            report = sla_report(
                convs, now=clock.now, window=86400, target=900, hours=working, inbox_names={}
            )
            channel_samples(convs, report, now=clock.now, window=86400, inbox_channels={})
            runs.append(time.perf_counter() - started)
        lines.append(f"SLA + channels over {len(convs):,} conversations, {label}: {ms(min(runs))}")
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = {c.display_id: c for c in parse_conversation_page(payload).conversations}
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    lines.append(f"memory: {(after - before) / len(kept):.0f} bytes per cached conversation")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2000)
    args = parser.parse_args()
    for line in [*asyncio.run(polls(args.conversations)), *arithmetic()]:
        print(line)


if __name__ == "__main__":
    main()
