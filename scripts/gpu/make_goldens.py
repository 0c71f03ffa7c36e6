#!/usr/bin/env python3
"""Golden outputs from Hugging Face transformers (run on the GPU machine).

  make_goldens.py tiny OUT         tiny random Llama / Mistral / Qwen2 checkpoints
                                   and their fp32 eager logits
  make_goldens.py smollm2 GGUF OUT transformers' own reading of the SmolLM2 GGUF
                                   (through the `gguf` package): per-tensor
                                   SHA-256 of the dequantised fp32 weights, the
                                   config, the tokenizer, fp32 logits and greedy
                                   generations

Everything is written with fixed seeds so that a re-run reproduces it. The
outputs are committed under test/Inputs/ and compared without Python in CI.
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch
import transformers
from transformers import (AutoModelForCausalLM, AutoTokenizer, LlamaConfig,
                          MistralConfig, Qwen2Config)

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


def eager_fp32(path, **kw):
    return AutoModelForCausalLM.from_pretrained(
        path, dtype=torch.float32, attn_implementation="eager", **kw).to(DEVICE).eval()


def tiny(out):
    common = dict(vocab_size=256, hidden_size=64, intermediate_size=128,
                  num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, head_dim=16,
                  max_position_embeddings=256, rms_norm_eps=1e-5,
                  bos_token_id=1, eos_token_id=2)
    specs = [
        ("tiny-llama", LlamaConfig(**common, rope_theta=10000.0), torch.bfloat16, None),
        ("tiny-llama-sharded", LlamaConfig(**common, rope_theta=10000.0), torch.bfloat16, "40KB"),
        ("tiny-mistral", MistralConfig(**common, sliding_window=8, rope_theta=10000.0), torch.float16, None),
        ("tiny-qwen2", Qwen2Config(**{**common, "tie_word_embeddings": True}, rope_theta=1000000.0), torch.float32, None),
    ]
    gen = torch.Generator().manual_seed(1234)
    ids = torch.randint(3, 256, (1, 20), generator=gen)
    for name, config, dtype, shard in specs:
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        with torch.no_grad():
            # Norm weights of 1 and zero biases would hide a norm or bias
            # that is never applied.
            for pname, p in model.named_parameters():
                if pname.endswith("norm.weight"):
                    p.copy_(1.0 + 0.1 * torch.randn_like(p))
                elif pname.endswith(".bias"):
                    p.copy_(0.1 * torch.randn_like(p))
        path = os.path.join(out, name)
        kw = {"max_shard_size": shard} if shard else {}
        model.to(dtype).save_pretrained(path, safe_serialization=True, **kw)
        ref = eager_fp32(path)
        with torch.no_grad():
            logits = ref(ids.to(DEVICE)).logits[0].float().cpu().numpy()
        logits.astype("<f4").tofile(os.path.join(path, "golden-logits.f32"))
        write_json(os.path.join(path, "golden.json"), {
            "input_ids": ids[0].tolist(), "logits_shape": list(logits.shape),
            "dtype": str(dtype), "transformers": transformers.__version__,
            "torch": torch.__version__, "attn_implementation": "eager",
            "compute": "fp32"})
        print(name, "saved", os.listdir(path))


def smollm2(gguf, out):
    d, f = os.path.split(gguf)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = eager_fp32(d, gguf_file=f)
    hashes = {}
    for name, t in model.state_dict().items():
        arr = t.detach().float().contiguous().cpu().numpy()
        hashes[name] = {"shape": list(arr.shape),
                        "sha256": hashlib.sha256(arr.astype("<f4").tobytes()).hexdigest(),
                        "sum": float(arr.astype(np.float64).sum())}
    write_json(os.path.join(out, "smollm2-dequant.json"), hashes)
    write_json(os.path.join(out, "smollm2-config.json"), model.config.to_dict())
    tok.save_pretrained(os.path.join(out, "tok"))
    prompts = [
        "The capital of France is",
        "def fibonacci(n):\n    ",
        tok.apply_chat_template([{"role": "user", "content": "What is 12 times 7?"}],
                                tokenize=False, add_generation_prompt=True),
    ]
    cases = []
    for i, prompt in enumerate(prompts):
        ids = tok(prompt, return_tensors="pt").input_ids.to(DEVICE)
        with torch.no_grad():
            logits = model(ids).logits[0].float().cpu().numpy()
            gen_ids = model.generate(ids, max_new_tokens=32, do_sample=False)[0, ids.shape[1]:]
        logits[-1].astype("<f4").tofile(os.path.join(out, f"smollm2-last-logits-{i}.f32"))
        top = np.argsort(-logits, axis=1)[:, :20]
        cases.append({"prompt": prompt, "input_ids": ids[0].tolist(),
                      "top20_ids": top.tolist(),
                      "top20_logits": np.take_along_axis(logits, top, 1).tolist(),
                      "greedy_ids": gen_ids.tolist(),
                      "greedy_text": tok.decode(gen_ids)})
    write_json(os.path.join(out, "smollm2-logits.json"), {
        "transformers": transformers.__version__, "torch": torch.__version__,
        "attn_implementation": "eager", "compute": "fp32", "cases": cases})
    print("smollm2 done", cases[0]["greedy_text"][:80])


if __name__ == "__main__":
    if sys.argv[1] == "tiny":
        tiny(sys.argv[2])
    else:
        smollm2(sys.argv[2], sys.argv[3])
