#!/usr/bin/env python3
"""Writes one account's events as NDJSON: exactly N (default 50,000) over two years, of every
type: daily usage, ticket lifecycles, calls, notes, community activity, surveys, milestones,
profile updates and overrides. For the account page benchmark (tools/bench-pages)."""
import json, random, sys
from datetime import datetime, timedelta, timezone

account = sys.argv[1] if len(sys.argv) > 1 else "big-account"
total = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
rng = random.Random(11)
start = datetime(2024, 1, 1, tzinfo=timezone.utc)
days = 730
out = []

def at(day, minute):
    return (start + timedelta(days=day, minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")

def put(kind, day, minute, data, source):
    out.append({"id": f"{kind}-{len(out)}", "account": account, "type": kind, "time": at(day, minute), "source": source, "data": data})

put("account.updated", 0, 0, {"name": "Big Account", "plan": "enterprise", "seats": 900, "arr": 1200000,
                              "renewal_date": "2026-06-30", "csm": "maria", "champion": "dana"}, "crm")
for d in range(days):
    put("usage.recorded", d, 23 * 60, {"period_start": (start + timedelta(days=d)).strftime("%Y-%m-%d"), "period": "day",
                                       "active_users": 400 + rng.randint(-80, 80), "events": 20000 + rng.randint(0, 5000),
                                       "features": {f: rng.randint(0, 900) for f in ("export", "search", "share", "api", "reports")}}, "telemetry")
ticket = 0
while len(out) < total * 0.62:
    ticket += 1
    d = rng.randrange(days - 3)
    tid = str(100000 + ticket)
    put("ticket.opened", d, rng.randrange(600), {"ticket_id": tid, "priority": rng.choice(["urgent", "high", "normal", "low"]),
                                                 "category": rng.choice(["bug", "question", "how_to", "billing"]),
                                                 "subject": f"Issue {tid} <in> the export"}, "zendesk")
    put("ticket.updated", d + 1, rng.randrange(600), {"ticket_id": tid, "status": "pending", "sentiment": round(rng.uniform(-1, 1), 2)}, "zendesk")
    put("ticket.closed", d + 2, rng.randrange(600), {"ticket_id": tid, "resolution": "fixed", "csat": rng.randint(1, 5)}, "zendesk")
while len(out) < total * 0.74:
    put("call.completed", rng.randrange(days), rng.randrange(1400), {"kind": "call", "duration_s": rng.randint(300, 3600), "team": rng.choice(["success", "support", "sales"]),
                                                                     "sentiment": round(rng.uniform(-1, 1), 2), "summary": "Weekly sync"}, "gong")
while len(out) < total * 0.86:
    put("note.added", rng.randrange(days), rng.randrange(1400), {"author": "maria", "text": "Spoke with the team about adoption & next steps."}, "web")
for i in range(40):
    put("milestone.updated", rng.randrange(days), 0, {"milestone": f"m{i}", "status": rng.choice(["planned", "reached", "missed"]),
                                                      "due_date": (start + timedelta(days=rng.randrange(days))).strftime("%Y-%m-%d")}, "tracker")
for i in range(20):
    put("health.override", rng.randrange(days), 0, {"author": "maria", "band": rng.choice(["green", "yellow", "red"]), "reason": "CSM judgement"}, "web")
for i in range(500):
    put("survey.answered", rng.randrange(days), rng.randrange(1400), {"kind": "nps", "score": rng.randint(0, 10)}, "survey")
while len(out) < total:
    put("community.activity", rng.randrange(days), rng.randrange(1400), {"kind": rng.choice(["post", "answer", "event_attended"]), "topic": "exports"}, "community")
for e in out:
    print(json.dumps(e, separators=(",", ":")))
