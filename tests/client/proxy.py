"""A misbehaving HTTP proxy on loopback, in a thread: in front of a real server, it answers some requests
itself with 429 (and a ``Retry-After``) or 503, drops the connection of others without an answer, delays
some, and forwards the rest unchanged. Which request gets what follows a fixed plan, so tests are exact."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.live import free_port
from tests.waiting import wait_for

OK, TOO_MANY, UNAVAILABLE, DROP, SLOW = "ok", "429", "503", "drop", "slow"


@dataclass
class Proxy:
    upstream_port: int
    plan: Sequence[str]  # the fault of request n is plan[n % len(plan)]
    retry_after: str = "1"
    slow_seconds: float = 0.3
    port: int = field(default_factory=free_port)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (request line, what was done)
    headers_seen: list[dict[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {
                    k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                fault = self.plan[len(self.seen) % len(self.plan)]
                self.seen.append((lines[0], fault))
                self.headers_seen.append(headers)
                if fault == DROP:
                    writer.close()
                    return
                if fault in (TOO_MANY, UNAVAILABLE):
                    status = "429 Too Many Requests" if fault == TOO_MANY else "503 Service Unavailable"
                    extra = f"Retry-After: {self.retry_after}\r\n" if fault == TOO_MANY else ""
                    text = b'{"code":"busy","message":"try again"}'
                    writer.write(
                        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra}"
                        f"content-length: {len(text)}\r\n\r\n".encode()
                        + text
                    )
                    await writer.drain()
                    continue
                if fault == SLOW:
                    await asyncio.sleep(self.slow_seconds)
                writer.write(await self._forward(lines, headers, body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _forward(self, lines: list[str], headers: dict[str, str], body: bytes) -> bytes:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        kept = [h for h in lines[1:] if h and not h.lower().startswith(("connection:", "host:"))]
        request = "\r\n".join([lines[0], *kept, f"host: 127.0.0.1:{self.upstream_port}", "connection: close"])
        up_writer.write(request.encode("latin-1") + b"\r\n\r\n" + body)
        await up_writer.drain()
        response = await up_reader.read()
        up_writer.close()
        # The client keeps its connection open: the answer must say how long its body is.
        head, _, payload = response.partition(b"\r\n\r\n")
        head_lines = [
            h
            for h in head.decode("latin-1").split("\r\n")
            if not h.lower().startswith(("connection:", "transfer-encoding:", "content-length:"))
        ]
        if any(h.lower().startswith("transfer-encoding") for h in head.decode("latin-1").split("\r\n")):
            payload = _dechunk(payload)
        head_lines.append(f"content-length: {len(payload)}")
        return "\r\n".join(head_lines).encode("latin-1") + b"\r\n\r\n" + payload


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return bytes(out)


@contextmanager
def misbehaving(upstream_url: str, plan: Sequence[str], **options: object) -> Iterator[Proxy]:
    proxy = Proxy(int(upstream_url.rsplit(":", 1)[1]), plan, **options)  # type: ignore[arg-type]
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    servers: list[asyncio.base_events.Server] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        servers.append(loop.run_until_complete(asyncio.start_server(proxy._handle, "127.0.0.1", proxy.port)))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    wait_for(ready.is_set, what="the proxy to listen")
    try:
        yield proxy
    finally:

        async def shutdown() -> None:
            servers[0].close()
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            await servers[0].wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
