#!/usr/bin/env python3
"""Writes a broken copy of a GGUF file for the importer's error tests.

  corrupt_gguf.py SRC DST KIND

KIND: bad-magic | version | truncated | offset-past-end | overlap |
      unsupported-type | unknown-arch | missing-tensor
"""
import struct
import sys

src, dst, kind = sys.argv[1:4]
data = bytearray(open(src, "rb").read())
SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def u32(pos):
    return struct.unpack_from("<I", data, pos)[0]


def u64(pos):
    return struct.unpack_from("<Q", data, pos)[0]


def skip_value(pos, vtype):
    if vtype == 8:
        return pos + 8 + u64(pos)
    if vtype == 9:
        etype, count = u32(pos), u64(pos + 4)
        pos += 12
        for _ in range(count):
            pos = skip_value(pos, etype)
        return pos
    return pos + SIZES[vtype]


pos = 24
keys = {}
for _ in range(u64(16)):
    n = u64(pos)
    key = bytes(data[pos + 8:pos + 8 + n]).decode()
    pos += 8 + n
    vtype = u32(pos)
    keys[key] = pos + 4
    pos = skip_value(pos + 4, vtype)
tensors = {}
for _ in range(u64(8)):
    n = u64(pos)
    name = bytes(data[pos + 8:pos + 8 + n]).decode()
    pos += 8 + n
    ndims = u32(pos)
    pos += 4 + 8 * ndims
    tensors[name] = pos  # type (u32) then offset (u64)
    pos += 12

if kind == "bad-magic":
    data[0:4] = b"GGML"
elif kind == "version":
    struct.pack_into("<I", data, 4, 7)
elif kind == "truncated":
    data = data[: len(data) - 4096]
elif kind == "offset-past-end":
    struct.pack_into("<Q", data, tensors["blk.1.ffn_down.weight"] + 4, 1 << 40)
elif kind == "overlap":
    first = u64(tensors["token_embd.weight"] + 4)
    struct.pack_into("<Q", data, tensors["blk.0.attn_q.weight"] + 4, first + 32)
elif kind == "unsupported-type":
    struct.pack_into("<I", data, tensors["blk.0.ffn_down.weight"], 6)  # Q5_0
elif kind == "unknown-arch":
    at = keys["general.architecture"]
    assert bytes(data[at + 8:at + 13]) == b"llama"
    data[at + 8:at + 13] = b"gemma"
elif kind == "missing-tensor":
    # Rename a tensor to a name the importer does not know.
    at = tensors["blk.1.ffn_up.weight"]
    name_at = data.rfind(b"blk.1.ffn_up.weight", 0, at)
    data[name_at:name_at + 19] = b"blk.1.ffn_xx.weight"
else:
    sys.exit("unknown kind " + kind)
open(dst, "wb").write(data)
