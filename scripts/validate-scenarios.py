#!/usr/bin/env python3
"""Validates scenario files against scenarios/scenario.schema.json with tools independent of the harness:
PyYAML (a YAML 1.1 loader, as many editors use) and the jsonschema package (Draft 7).

Usage: scripts/validate-scenarios.py FILE.yaml...   (Debian: apt-get install python3-yaml python3-jsonschema)
Prints one line per problem, FILE: PATH: MESSAGE, and exits 1 when there is any, 0 when every file is valid."""
import json
import os
import sys

import jsonschema
import yaml

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "scenarios", "scenario.schema.json"), encoding="utf-8") as f:
    validator = jsonschema.Draft7Validator(json.load(f))

problems = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            document = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        print(f"{path}: cannot read it as YAML: {' '.join(str(e).split())}")
        problems += 1
        continue
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        print(f"{path}: {where}: {error.message}")
        problems += 1
print(f"{len(sys.argv) - 1} files, {problems} problems", file=sys.stderr)
sys.exit(1 if problems else 0)
