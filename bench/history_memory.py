#!/usr/bin/env python3
"""Memory cost of many one-off channels (issue 9, "hostile input").

Starts ssebridge (embedded, or Redis mode with --redis URL), publishes one
message to each of N distinct channels over one pipelined keep-alive
connection, and prints the process's RSS growth next to the history gauge.
In Redis mode it also prints Redis used_memory growth and the key count.

  bench/history_memory.py --binary build/ssebridge --channels 200000 \
      -- --history-max-bytes 8388608
  bench/history_memory.py --binary build/ssebridge --channels 20000 \
      --redis-port 6390 -- --history-size 1000

The run is bounded: N requests, each answered within 10 s, or it stops.
"""
import argparse
import re
import socket
import subprocess
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def http_get(port, path):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return data.decode(errors="replace")
            data += chunk


def metric(port, name):
    match = re.search(rf"^{name} (\d+)", http_get(port, "/metrics"), re.M)
    return int(match.group(1)) if match else -1


def redis_info(port, field):
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "memory"], capture_output=True, text=True).stdout
    match = re.search(rf"^{field}:(\d+)", out, re.M)
    return int(match.group(1)) if match else -1


def redis_dbsize(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "DBSIZE"], capture_output=True, text=True).stdout
    return int(out.strip() or -1)


def publish_many(port, count, prefix, window=64):
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    buffer = b""
    sent = answered = 0
    while answered < count:
        batch = []
        while sent < count and sent - answered < window:
            body = f'{{"channel":"{prefix}{sent}","data":"x"}}'.encode()
            batch.append(b"POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            sent += 1
        if batch:
            conn.sendall(b"".join(batch))
        # Read every complete response in the buffer (Content-Length framing).
        while True:
            head_end = buffer.find(b"\r\n\r\n")
            if head_end < 0:
                break
            head = buffer[:head_end].decode()
            length = int(re.search(r"(?i)content-length: (\d+)", head).group(1))
            if len(buffer) < head_end + 4 + length:
                break
            if not head.startswith("HTTP/1.1 200"):
                sys.exit(f"publish {answered} failed: {head.splitlines()[0]}")
            buffer = buffer[head_end + 4 + length:]
            answered += 1
        if answered < count and (sent - answered >= window or sent == count):
            chunk = conn.recv(1 << 20)
            if not chunk:
                sys.exit("connection closed")
            buffer += chunk
    conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="build/ssebridge")
    parser.add_argument("--channels", type=int, default=200000)
    parser.add_argument("--port", type=int, default=18555)
    parser.add_argument("--redis-port", type=int, default=0)
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()

    argv = [args.binary, "--listen", f"127.0.0.1:{args.port}", "--log-level", "warn"] + args.extra
    if args.redis_port:
        argv += ["--redis", f"redis://127.0.0.1:{args.redis_port}"]
    bridge = subprocess.Popen(argv)
    try:
        for _ in range(100):
            try:
                if "200" in http_get(args.port, "/readyz").split("\r\n")[0]:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        # Warm up allocator and code paths with a few channels first.
        publish_many(args.port, 100, "warm-")
        rss0 = rss_kib(bridge.pid)
        used0 = redis_info(args.redis_port, "used_memory") if args.redis_port else 0
        keys0 = redis_dbsize(args.redis_port) if args.redis_port else 0
        started = time.time()
        publish_many(args.port, args.channels, "oneoff-")
        elapsed = time.time() - started
        rss1 = rss_kib(bridge.pid)
        gauge = metric(args.port, "ssebridge_history_bytes")
        messages = metric(args.port, "ssebridge_history_messages")
        print(f"channels published: {args.channels} in {elapsed:.1f} s")
        print(f"RSS growth: {rss1 - rss0} KiB ({(rss1 - rss0) * 1024 / args.channels:.0f} B per channel)")
        print(f"history gauge: {gauge} bytes, {messages} messages "
              f"({gauge / max(messages, 1):.0f} B per retained message)")
        if messages > 0:
            print(f"RSS growth per retained message: {(rss1 - rss0) * 1024 / messages:.0f} B")
        if args.redis_port:
            used1 = redis_info(args.redis_port, "used_memory")
            keys1 = redis_dbsize(args.redis_port)
            print(f"redis used_memory growth: {(used1 - used0) / 1048576:.1f} MiB "
                  f"({(used1 - used0) / args.channels:.0f} B per channel), keys {keys0} -> {keys1}")
    finally:
        bridge.terminate()
        bridge.wait(10)


if __name__ == "__main__":
    main()
