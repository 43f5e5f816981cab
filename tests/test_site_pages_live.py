"""The managers' live stream: batches ingest publishes on its thread reach every open page, without who."""

from __future__ import annotations

import asyncio
import json
import threading

from qrgate.server.bus import EventBus
from qrgate.server.pages.live import live_message, stream

ROW = {"id": "e1", "seq": 4, "at": 1795354801.35, "site": "site1", "gate": "g1", "type": "entry",
       "reason": "granted", "direction": "entry", "pseudonym": "3f9a0c2be41d7788", "format": "qg1"}


def test_a_page_message_names_where_and_what_never_who():
    message = live_message("site1", [ROW])
    assert message["type"] == "events" and message["site"] == "site1"
    (event,) = message["events"]
    assert event == {"event_type": "entry", "id": "e1", "gate": "g1", "reason": "granted", "at": 1795354801.35}
    assert "3f9a0c2be41d7788" not in json.dumps(message)


def run_on_own_loop(coroutine):
    """asyncio.run on a thread of its own: Playwright's sync API keeps a loop on the main thread."""
    result = {}
    worker = threading.Thread(target=lambda: result.update(value=asyncio.run(coroutine)))
    worker.start()
    worker.join(30)
    assert "value" in result, "the live stream's test loop did not finish"
    return result["value"]


async def _read(page, count):
    out = []
    async for chunk in page:
        if chunk.startswith(b"data: "):
            out.append(json.loads(chunk[6:]))
        if len(out) == count:
            return out


def test_batches_from_ingest_thread_reach_every_open_page_in_order():
    async def run():
        bus = EventBus()

        async def connected():
            return False

        async def allowed():
            return True

        pages = [stream(bus, {"role": "manager"}, connected, allowed) for _ in range(2)]
        hellos = [json.loads((await anext(p))[6:]) for p in pages]  # each page listens once it said hello
        ingest = threading.Thread(target=lambda: [bus.publish("site1", [{**ROW, "id": f"e{i}"}]) for i in range(5)])
        ingest.start()
        ingest.join()
        got = await asyncio.wait_for(asyncio.gather(*(_read(p, 5) for p in pages)), 5)
        for p in pages:
            await p.aclose()
        return hellos, got, bus

    hellos, got, bus = run_on_own_loop(run())
    assert [h["type"] for h in hellos] == ["hello", "hello"] and hellos[0]["role"] == "manager"
    for page in got:
        assert [m["events"][0]["id"] for m in page] == [f"e{i}" for i in range(5)]
    assert not bus._listeners  # a closed page stops listening


def test_a_stream_ends_when_its_session_has_ended():
    async def run():
        bus = EventBus()
        session = {"live": True}

        async def connected():
            return False

        async def allowed():
            return session["live"]

        page = stream(bus, {}, connected, allowed, keepalive=0.05)
        await anext(page)
        assert await anext(page) == b": keepalive\n\n"
        session["live"] = False  # logged out, or expired
        rest = [chunk async for chunk in page]
        return rest, bus

    rest, bus = run_on_own_loop(run())
    assert rest == [] and not bus._listeners
