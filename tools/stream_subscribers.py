#!/usr/bin/env python3
"""Subscribers for tools/bench-stream: N streams of every event (GET /v1/events/stream) over the
server's Unix socket. One measures, for each event, the time from its `recorded` stamp (taken at
commit) to the moment it was parsed here; the others only read. Each stops once it has received
TOTAL events. Prints the measuring stream's p50, p99 and max in milliseconds. The measuring
stream runs in a process of its own, the counting ones in another (threads of one process would
take turns under Python's global lock, and the measure would time that).

Usage: stream_subscribers.py SOCKET N TOTAL
"""
import datetime
import multiprocessing
import re
import socket
import sys
import threading
import time

RECORDED = re.compile(rb'"recorded":"([^"]+)"')
DATA = b'data: {"id"'


def stream(path, total, measure, out):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b"GET /v1/events/stream?after=0&heartbeat=5 HTTP/1.1\r\nHost: localhost\r\n\r\n")
    buf = b""
    seen = 0
    while seen < total:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        now = time.time()
        if not measure:
            # Only counted: the data lines' start, across the boundary of two reads.
            joined = buf + chunk
            seen += joined.count(DATA)
            buf = joined[-(len(DATA) - 1):]
            continue
        # Each write of the server is one chunk of whole events, so the transfer encoding's
        # size lines fall between events.
        buf += chunk
        lines = buf.split(b"\n")
        buf = lines.pop()
        for line in lines:
            if not line.startswith(DATA):
                continue
            seen += 1
            if measure:
                m = RECORDED.search(line)
                if m:
                    recorded = datetime.datetime.fromisoformat(m.group(1).decode().replace("Z", "+00:00")).timestamp()
                    out.append((now - recorded) * 1000)
    s.close()


def counters(path, n, total):
    threads = [threading.Thread(target=stream, args=(path, total, False, None)) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    path, n, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    latencies = []
    others = multiprocessing.Process(target=counters, args=(path, n - 1, total))
    others.start()
    stream(path, total, True, latencies)
    others.join()
    latencies.sort()
    if not latencies:
        print("   no event reached the measuring subscriber")
        return
    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))]
    print(f"   commit to subscriber ({len(latencies)} events, {n} subscribers): "
          f"p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms, max {latencies[-1]:.1f} ms")


if __name__ == "__main__":
    main()
