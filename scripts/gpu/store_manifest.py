#!/usr/bin/env python3
"""Carries weight stores to the GPU machine as their headers only.

    store_manifest.py dump DIR... -o manifest.json
    store_manifest.py regenerate manifest.json [--root DIR]

`dump` records, for every *.safetensors file under the given directories
(and the .json files beside them), the header: tensor names, dtypes and
shapes. `regenerate` writes files with exactly those names, dtypes and
shapes at the same relative paths, filled with small random values (bf16,
f16 or f32 bit patterns of |x| in [2^-8, 2^-6), either sign). A compiled
artifact checks only names, dtypes and shapes, so it runs on the
regenerated stores: enough for comparing two backends on the same inputs
at shapes too large to carry. Needs numpy.
"""
import argparse
import glob
import json
import os
import struct

import numpy as np


def dump(dirs, out):
    files = {}
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "**", "*"), recursive=True)):
            if path.endswith(".safetensors"):
                with open(path, "rb") as f:
                    n = struct.unpack("<Q", f.read(8))[0]
                    files[path] = {"header": json.loads(f.read(n))}
            elif path.endswith(".json"):
                files[path] = {"text": open(path).read()}
    json.dump(files, open(out, "w"))


POOL = 1 << 24


def random_bits(rng, dtype, shape, pools={}):
    """Random bytes for a tensor: a pool of 16M random values per dtype,
    repeated to the tensor's size (fast for 16 GB of weights; the values
    only need to be finite, small and not all equal)."""
    n = int(np.prod(shape))
    if dtype not in pools:
        pools[dtype] = np.frombuffer(random_pool(rng, dtype, (POOL,)), dtype=np.uint8)
    pool = pools[dtype]
    size = n * (4 if dtype == "F32" else 2)
    reps = -(-size // len(pool))
    return np.tile(pool, reps)[:size].tobytes() if reps > 1 else pool[:size].tobytes()


def random_pool(rng, dtype, shape):
    if dtype == "BF16":
        bits = rng.integers(0x3b80, 0x3c80, size=shape, dtype=np.uint16)
        return (bits | (rng.integers(0, 2, size=shape, dtype=np.uint16) << 15)).tobytes()
    if dtype == "F16":
        bits = rng.integers(0x1c00, 0x2400, size=shape, dtype=np.uint16)
        return (bits | (rng.integers(0, 2, size=shape, dtype=np.uint16) << 15)).tobytes()
    if dtype == "F32":
        values = rng.uniform(2.0 ** -8, 2.0 ** -6, size=shape).astype("<f4")
        return (values * np.where(rng.integers(0, 2, size=shape), 1, -1)).astype("<f4").tobytes()
    raise SystemExit(f"unsupported dtype {dtype}")


def regenerate(manifest, root):
    rng = np.random.default_rng(0)
    for path, entry in json.load(open(manifest)).items():
        target = os.path.join(root, path)
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        if "text" in entry:
            open(target, "w").write(entry["text"])
            continue
        header = entry["header"]
        text = json.dumps(header).encode()
        text += b" " * (-len(text) % 8)
        tensors = sorted((v["data_offsets"][0], k) for k, v in header.items()
                         if k != "__metadata__")
        with open(target, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for _, name in tensors:
                info = header[name]
                f.write(random_bits(rng, info["dtype"], info["shape"]))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("dirs", nargs="+")
    d.add_argument("-o", required=True)
    r = sub.add_parser("regenerate")
    r.add_argument("manifest")
    r.add_argument("--root", default=".")
    args = ap.parse_args()
    if args.command == "dump":
        dump(args.dirs, args.o)
    else:
        regenerate(args.manifest, args.root)


if __name__ == "__main__":
    main()
