#!/usr/bin/env python3
"""Checks real answers of a running server against schemas/openapi.yaml.

Usage: check_openapi.py SOCKET [OPENAPI]

Talks to the server over its Unix socket with Python's http.client (the README's way), makes
requests that reach every documented status the server can be driven to, and checks each
answer: the status is documented for that path and method, the Content-Type is one listed, the
documented headers are present, and the body (each line, for NDJSON) validates against the
schema. The server must run with --max-body-bytes 65536 and one ingest request at a time with
no waiting queue, so that 413 and 503 can be provoked. Exits 1 naming every mismatch.
"""
import http.client
import json
import time
import socket
import sys

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, socket_path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.socket_path)


def note(i, text="hello"):
    return json.dumps({"id": f"oa-{i}", "account": "acme", "type": "note.added",
                       "time": "2026-03-02T09:14:00Z", "data": {"author": "maria", "text": f"{text} {i}"}})


class Checker:
    def __init__(self, sock, spec_path):
        self.sock = sock
        with open(spec_path) as f:
            self.spec = yaml.safe_load(f)
        resource = Resource.from_contents({"$schema": "https://json-schema.org/draft/2020-12/schema", **self.spec})
        self.registry = Registry().with_resource("urn:openapi", resource)
        self.problems = []
        self.checked = 0
        self.covered = set()

    def request(self, method, path, body=None, headers=None):
        c = UnixHTTPConnection(self.sock)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        self.check(method, path.split("?")[0], r.status, dict(r.getheaders()), data)
        return r.status, data

    def validate(self, schema, instance, where):
        # Inline schemas may refer to components: resolve "#/..." against the spec document.
        rooted = json.loads(json.dumps(schema).replace('"#/components/', '"urn:openapi#/components/'))
        v = Draft202012Validator(rooted, registry=self.registry)
        for e in v.iter_errors(instance):
            self.problems.append(f"{where}: {e.message[:300]} at {list(e.absolute_path)}")

    def template(self, path):
        """The spec's path template a concrete path matches (/v1/accounts/acme/timeline -> /v1/accounts/{id}/timeline)."""
        parts = path.split("/")
        for t in self.spec["paths"]:
            tp = t.split("/")
            if len(tp) == len(parts) and all(a == b or (a.startswith("{") and a.endswith("}")) for a, b in zip(tp, parts)):
                return t
        return path

    def check(self, method, path, status, headers, body):
        self.checked += 1
        self.covered.add(f"{method} {self.template(path)} {status}")
        where = f"{method} {path} -> {status}"
        op = self.spec["paths"].get(self.template(path), {}).get(method.lower())
        if op is None:
            self.problems.append(f"{where}: path and method are not in the spec")
            return
        resp = op["responses"].get(str(status))
        if resp is not None and "$ref" in resp:  # a shared response: #/components/responses/NAME
            resp = self.spec["components"]["responses"][resp["$ref"].rsplit("/", 1)[-1]]
        if resp is None:
            self.problems.append(f"{where}: status {status} is not documented")
            return
        lower = {k.lower(): v for k, v in headers.items()}
        for name in resp.get("headers", {}):
            if name.lower() not in lower:
                self.problems.append(f"{where}: documented header {name} is missing")
        media = lower.get("content-type", "").split(";")[0].strip()
        content = resp.get("content", {})
        if media not in content:
            self.problems.append(f"{where}: Content-Type {media!r} is not one of {sorted(content)}")
            return
        schema = content[media]["schema"]
        text = body.decode("utf-8")
        if media == "application/json":
            self.validate(schema, json.loads(text), where)
        elif media == "application/x-ndjson":
            for n, line in enumerate(text.splitlines(), 1):
                self.validate(schema, json.loads(line), f"{where} line {n}")


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: check_openapi.py SOCKET [OPENAPI]")
    ck = Checker(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "schemas/openapi.yaml")
    nd = {"Content-Type": "application/x-ndjson"}
    ck.request("POST", "/v1/events", "\n".join([note(1), note(2)]), nd)                       # 200
    ck.request("POST", "/v1/events", "\n".join([note(1), note(2, "changed"), "{}", note(3)]), nd)  # 207
    ck.request("POST", "/v1/events", "{}\nnot json", nd)                                      # 400
    ck.request("POST", "/v1/events", "[" + note(4) + "]", {"Content-Type": "application/json"})  # 200
    ck.request("POST", "/v1/events", note(5), {"Content-Type": "text/plain"})                 # 415
    ck.request("POST", "/v1/events", "x" * 70000, nd)                                         # 413 announced

    # 413 for a chunked body cut at the limit.
    c = UnixHTTPConnection(ck.sock)
    c.putrequest("POST", "/v1/events")
    c.putheader("Content-Type", "application/x-ndjson")
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    for i in range(100, 700):
        line = (note(i) + "\n").encode()
        c.send(b"%x\r\n%s\r\n" % (len(line), line))
    c.send(b"0\r\n\r\n")
    r = c.getresponse()
    ck.check("POST", "/v1/events", r.status, dict(r.getheaders()), r.read())
    c.close()

    # 503: one request holds the only turn while another arrives.
    holder = UnixHTTPConnection(ck.sock)
    holder.putrequest("POST", "/v1/events")
    holder.putheader("Content-Type", "application/x-ndjson")
    holder.putheader("Transfer-Encoding", "chunked")
    holder.endheaders()
    first = (note(800) + "\n").encode()
    holder.send(b"%x\r\n%s\r\n" % (len(first), first))
    for _ in range(400):
        _, data = ck.request("GET", "/v1/health")
        if json.loads(data)["ingest_requests_active"] == 1:
            break
    status, _ = ck.request("POST", "/v1/events", note(801), nd)
    if status != 503:
        ck.problems.append(f"expected 503 while the only ingest turn is held, got {status}")
    holder.send(b"0\r\n\r\n")
    r = holder.getresponse()
    ck.check("POST", "/v1/events", r.status, dict(r.getheaders()), r.read())
    holder.close()

    ck.request("GET", "/v1/events?after=0&limit=3")                                          # 200
    ck.request("GET", "/v1/events?after=0&account=acme")                                      # 200
    ck.request("GET", "/v1/events?limit=0")                                                   # 400
    ck.request("GET", "/v1/health")                                                           # 200
    extra = [
        {"id": "oa-call", "account": "acme", "type": "call.completed", "time": "2026-03-03T10:00:00Z", "actor": "csm:maria",
         "data": {"duration_s": 600, "team": "success", "sentiment": 0.4}},
        {"id": "oa-override", "account": "acme", "type": "health.override", "time": "2026-03-04T10:00:00Z", "actor": "csm:maria",
         "data": {"author": "maria", "band": "red", "reason": "exec sponsor left", "expires": "2026-04-30"}},
        {"id": "oa-ref", "account_ref": {"system": "helpdesk", "id": "org-9"}, "type": "ticket.opened", "time": "2026-03-03T11:00:00Z",
         "data": {"ticket_id": "T9", "priority": "high"}},
        {"id": "oa-old", "account": "acme-old", "type": "note.added", "time": "2026-03-01T10:00:00Z", "data": {"author": "maria", "text": "dup"}},
        {"id": "oa-merge", "account": "acme-old", "type": "account.merged", "time": "2026-03-05T10:00:00Z", "data": {"into": "acme"}},
    ]
    ck.request("POST", "/v1/events", "\n".join(json.dumps(e) for e in extra), nd)            # 200
    deadline = time.monotonic() + 60  # let the projector catch up and the scores follow, then read
    while time.monotonic() < deadline:
        _, data = ck.request("GET", "/v1/health")
        h = json.loads(data)
        if h["projected_seq"] == h["last_seq"] and h["scores"]["current"]:
            break
        time.sleep(0.05)
    ck.request("GET", "/v1/accounts/acme/timeline?limit=2")                                  # 200
    ck.request("GET", "/v1/accounts/acme/timeline?types=memo")                               # 400
    ck.request("GET", "/v1/accounts/nobody/timeline")                                        # 404
    ck.request("GET", "/v1/accounts/acme/timeline?min_seq=999999")                           # 400: past the log's end
    ck.request("GET", "/v1/accounts/acme/context?at=2026-03-31")                             # 200
    ck.request("GET", "/v1/accounts/acme/context?at=later")                                  # 400
    ck.request("GET", "/v1/accounts/nobody/context")                                         # 404
    ck.request("GET", "/v1/accounts?sort=arr&order=desc&limit=5")                            # 200
    ck.request("GET", "/v1/accounts?flag=missed_milestone&at=2026-03-31")                    # 200
    ck.request("GET", "/v1/accounts?sort=size")                                              # 400
    ck.request("GET", "/v1/accounts?band=red,green&sort=score")                              # 200
    ck.request("GET", "/v1/accounts?band=purple")                                            # 400
    ck.request("GET", "/v1/accounts/acme/scores")                                            # 200
    ck.request("GET", "/v1/accounts/acme/scores?from=2026-03-03&to=2026-03-03")              # 200
    ck.request("GET", "/v1/accounts/acme/scores?rules=health-v0")                            # 404
    ck.request("GET", "/v1/accounts/acme/scores?from=never")                                 # 400
    ck.request("GET", "/v1/accounts/nobody/scores")                                          # 404
    ck.request("GET", "/v1/accounts/acme/scores/explain")                                    # 200
    ck.request("GET", "/v1/accounts/acme/scores/explain?at=2026-03-02")                      # 200
    ck.request("GET", "/v1/accounts/acme/scores/explain?at=soon")                            # 400
    ck.request("GET", "/v1/accounts/nobody/scores/explain")                                  # 404
    ck.request("GET", "/v1/unlinked")                                                        # 200
    ck.request("GET", "/v1/data-quality")                                                    # 200
    ck.request("GET", "/v1/people?handle=maria")                                             # 200
    ck.request("GET", "/v1/people")                                                          # 400
    ck.request("GET", "/v1/audit?limit=2")                                                   # 200
    ck.request("GET", "/v1/audit?limit=0")                                                   # 400
    ck.request("GET", "/v1/audit?before=0")                                                  # 400
    ck.request("GET", "/v1/accounts/acme-old/timeline?limit=2")                              # 308
    ck.request("GET", "/v1/accounts/acme-old/context")                                       # 308
    ck.request("GET", "/v1/accounts/acme-old/scores")                                        # 308
    ck.request("GET", "/v1/accounts/acme-old/scores/explain")                                # 308
    ck.request("GET", "/metrics")                                                             # 200
    for p in ck.problems:
        print(p)
    print("covered: " + ", ".join(sorted(ck.covered)))
    print(f"checked {ck.checked} answers against the spec: {len(ck.problems)} problems")
    sys.exit(1 if ck.problems else 0)


if __name__ == "__main__":
    main()
