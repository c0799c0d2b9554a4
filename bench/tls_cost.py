#!/usr/bin/env python3
"""What TLS costs the server: CPU per delivery over TLS against plain, and
CPU per handshake, measured on one ssebridge process in one run.

    bench/tls_cost.py [--binary build/ssebridge] [--streams 500] [--messages 2000]
                      [--handshakes 2000] [--rounds 3] [--rate 0]

Starts ssebridge with a plain and a TLS listener (a P-256 certificate made
with the openssl command in a temp dir), then alternates, --rounds times:

  plain  --streams event streams on the plain listener, --messages messages
         published over one keep-alive connection, every delivery counted;
  tls    the same over TLS (TLS 1.3, the client's default cipher);

as fast as the server answers the publisher (a burst: several events share
each write and each TLS record) or, with --rate, paced so that every event
is written, and encrypted, on its own;

and reports the server's CPU seconds (utime + stime from /proc) divided by
the deliveries of each phase. The clients read in large chunks from one
thread and only count events, so they stay out of the server's way; the
server is single-threaded, so its CPU time is the cost. Handshakes: the
server's CPU across --handshakes sequential TLS connections (full
handshake, one request, close) against as many plain connections.
Loopback only; every wait is bounded.
"""
import argparse
import os
import selectors
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_streams(port, count, context, channel):
    streams = []
    for _ in range(count):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock = context.wrap_socket(raw, server_hostname="localhost") if context else raw
        sock.sendall(f"GET /events?channel={channel} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError("stream closed before its head")
            head += chunk
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head[:200])
        sock.setblocking(False)
        streams.append(sock)
    return streams


