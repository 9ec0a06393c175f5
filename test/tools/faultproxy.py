#!/usr/bin/env python3
"""A fault-injecting TCP proxy for the reliability tests (issue 16, section 2).

It stands beside the real kube-apiserver, never instead of it: bytes pass through unchanged
(TLS stays end to end between the operator and the server, so verification is real), and
faults are scripted through a control socket.

    faultproxy.py LISTEN_PORT UPSTREAM_HOST:UPSTREAM_PORT CONTROL_SOCKET

Commands on the control socket (one line each, answered with one line):
    cut            close every open connection now (RST), both sides
    cutafter K     each connection open now is cut once K more bytes went server->client
    stall S        forward nothing, either way, for S seconds (connections stay open)
    refuse S       accept no new connection for S seconds (the listener is closed; open ones
                   are untouched; send cut first for "the server is away")
    stats          "connections=N open=N down=BYTES up=BYTES refused=N"
Standard library only (asyncio).
"""
import asyncio
import socket
import struct
import sys


class Proxy:
    def __init__(self, port, upstream):
        self.port = port
        self.host, up_port = upstream.rsplit(":", 1)
        self.up_port = int(up_port)
        self.by_id = {}  # the open connections
        self.connections = 0
        self.refused = 0
        self.down = 0
        self.up = 0
        self.stalled = asyncio.Event()
        self.stalled.set()  # set = flowing
        self.server = None
        self.refusing_until = 0.0

    async def listen(self):
        self.server = await asyncio.start_server(self.accept, "127.0.0.1", self.port)

    async def accept(self, cr, cw):
        loop = asyncio.get_running_loop()
        if loop.time() < self.refusing_until:
            self.refused += 1
            abort(cw)
            return
        try:
            ur, uw = await asyncio.open_connection(self.host, self.up_port)
        except OSError:
            abort(cw)
            return
        self.connections += 1
        conn = {"cw": cw, "uw": uw, "cut_after": None}
        self.by_id[id(conn)] = conn
        try:
            await asyncio.gather(self.pump(cr, uw, conn, False), self.pump(ur, cw, conn, True))
        finally:
            self.by_id.pop(id(conn), None)
            abort(cw)
            abort(uw)

    async def pump(self, r, w, conn, downstream):
        try:
            while True:
                data = await r.read(65536)
                if not data:
                    break
                await self.stalled.wait()
                if downstream:
                    self.down += len(data)
                    if conn["cut_after"] is not None:
                        conn["cut_after"] -= len(data)
                        if conn["cut_after"] <= 0:
                            abort(conn["cw"])
                            abort(conn["uw"])
                            break
                else:
                    self.up += len(data)
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            abort(conn["cw"])
            abort(conn["uw"])

    def cut(self):
        for conn in list(self.by_id.values()):
            abort(conn["cw"])
            abort(conn["uw"])

    def cut_after(self, k):
        for conn in self.by_id.values():
            conn["cut_after"] = k

    async def stall(self, s):
        self.stalled.clear()
        await asyncio.sleep(s)
        self.stalled.set()

    async def refuse(self, s):
        loop = asyncio.get_running_loop()
        self.refusing_until = loop.time() + s
        self.server.close()
        await self.server.wait_closed()
        # Closing the listener makes connect() fail with ECONNREFUSED, as a server that is away.
        await asyncio.sleep(s)
        await self.listen()

    def stats(self):
        return "connections=%d open=%d down=%d up=%d refused=%d" % (
            self.connections, len(self.by_id), self.down, self.up, self.refused)


def abort(w):
    """Closes a stream writer's socket with a RST (SO_LINGER 0), as a cut cable would look."""
    try:
        sock = w.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        w.transport.abort()
    except (OSError, AttributeError):
        pass


async def main():
    port, upstream, control = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    p = Proxy(port, upstream)
    await p.listen()

    async def command(r, w):
        line = (await r.readline()).decode().split()
        answer = "ok"
        try:
            if line[:1] == ["cut"]:
                p.cut()
            elif line[:1] == ["cutafter"]:
                p.cut_after(int(line[1]))
            elif line[:1] == ["stall"]:
                asyncio.ensure_future(p.stall(float(line[1])))
            elif line[:1] == ["refuse"]:
                asyncio.ensure_future(p.refuse(float(line[1])))
            elif line[:1] == ["stats"]:
                answer = p.stats()
            else:
                answer = "error: unknown command %r" % " ".join(line)
        except (IndexError, ValueError) as e:
            answer = "error: %s" % e
        w.write((answer + "\n").encode())
        await w.drain()
        w.close()

    ctl = await asyncio.start_unix_server(command, control)
    print("faultproxy: listening on 127.0.0.1:%d for %s" % (port, upstream), flush=True)
    async with ctl:
        await ctl.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
