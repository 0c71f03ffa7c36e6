#!/usr/bin/env python3
"""Writes broken copies of a Hugging Face fixture for the importer's error tests.

  corrupt_checkpoint.py SRC DST KIND

KIND: truncated | header-past-end | overlap | wrong-shape | missing-tensor |
      unknown-arch | int-dtype | extra-tensor | bad-json
"""
import json
import os
import shutil
import struct
import sys

src, dst, kind = sys.argv[1:4]
shutil.rmtree(dst, ignore_errors=True)
shutil.copytree(src, dst)
st = os.path.join(dst, "model.safetensors")
raw = open(st, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]


def write(header, data, length=None):
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(st, "wb") as f:
        f.write(struct.pack("<Q", len(text) if length is None else length))
        f.write(text)
        f.write(data)


def tensor(name):
    return header[name]


if kind == "truncated":
    open(st, "wb").write(raw[: len(raw) - 100])
elif kind == "header-past-end":
    write(header, data, length=len(raw) * 2)
elif kind == "overlap":
    a = tensor("model.norm.weight")
    a["data_offsets"] = [a["data_offsets"][0] - 8, a["data_offsets"][1] - 8]
    write(header, data)
elif kind == "wrong-shape":
    # Same bytes, another shape: the safetensors file stays valid, the
    # config no longer matches.
    t = tensor("model.layers.1.self_attn.k_proj.weight")
    t["shape"] = [t["shape"][1], t["shape"][0]]
    write(header, data)
elif kind in ("missing-tensor", "extra-tensor", "int-dtype"):
    name = "model.layers.1.mlp.up_proj.weight"
    if kind == "missing-tensor":
        header[name + ".renamed"] = header.pop(name)
    elif kind == "extra-tensor":
        header["model.layers.1.mlp.extra.weight"] = header.pop(name)
        header[name] = dict(header["model.layers.1.mlp.extra.weight"])
        # both names point at the same bytes: make the extra one its own copy
        s, e = header[name]["data_offsets"]
        header["model.layers.1.mlp.extra.weight"]["data_offsets"] = [len(data), len(data) + e - s]
        data = data + data[s:e]
    else:
        t = header[name]
        t["dtype"] = "I16"
    write(header, data)
elif kind == "unknown-arch":
    cfg = json.load(open(os.path.join(dst, "config.json")))
    cfg["architectures"] = ["GPT2LMHeadModel"]
    json.dump(cfg, open(os.path.join(dst, "config.json"), "w"))
elif kind == "bad-json":
    open(os.path.join(dst, "config.json"), "w").write('{"architectures": ["LlamaForCausalLM"],\n "vocab_size": 256,,}')
else:
    sys.exit("unknown kind " + kind)
