#!/usr/bin/env python3
"""Compares `ml-weights list --sha256` output with expected digests.

  check_digests.py EXPECTED.json LISTING.txt [--skip NAME ...]

EXPECTED.json maps tensor names to {"shape": [...], "sha256": "..."} (made by
the reference implementation); prints one line per mismatch and a summary.
"""
import json
import sys

expected = json.load(open(sys.argv[1]))
skip = set(sys.argv[4:]) if len(sys.argv) > 3 and sys.argv[3] == "--skip" else set()
listing = {}
for line in open(sys.argv[2]):
    name, dtype, shape, nbytes, *digest = line.split()
    listing[name] = (json.loads(shape), digest[0] if digest else None)
bad = 0
for name, want in expected.items():
    if name in skip:
        continue
    got = listing.get(name)
    if got is None:
        print("missing", name)
        bad += 1
    elif got[0] != want["shape"] or got[1] != want["sha256"]:
        print("differs", name, got[0], want["shape"])
        bad += 1
extra = sorted(set(listing) - set(expected))
for name in extra:
    print("unexpected", name)
print(f"{len(expected) - len(skip) - bad} of {len(expected) - len(skip)} tensors match, {len(extra)} unexpected")
sys.exit(1 if bad or extra else 0)