def publish(port, channel, count, size, rate=0):
    """Publishes `count` messages; with `rate`, one at a time at that many per second."""
    payload = "x" * size
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        body_for = lambda i: f'{{"channel":"{channel}","data":"{i}:{payload}"}}'.encode()
        window = 1 if rate else 32
        sent = answered = 0
        buffer = b""
        while answered < count:
            batch = b""
            if rate and sent < count:
                delay = start + sent / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            while sent < count and sent - answered < window:
                body = body_for(sent)
                batch += (b"POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                sent += 1
            if batch:
                s.sendall(batch)
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("publisher connection closed")
            buffer += chunk
            while True:
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    break
                head = buffer[:end]
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                if len(buffer) < end + 4 + length:
                    break
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(head)
                buffer = buffer[end + 4 + length:]
                answered += 1


def drain(streams, expected, timeout):
    """Reads every stream until it has seen `expected` events; returns the total."""
    pattern = b"\ndata: "
    counts = {s: 0 for s in streams}
    tails = {s: b"" for s in streams}
    selector = selectors.DefaultSelector()
    for s in streams:
        selector.register(s, selectors.EVENT_READ)
    done = 0
    deadline = time.monotonic() + timeout
    while done < len(streams):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out: {done}/{len(streams)} streams complete")
        for key, _ in selector.select(timeout=1):
            s = key.fileobj
            while True:
                try:
                    chunk = s.recv(262144)
                except (ssl.SSLWantReadError, BlockingIOError):
                    break
                if not chunk:
                    raise RuntimeError("stream closed")
                data = tails[s] + chunk
                counts[s] += data.count(pattern)
                tails[s] = data[-(len(pattern) - 1):]
                if counts[s] >= expected:
                    selector.unregister(s)
                    done += 1
                    break
    selector.close()
    return sum(counts.values())


def phase(pid, port, publish_port, context, streams, messages, size, channel, rate):
    socks = open_streams(port, streams, context, channel)
    before = cpu_seconds(pid)
    start = time.monotonic()
    # The publisher runs beside the readers, so that paced events are read
    # as they come rather than piling up.
    failure = []
    def run():
        try:
            publish(publish_port, channel, messages, size, rate)
        except Exception as error:  # Reported by the main thread.
            failure.append(error)
    publisher = threading.Thread(target=run)
    publisher.start()
    deliveries = drain(socks, messages, timeout=120)
    publisher.join(timeout=120)
    if failure:
        raise failure[0]
    elapsed = time.monotonic() - start
    cpu = cpu_seconds(pid) - before
    for s in socks:
        s.close()
    return cpu, deliveries, elapsed


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle_memory(pid, port, context, count):
    """Resident KiB per idle stream: `count` streams opened, RSS before and after."""
    before = rss_kib(pid)
    socks = open_streams(port, count, context, "idle")
    after = rss_kib(pid)
    return (after - before) / count, socks


def handshakes(pid, port, context, count):
    before = cpu_seconds(pid)
    for _ in range(count):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock = context.wrap_socket(raw, server_hostname="localhost") if context else raw
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        while sock.recv(65536):
            pass
        sock.close()
    return cpu_seconds(pid) - before


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="build/ssebridge")
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", type=int, default=100, help="payload bytes per message")
    parser.add_argument("--handshakes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=int, default=2000, help="idle streams for the memory figure")
    parser.add_argument("--rate", type=float, default=0,
                        help="messages per second, one at a time (default 0: as fast as answered, 32 in flight)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        cert, key = f"{work}/cert.pem", f"{work}/key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        plain_port, tls_port = free_port(), free_port()
        log = open(f"{work}/server.log", "w")
        server = subprocess.Popen([args.binary, "--listen", f"127.0.0.1:{plain_port}", "--listen",
                                   f"tls:127.0.0.1:{tls_port}", "--tls-cert", cert, "--tls-key", key,
                                   "--log-level", "warn"], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", plain_port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            context = ssl.create_default_context(cafile=cert)
            # Memory first, on a fresh process, so that neither figure is hidden
            # by memory an earlier phase freed.
            # Both sets stay open until both are measured, so that the second
            # cannot reuse memory the first gave back.
            plain_kib, plain_socks = idle_memory(server.pid, plain_port, None, args.idle)
            tls_kib, tls_socks = idle_memory(server.pid, tls_port, context, args.idle)
            for s in plain_socks + tls_socks:
                s.close()
            print(f"resident memory per idle stream ({args.idle} streams): plain {plain_kib:.2f} KiB, "
                  f"TLS {tls_kib:.2f} KiB")
            totals = {"plain": [0.0, 0], "tls": [0.0, 0]}
            for round_number in range(args.rounds):
                for name, port, ctx in (("plain", plain_port, None), ("tls", tls_port, context)):
                    cpu, deliveries, elapsed = phase(server.pid, port, plain_port, ctx, args.streams, args.messages,
                                                     args.size, f"{name}{round_number}", args.rate)
                    totals[name][0] += cpu
                    totals[name][1] += deliveries
                    print(f"round {round_number + 1} {name:5}: {deliveries} deliveries in {elapsed:.2f} s, "
                          f"server CPU {cpu:.2f} s = {cpu / deliveries * 1e6:.2f} us/delivery", flush=True)
            if args.rounds > 0:
                plain_us = totals["plain"][0] / totals["plain"][1] * 1e6
                tls_us = totals["tls"][0] / totals["tls"][1] * 1e6
                print(f"\nCPU per delivery: plain {plain_us:.2f} us, TLS {tls_us:.2f} us "
                      f"({tls_us / plain_us:.2f}x)")

            plain_cpu = handshakes(server.pid, plain_port, None, args.handshakes)
            tls_cpu = handshakes(server.pid, tls_port, context, args.handshakes)
            print(f"connection + request + close: plain {plain_cpu / args.handshakes * 1e6:.0f} us, "
                  f"TLS {tls_cpu / args.handshakes * 1e6:.0f} us of server CPU "
                  f"(the handshake: {(tls_cpu - plain_cpu) / args.handshakes * 1e6:.0f} us)")
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
