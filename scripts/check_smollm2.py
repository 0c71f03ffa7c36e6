#!/usr/bin/env python3
"""Checks SmolLM2-135M-Instruct run by ml-run against transformers' goldens.

    check_smollm2.py --ml-run BIN --artifact smollm2.mlart [--atol 2e-3]

For each prompt of test/Inputs/smollm2/smollm2-logits.json: the logits of
every prompt position at transformers' top-20 ids, the full last-position
logits (smollm2-last-logits-N.f32), and the greedy generation of up to 32
tokens, token for token. Standard library only.
"""
import argparse
import array
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDENS = os.path.join(HERE, "..", "test", "Inputs", "smollm2")
VOCAB = 49152


def load_f32(path):
    a = array.array("f")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    return a


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ml-run", required=True)
    p.add_argument("--artifact", required=True)
    p.add_argument("--atol", type=float, default=2e-3)
    args = p.parse_args()
    cases = json.load(open(os.path.join(GOLDENS, "smollm2-logits.json")))["cases"]
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for n, case in enumerate(cases):
            logits_path = os.path.join(tmp, f"logits-{n}.f32")
            ids = ",".join(map(str, case["input_ids"]))
            run = subprocess.run(
                [args.ml_run, args.artifact, "--tokens", ids, "-n", "32",
                 "--print-ids", "--logits-out", logits_path, "--all-logits"],
                capture_output=True, text=True)
            if run.returncode:
                sys.exit(f"case {n}: ml-run failed: {run.stderr}")
            generated = [int(t) for t in run.stdout.split()]
            ours = load_f32(logits_path)
            rows = len(case["input_ids"])
            assert len(ours) == rows * VOCAB, len(ours)
            top_diff = 0.0
            top1 = 0
            for r in range(rows):
                row = ours[r * VOCAB:(r + 1) * VOCAB]
                for i, v in zip(case["top20_ids"][r], case["top20_logits"][r]):
                    top_diff = max(top_diff, abs(row[i] - v))
                best = max(range(VOCAB), key=row.__getitem__)
                top1 += best == case["top20_ids"][r][0]
            last = load_f32(os.path.join(GOLDENS, f"smollm2-last-logits-{n}.f32"))
            last_diff = max(abs(a - b) for a, b in
                            zip(last, ours[(rows - 1) * VOCAB:]))
            same = generated == case["greedy_ids"]
            print(f"case {n}: {rows} prompt tokens, top-20 max |diff| "
                  f"{top_diff:.3g}, last-row max |diff| {last_diff:.3g}, "
                  f"top-1 {top1}/{rows}, greedy {len(generated)} tokens "
                  f"{'identical' if same else 'DIFFER'}")
            if not same:
                print(f"  ours:         {generated}\n  transformers: "
                      f"{case['greedy_ids']}")
            if top_diff > args.atol or last_diff > args.atol or \
                    top1 != rows or not same:
                failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
