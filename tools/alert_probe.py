#!/usr/bin/env python3
"""Alert latency probe for tools/bench-stream: appends an urgent ticket on one large account every
PERIOD seconds over the server's Unix socket, and follows that account's alert.fired events on a
stream (GET /v1/events/stream?types=alert.fired&account=...). For each ticket, the time from its
append's acknowledgement to the alert's arrival. Stops when the file STOP exists (then waits up to
30 s for the last alerts); prints p50 and max in milliseconds, and the tickets that fired nothing.

The account is made first (a profile and a day of usage) and the probe waits until it has scores,
because alert rules fire on scored accounts.

Usage: alert_probe.py SOCKET PERIOD STOP
"""
import datetime
import json
import os
import socket
import sys
import threading
import time

ACCOUNT = "probe-large-account"


def request(path, method="GET", body=b""):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/x-ndjson\r\nContent-Length: {len(body)}\r\n\r\n"
    s.sendall(head.encode() + body)
    data = b""
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append(event):
    reply = request("/v1/events", "POST", json.dumps(event).encode())
    if b'"accepted"' not in reply and b'"duplicate"' not in reply:
        sys.exit(f"alert_probe: an append was refused: {reply[-300:]!r}")


def follow(arrived):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    s.sendall(f"GET /v1/events/stream?types=alert.fired&account={ACCOUNT}&heartbeat=5 HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    buf = b""
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            return
        t = time.time()
        buf += chunk
        lines = buf.split(b"\n")
        buf = lines.pop()
        for line in lines:
            if line.startswith(b"data: {"):
                key = json.loads(line[6:]).get("id", "")
                if ":ticket:PROBE-" in key:
                    arrived[key.rsplit(":ticket:", 1)[1]] = t


def main():
    global SOCK
    SOCK, period, stop = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    today = now_iso()[:10]
    append({"id": "probe-profile", "account": ACCOUNT, "type": "account.updated", "time": now_iso(), "data": {"name": "Probe", "arr": 500000}})
    append({"id": "probe-usage", "account": ACCOUNT, "type": "usage.recorded", "time": now_iso(), "data": {"period_start": today, "active_users": 50}})
    for _ in range(600):
        if b'"score"' in request(f"/v1/accounts/{ACCOUNT}/scores"):
            break
        time.sleep(0.5)
    arrived, sent = {}, {}
    threading.Thread(target=follow, args=(arrived,), daemon=True).start()
    n = 0
    while not os.path.exists(stop):
        n += 1
        ticket = f"PROBE-{n}"
        append({"id": f"probe-{ticket}", "account": ACCOUNT, "type": "ticket.opened", "time": now_iso(),
                "data": {"ticket_id": ticket, "priority": "urgent", "subject": "probe"}})
        sent[ticket] = time.time()
        time.sleep(period)
    deadline = time.time() + 30
    while time.time() < deadline and len(arrived) < len(sent):
        time.sleep(0.2)
    lat = sorted((arrived[k] - t) * 1000 for k, t in sent.items() if k in arrived)
    missing = [k for k in sent if k not in arrived]
    if not lat:
        print(f"   alerts: none of {len(sent)} urgent tickets fired within 30 s")
        return
    print(f"   alert after its event ({len(lat)} of {len(sent)} urgent tickets, one every {period:g} s): "
          f"p50 {lat[len(lat) // 2]:.0f} ms, max {lat[-1]:.0f} ms" + (f"; fired nothing: {', '.join(missing)}" if missing else ""))


if __name__ == "__main__":
    main()
