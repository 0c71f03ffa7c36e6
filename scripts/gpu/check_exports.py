#!/usr/bin/env python3
"""Loads ml-export's output with transformers and compares its logits with the
fixture's goldens (run on the GPU machine; fp32, eager attention).

  check_exports.py EXPORTS_DIR FIXTURES_DIR GGUF_FIXTURE

For each EXPORTS_DIR/hf-<name>: logits on the fixture's golden input ids vs
FIXTURES_DIR/<name>/golden-logits.f32. For hf-gguf-tiny-llama: logits vs
transformers reading GGUF_FIXTURE itself (through the gguf package).
"""
import json
import os
import sys

import numpy as np
import torch
from transformers import AutoModelForCausalLM

torch.backends.cuda.matmul.allow_tf32 = False
exports, fixtures, gguf = sys.argv[1:4]
dev = "cuda" if torch.cuda.is_available() else "cpu"


def logits(path, ids, **kw):
    m = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32,
                                             attn_implementation="eager", **kw).to(dev).eval()
    with torch.no_grad():
        return m(torch.tensor([ids], device=dev)).logits[0].float().cpu().numpy()


ids = json.load(open(os.path.join(fixtures, "tiny-llama", "golden.json")))["input_ids"]
report = {}
for name in sorted(os.listdir(exports)):
    path = os.path.join(exports, name)
    if not name.startswith("hf-"):
        continue
    if name == "hf-gguf-tiny-llama":
        ref = logits(os.path.dirname(gguf), ids, gguf_file=os.path.basename(gguf))
    else:
        src = os.path.join(fixtures, name[3:])
        ref = np.fromfile(os.path.join(src, "golden-logits.f32"), dtype="<f4").reshape(len(ids), -1)
    got = logits(path, ids)
    report[name] = float(np.abs(got - ref).max())
    print(f"{name}: max |logit difference| = {report[name]:.3g}")
json.dump(report, open(os.path.join(os.environ.get("OUT", "."), "check_exports.json"), "w"), indent=1)
