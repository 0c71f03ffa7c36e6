#!/usr/bin/env python3
"""Compares logits written by `ml-run --logits-out` with a golden.

    compare_logits.py GOLDEN.f32 OURS.f32 --vocab V [--rows R] [--atol A]

Both files are row-major f32 [rows x vocab]. The check fails when any logit
differs by more than --atol or when the argmax of any row differs. Standard
library only, so CI needs no numpy. Prints the max difference it measured.
"""
import argparse
import array
import sys


def load(path):
    a = array.array("f")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    if sys.byteorder != "little":
        a.byteswap()
    return a


def argmax(row):
    best = 0
    for i, v in enumerate(row):
        if v > row[best]:
            best = i
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("golden")
    p.add_argument("ours")
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--rows", type=int, default=0,
                   help="compare only the last ROWS rows of the golden")
    p.add_argument("--atol", type=float, default=1e-3)
    args = p.parse_args()
    golden, ours = load(args.golden), load(args.ours)
    if args.rows:
        golden = golden[len(golden) - args.rows * args.vocab:]
    if len(golden) != len(ours) or len(ours) % args.vocab:
        sys.exit(f"error: golden has {len(golden)} logits, ours {len(ours)} "
                 f"(vocab {args.vocab})")
    worst = max(abs(g - o) for g, o in zip(golden, ours))
    rows = len(ours) // args.vocab
    flips = [r for r in range(rows)
             if argmax(golden[r * args.vocab:(r + 1) * args.vocab]) !=
             argmax(ours[r * args.vocab:(r + 1) * args.vocab])]
    print(f"{rows} rows: max |diff| {worst:.3g} (atol {args.atol}), "
          f"argmax differs in {len(flips)} rows")
    if worst > args.atol or flips:
        sys.exit(1)


if __name__ == "__main__":
    main()
