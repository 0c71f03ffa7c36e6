"""Minimal safetensors reading/writing with numpy for the fixture scripts
(numpy has no bfloat16, so BF16 tensors are widened to float32 exactly)."""
import json
import struct

import numpy as np


def load_as_f32(path):
    """Every tensor of a BF16/F16/F32 safetensors file as float32."""
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    out = {}
    for name, info in json.loads(raw[8:8 + n]).items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        buf = raw[8 + n + s:8 + n + e]
        if info["dtype"] == "BF16":
            values = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            values = np.frombuffer(buf, dtype={"F16": "<f2", "F32": "<f4"}[info["dtype"]]).astype(np.float32)
        out[name] = values.reshape(info["shape"])
    return out


def save_f32(path, tensors):
    """Writes float32 tensors in the given order, 8-byte aligned."""
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        b = np.ascontiguousarray(t, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
