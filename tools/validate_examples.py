#!/usr/bin/env python3
"""Validates every example event under schemas/examples/ against the JSON Schemas with a real
JSON Schema 2020-12 validator and prints {"<relative path>": true|false, ...} as JSON.

Used by the Swift test suite (SchemaAgreementTests) to check that the schema files and the Swift
event model accept exactly the same events. Needs the `jsonschema` package (tools/test installs it).
"""
import json
import pathlib
import sys

try:
    import jsonschema
    from referencing import Registry, Resource
except ImportError:
    sys.exit("tools/validate_examples.py: the Python package 'jsonschema' is missing; run: python3 -m pip install jsonschema rfc3339-validator")


def main(schemas_dir: str) -> None:
    root = pathlib.Path(schemas_dir)
    schemas = [json.loads(p.read_text()) for p in [root / "envelope.schema.json", *sorted((root / "events").glob("*.schema.json"))]]
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
    envelope = schemas[0]
    jsonschema.Draft202012Validator.check_schema(envelope)
    for s in schemas[1:]:
        jsonschema.Draft202012Validator.check_schema(s)
    validator = jsonschema.Draft202012Validator(envelope, registry=registry,
                                                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    verdicts = {}
    for path in sorted((root / "examples").rglob("*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))
        verdicts[str(path.relative_to(root / "examples"))] = validator.is_valid(event)
    print(json.dumps(verdicts, indent=1, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "schemas")
