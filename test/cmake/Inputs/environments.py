"""Prints each CTest test's name and ENVIRONMENT, sorted by name, from
`ctest --show-only=json-v1` on standard input."""
import json
import sys

rows = []
for test in json.load(sys.stdin)["tests"]:
    env = []
    for prop in test.get("properties", []):
        if prop["name"] == "ENVIRONMENT":
            env = prop["value"]
    rows.append("%s: %s" % (test["name"], " ".join(env) if env else "-"))
for row in sorted(rows):
    print(row)
