#!/usr/bin/env python3
"""Replay cost versus live delivery (issue 4): server CPU to deliver N messages
live to one stream, and to replay the same N messages to a resuming stream.

    bench/replay_cost.py [--messages 10000] [--bin build/ssebridge] [--redis redis://127.0.0.1:6379]

Prints a markdown table. Exits 1 if a stream did not receive exactly the N
messages in order.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    # schedstat has nanosecond resolution (stat's utime/stime are 10 ms ticks).
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0]) / 1e9


def open_stream(port, channel, last_event_id=None):
    s = socket.create_connection(("127.0.0.1", port))
    extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id else ""
    s.sendall(f"GET /events/{channel} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
    return s


def read_events(s, count, timeout=60):
    """Reads until `count` data lines arrived; returns (values, last_id)."""
    s.settimeout(timeout)
    buffer = b""
    values, last_id = [], None
    while len(values) < count:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buffer += chunk
        lines = buffer.split(b"\n")
        buffer = lines.pop()
        for line in lines:
            if line.startswith(b"data: "):
                values.append(int(line[6:].split(b'"')[0] if line[6:7] == b'"' else line[6:]))
            elif line.startswith(b"id: "):
                last_id = line[4:].decode()
    return values, last_id


def publish_many(port, channel, start, count, window=64, time_limit=120):
    """Publishes over one keep-alive connection with `window` requests in
    flight. Bounded: fails on any non-200 answer or after `time_limit` s."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(30)
    deadline = time.monotonic() + time_limit
    sent = answered = 0
    buffer = b""
    while answered < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"publishing took longer than {time_limit} s")
        batch = []
        while sent < count and sent - answered < window:
            body = f'{{"channel":"{channel}","data":"{start + sent}"}}'.encode()
            batch.append(b"POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            sent += 1
        if batch:
            s.sendall(b"".join(batch))
        chunk = s.recv(1 << 20)
        if not chunk:
            raise RuntimeError("server closed the publishing connection")
        buffer += chunk
        statuses = re.findall(rb"HTTP/1\.1 (\d{3})", buffer)
        if any(status != b"200" for status in statuses):
            raise RuntimeError("a publish was refused: " + buffer[:300].decode(errors="replace"))
        answered += len(statuses)
        last = buffer.rfind(b"HTTP/1.1 ")
        buffer = buffer[last + 12:] if last >= 0 else buffer
    s.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--bin", default="build/ssebridge")
    parser.add_argument("--redis", default=None)
    args = parser.parse_args()
    n = args.messages
    command = [args.bin, "--listen", "127.0.0.1:0", "--history-size", str(n * 2)]
    if args.redis:
        command += ["--redis", args.redis]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in server.stderr:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        if args.redis:
            time.sleep(0.5)  # Let both Redis connections come up (benchmark script, not a test).
        # Warm-up so allocator and caches are in a steady state.
        warm = open_stream(port, "warm")
        publish_many(port, "warm", 0, 1000)
        read_events(warm, 1000)
        warm.close()

        # Publishing alone (no subscribers), to subtract it from the live run.
        before = cpu_seconds(server.pid)
        publish_many(port, "nobody", 0, n)
        publish_only = cpu_seconds(server.pid) - before

        live = open_stream(port, "bench")
        time.sleep(0.2)
        before = cpu_seconds(server.pid)
        publish_many(port, "bench", 0, n)
        values, _ = read_events(live, n)
        live_total = cpu_seconds(server.pid) - before
        live.close()
        ok_live = values == list(range(n))

        # Resume from before the first message: all n are replayed.
        first = open_stream(port, "bench2")
        publish_many(port, "bench2", 0, 1)
        _, first_id = read_events(first, 1)
        first.close()
        publish_many(port, "bench2", 1, n)
        before = cpu_seconds(server.pid)
        resumed = open_stream(port, "bench2", first_id)
        values2, _ = read_events(resumed, n)
        replay_total = cpu_seconds(server.pid) - before
        resumed.close()
        ok_replay = values2 == list(range(1, n + 1))

        mode = "redis" if args.redis else "embedded"
        print(f"| {mode}, {n} messages, one stream | server CPU total | per message |")
        print("|---|---|---|")
        print(f"| publish only (no subscriber) | {publish_only * 1e3:.1f} ms | {publish_only / n * 1e6:.2f} us |")
        print(f"| publish + live delivery | {live_total * 1e3:.1f} ms | {live_total / n * 1e6:.2f} us |")
        print(f"| replay to a resuming stream | {replay_total * 1e3:.1f} ms | {replay_total / n * 1e6:.2f} us |")
        extra = max(live_total - publish_only, 0.0)
        print(f"\nlive delivery beyond publishing: {extra * 1e3:.1f} ms; replay: {replay_total * 1e3:.1f} ms "
              "(CPU from /proc/PID/schedstat, nanosecond resolution)")
        print(f"live stream complete and in order: {ok_live}; replayed stream complete and in order: {ok_replay}")
        return 0 if ok_live and ok_replay else 1
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
