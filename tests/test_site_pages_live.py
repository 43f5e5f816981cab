"""The managers' live stream: events put on ingest's thread reach every open page, without who."""

from __future__ import annotations

import asyncio
import json
import threading

from qrgate.server.pages.live import LiveBoard, live_message

EVENT = {"id": "e1", "seq": 4, "at": 1795354801.35, "site": "site1", "gate": "g1", "type": "entry",
         "reason": "granted", "direction": "entry", "pseudonym": "3f9a0c2be41d7788", "format": "qg1"}


def test_a_page_message_names_where_and_what_never_who():
    message = live_message(EVENT)
    assert message["type"] == "event" and message["gate"] == "g1" and message["id"] == "e1"
    assert message["event_type"] == "entry" and message["reason"] == "granted"
    assert "pseudonym" not in message and "format" not in message and "3f9a0c2be41d7788" not in json.dumps(message)


async def _read(stream, count):
    out = []
    async for chunk in stream:
        if chunk.startswith(b"data: "):
            out.append(json.loads(chunk[6:]))
        if len(out) == count:
            break
    return out


def test_events_from_another_thread_reach_every_open_page_in_order():
    async def run():
        board = LiveBoard()
        pump = asyncio.create_task(board.pump())
        await asyncio.sleep(0)

        async def never():
            return False

        pages = [board.stream({"role": "manager"}, never) for _ in range(2)]
        firsts = [await anext(p) for p in pages]  # each page is subscribed once it has its hello
        assert all(json.loads(f[6:])["type"] == "hello" for f in firsts)
        ingest = threading.Thread(target=lambda: [board.on_event({**EVENT, "id": f"e{i}"}) for i in range(5)])
        ingest.start()
        ingest.join()
        got = await asyncio.wait_for(asyncio.gather(*(_read(p, 5) for p in pages)), 5)
        pump.cancel()
        return got

    got = asyncio.run(run())
    for page in got:
        assert [m["id"] for m in page] == [f"e{i}" for i in range(5)]


def test_closing_the_board_ends_open_streams():
    async def run():
        board = LiveBoard()
        pump = asyncio.create_task(board.pump())

        async def never():
            return False

        stream = board.stream({}, never)
        await anext(stream)
        board.close()
        rest = [chunk async for chunk in stream]
        pump.cancel()
        return rest, board.pages

    rest, pages = asyncio.run(run())
    assert rest == [] and not pages
