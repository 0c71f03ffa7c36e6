#!/usr/bin/env python3
"""Checks that a MambaInLlama export of a converted model carries the
teacher's attention weights bit for bit (paper_spec.md 1.1, 1.2, 7.1): for
each converted Mamba-2 layer, in_proj rows [d_inner, +d_xb) == v_proj,
[+d_xb) == k_proj, [+d_inner) == q_proj; for Mamba-1 in_proj_x == v_proj,
B_proj == k_proj, C_proj == q_proj; and out_proj == o_proj.

  check_weight_reuse.py TEACHER_DIR EXPORT_DIR
"""
import glob
import json
import os
import struct
import sys


def load(directory):
    out = {}
    for path in glob.glob(os.path.join(directory, "*.safetensors")):
        raw = open(path, "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        for name, info in json.loads(raw[8:8 + n]).items():
            if name != "__metadata__":
                s, e = info["data_offsets"]
                out[name] = (info["dtype"], info["shape"], raw[8 + n + s:8 + n + e])
    return out


teacher, export = load(sys.argv[1]), load(sys.argv[2])
mcfg = json.load(open(os.path.join(sys.argv[2], "mamba_config.json")))
d_inner, d_xb = mcfg["d_inner"], mcfg["d_xb"]
bad = 0
for layer in range(mcfg["n_layer"]):
    if layer in mcfg["attn_layers"]:
        continue
    p, a = f"model.layers.{layer}.mamba.", f"model.layers.{layer}.self_attn."
    if p + "in_proj_x.weight" in export:  # Mamba-1: separate projections
        for mine, proj in (("in_proj_x", "v"), ("B_proj", "k"), ("C_proj", "q"), ("out_proj", "o")):
            if export[p + mine + ".weight"][2] != teacher[a + proj + "_proj.weight"][2]:
                print(f"layer {layer}: {mine} differs from {proj}_proj")
                bad += 1
        print(f"layer {layer}: mamba1, A_log {export[p + 'A_log'][1]}, dt_proj {export[p + 'dt_proj.weight'][1]}")
        continue
    dtype, shape, data = export[p + "in_proj.weight"]
    row = len(data) // shape[0]
    blocks = {"v": (d_inner, d_inner + d_xb), "k": (d_inner + d_xb, d_inner + 2 * d_xb),
              "q": (d_inner + 2 * d_xb, 2 * d_inner + 2 * d_xb)}
    for proj, (lo, hi) in blocks.items():
        if data[lo * row:hi * row] != teacher[a + proj + "_proj.weight"][2]:
            print(f"layer {layer}: in_proj rows [{lo}, {hi}) differ from {proj}_proj")
            bad += 1
    if export[p + "out_proj.weight"][2] != teacher[a + "o_proj.weight"][2]:
        print(f"layer {layer}: out_proj differs from o_proj")
        bad += 1
    if any(k.startswith(a) for k in export):
        print(f"layer {layer}: the export still has attention weights")
        bad += 1
    print(f"layer {layer}: in_proj {shape} {dtype}, conv1d {export[p + 'conv1d.weight'][1]}, "
          f"A_log {export[p + 'A_log'][1]}")
print("weight reuse:", "FAILED" if bad else "exact")
sys.exit(1 if bad else 0)
