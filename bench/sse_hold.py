"""Hold N open Server-Sent-Events connections to the order board, as N open boards would.

    python -m bench.sse_hold URL COUNT        (cookie in BENCH_COOKIE)

Prints `READY <n>` once every stream has sent its first event, then keeps reading
(heartbeats, refreshes) until stdin closes, and prints `HELD <n>`: how many were
still open at the end. Plain asyncio sockets: cheap enough to hold thousands.
"""

from __future__ import annotations

import asyncio
import os
import sys
from urllib.parse import urlsplit


async def hold(url: str, cookie: str, ready: asyncio.Queue, stop: asyncio.Event) -> bool:
    parts = urlsplit(url)
    try:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    except OSError:
        await ready.put(False)
        return False
    writer.write(
        f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n"
        f"Cookie: {cookie}\r\nConnection: keep-alive\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    ok = b" 200 " in status
    announced = False
    open_at_end = False
    try:
        while ok and not stop.is_set():
            try:
                line = await asyncio.wait_for(reader.readline(), timeout=0.5)
            except TimeoutError:
                continue
            if not line:
                break
            if line.startswith(b"event: refresh") and not announced:
                announced = True
                await ready.put(True)
        open_at_end = ok and stop.is_set()
    finally:
        if not announced:
            await ready.put(False)
        writer.close()
    return open_at_end


async def main(url: str, count: int) -> int:
    cookie = os.environ.get("BENCH_COOKIE", "")
    ready: asyncio.Queue = asyncio.Queue()
    stop = asyncio.Event()
    tasks = []
    for _ in range(count):
        tasks.append(asyncio.create_task(hold(url, cookie, ready, stop)))
        await asyncio.sleep(0.002)  # a gentle ramp, like boards opening over a few seconds
    connected = sum([await ready.get() for _ in range(count)])
    print(f"READY {connected}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    stop.set()
    held = sum(await asyncio.gather(*tasks))
    print(f"HELD {held}", flush=True)
    return 0 if held == count else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]))))
