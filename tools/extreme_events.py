#!/usr/bin/env python3
"""Generates events at the edges of the JSON Schemas and judges each with the schemas themselves.

Usage: extreme_events.py [SCHEMAS_DIR]

For every event type it reads `events/<type>.schema.json` and makes values at each property's
edges: every bound and just past it, empty and longest strings (in multi-byte characters, with
emoji, control and bidirectional characters), every enum value and one that is not, dates and
times at the ends of their years and past them, empty and large arrays and objects, and each
optional property absent. It makes one event per value (the other properties kept at a valid
base), one event with every property at its largest valid value, and envelope variants (longest
ids and accounts, the first and last instants allowed). Each event is judged by a real JSON
Schema 2020-12 validator against envelope.schema.json. Prints one JSON object per line:
{"valid": true|false, "event": "<the event as one NDJSON line>"}. Used by the Swift test suite
(ExtremeEventTests): the server must accept exactly the valid ones, and fold, project, score,
rebuild, replay and render every one it accepts.
"""
import itertools
import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource

LONG = "é"  # two bytes in UTF-8, one character, in NFC
WILD = "🚀 \u202e\u0007<script>x</script>\u00a0"


REFS = [{"system": "helpdesk", "id": "org-1"}, {"system": "a" + "z" * 63, "id": LONG * 128}, {"system": "a" * 65, "id": "1"},
        {"system": "helpdesk", "id": LONG * 129}, {"system": "Helpdesk", "id": "1"}, {"system": "helpdesk"},
        {"system": "helpdesk", "id": "1", "x": 1}, {"system": "helpdesk", "id": WILD}, "helpdesk:org-1"]


def candidates(p):
    """Values at the edges of one property's schema (valid ones and just-invalid ones)."""
    if p.get("$ref", "").endswith("#/$defs/account_ref"):
        return REFS
    if "enum" in p:
        return list(p["enum"]) + ["not-one-of-them"]
    t = p.get("type")
    if t == "string":
        if "pattern" in p and "[0-9]{2}$" in p["pattern"]:
            return ["1970-01-01", "2999-12-31", "1969-12-31", "3000-01-01", "2026-02-30", ""]
        n = p.get("maxLength", 10_000)
        return ["", "a", WILD, LONG * n, LONG * (n + 1), 7]
    if t == "integer":
        lo, hi = p.get("minimum", 0), p.get("maximum", 2**53)
        return [lo, hi, hi + 1, lo - 1, 2**63, 1.0, 2.5, "1"]
    if t == "number":
        lo, hi = p.get("minimum", 0), p.get("maximum", 1e300)
        return [lo, hi, hi * 1.5 if hi > 0 else hi + 1, lo - 1, 0.1, 1e-300, "0"]
    if t == "boolean":
        return [True, False, "true"]
    if t == "array":
        return [[], ["x" * 1000] * 50, [LONG * 100, WILD], [1]]
    if t == "object":
        if "properties" in p:
            inner = {k: candidates(v) for k, v in p["properties"].items()}
            return [{}, {k: c[0] for k, c in inner.items()}, {k: c[-1] for k, c in inner.items()}]
        item = p.get("additionalProperties", {})
        hi = item.get("maximum", 2**53)
        return [{}, {LONG * 60: hi, "f": 0}, {f"f{i}": i for i in range(200)}, {"f": hi + 1}, {"f": -1}]
    return [None]


def main(root):
    root = pathlib.Path(root)
    envelope = json.loads((root / "envelope.schema.json").read_text())
    types = {p.name[: -len(".schema.json")]: json.loads(p.read_text()) for p in sorted((root / "events").glob("*.schema.json"))}
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in [envelope, *types.values()])
    validator = jsonschema.Draft202012Validator(envelope, registry=registry,
                                                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    serial = [0]

    def emit(type_, data, **envelope_fields):
        serial[0] += 1
        event = {"id": f"x-{serial[0]}", "account": f"ext-{type_}", "type": type_, "time": "2026-03-02T09:14:00Z"}
        # A release belongs to no customer: it is filed under the product's own account (checked
        # at ingest beyond what a schema says).
        if type_ == "product.released":
            event["account"] = "throughline:product"
        event.update(envelope_fields)
        if event["account"] is None:
            del event["account"]
        if data is not None:
            event["data"] = data
        print(json.dumps({"valid": validator.is_valid(event), "event": json.dumps(event, ensure_ascii=False)}, ensure_ascii=False))

    def valid(type_, data):
        return validator.is_valid({"id": "v", "account": "a", "type": type_, "time": "2026-03-02T09:14:00Z", "data": data})

    for type_, schema in types.items():
        # A rules switch must also carry rules that load, under the rules' own account: checked at
        # ingest beyond what a schema says (tests of rules switches cover it).
        if type_ == "rules.activated":
            continue
        props = dict(schema.get("properties", {}))
        for branch in schema.get("allOf", []):
            for k, v in branch.get("then", {}).get("properties", {}).items():
                props[k] = {**props.get(k, {}), **v}
        options = {k: candidates(v) for k, v in props.items()}
        # A valid base: the required properties at the first values that together are valid
        # (account.updated requires none but needs one field).
        required = schema.get("required", []) or [next(iter(options))]
        base = next(dict(zip(required, combo)) for combo in itertools.product(*(options[k] for k in required))
                    if valid(type_, dict(zip(required, combo))))
        emit(type_, base)
        for k, values in options.items():
            for v in values:
                emit(type_, {**base, k: v})
            if k not in schema.get("required", []):
                emit(type_, {kk: vv for kk, vv in base.items() if kk != k} or base)
        largest = dict(base)
        for k, values in options.items():
            fits = [v for v in values if valid(type_, {**largest, k: v})]
            if fits:
                largest[k] = max(fits, key=lambda v: len(json.dumps(v, ensure_ascii=False)))
        emit(type_, largest)
        emit(type_, None)
    note = {"author": "m", "text": "t"}
    for fields in [{"id": LONG * 128}, {"id": LONG * 129}, {"account": LONG * 128}, {"account": LONG * 129},
                   {"account": "🚀" * 10}, {"account": WILD.replace("\u0007", "")}, {"time": "1970-01-01T00:00:00Z"},
                   {"time": "2999-12-31T23:59:59.999999999-23:59"}, {"time": "1969-12-31T23:59:59Z"},
                   {"time": "2026-03-02T09:14:00.123456789+14:00"}, {"source": LONG * 256}, {"actor": LONG * 257},
                   {"source": ""}, {"time": "2026-03-02T24:00:00Z"}]:
        emit("note.added", note, **fields)
    for ref in REFS:
        emit("note.added", note, account=None, account_ref=ref)
    emit("note.added", note, account_ref=REFS[0])
    emit("identity.linked", {"ref": REFS[0]}, account=None, account_ref=REFS[0])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "schemas")
