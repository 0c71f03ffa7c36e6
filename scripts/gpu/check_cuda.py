#!/usr/bin/env python3
"""The GPU suite: every model runs on the CUDA backend and on the CPU
backend (the oracle) in the same process tree, on the GPU machine.

    check_cuda.py --bin DIR --models DIR [--report FILE] [--tokens 64]

For each artifact in --models (compiled with ml-compile --target=cuda): the
logits of every prompt position on cuda vs cpu, and greedy generation of
--tokens tokens, which must be identical. Writes a markdown report.
Standard library only.

The logits must agree within --rtol of the max logit, except for artifacts
that MODELS/tolerances.txt names (lines "NAME RTOL REASON", written by the
prepare scripts): those where rounding that both backends do but in
different orders (bf16 prefill inputs, a bf16 KV cache over many layers)
moves the logits more than the kernels' own error.
"""
import argparse
import array
import glob
import os
import subprocess
import sys
import time

def prompt(length):
    """Deterministic token ids (reduced modulo the vocabulary later)."""
    state, ids = 12345, []
    for _ in range(length):
        state = (state * 1103515245 + 12345) % 2**31
        ids.append(state >> 8)
    return ids


def load(path):
    a = array.array("f")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    return a


def run(binary, artifact, device, out, tokens, vocab, length):
    ids = ",".join(str(t % vocab) for t in prompt(length))
    start = time.time()
    p = subprocess.run([binary, artifact, "--device", device, "--tokens", ids,
                        "-n", str(tokens), "--ignore-eos", "--print-ids",
                        "--logits-out", out, "--all-logits"],
                       capture_output=True, text=True)
    if p.returncode:
        return None, p.stderr.strip(), time.time() - start
    return [int(t) for t in p.stdout.split()], p.stderr, time.time() - start


def vocab_of(dump, artifact):
    out = subprocess.run([dump, artifact], capture_output=True, text=True).stdout
    for word in out.split(","):
        if word.strip().startswith("vocab"):
            return int(word.split()[-1])
    raise SystemExit(f"cannot read the vocabulary of {artifact}")


def tolerances(models):
    """{artifact name: (rtol, reason)} from MODELS/tolerances.txt, if any."""
    path = os.path.join(models, "tolerances.txt")
    out = {}
    if os.path.exists(path):
        for number, line in enumerate(open(path), 1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split(maxsplit=2)
            try:
                out[fields[0]] = (float(fields[1]), fields[2].strip())
            except (IndexError, ValueError):
                raise SystemExit(f"{path}:{number}: expected 'NAME RTOL REASON', found {line.strip()!r}")
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--models", required=True)
    p.add_argument("--report", default="cuda-report.md")
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--rtol", type=float, default=1e-4,
                   help="max |diff| over max |logit|")
    p.add_argument("--ssd-rtol", type=float, default=1e-2,
                   help="--rtol of artifacts named *-ssd: the tensor-core SSD scan "
                   "(--prefill-precision=bf16) rounds the state and C B^T within a "
                   "chunk to bf16, which the CPU's sequential scan does not")
    p.add_argument("--prompt-len", type=int, default=20)
    p.add_argument("--only", default="*", help="glob of the artifacts to check")
    args = p.parse_args()
    ml_run = os.path.join(args.bin, "ml-run")
    ml_dump = os.path.join(args.bin, "ml-dump")
    lines = [f"| model | max abs logit diff ({args.prompt_len} positions) | relative to max abs logit | argmax flips | "
             f"greedy {args.tokens} tokens | cpu s | cuda s | tolerance |", "|---|---|---|---|---|---|---|---|"]
    loose = tolerances(args.models)
    notes = []
    failed = False
    for artifact in sorted(glob.glob(os.path.join(args.models, args.only + ".mlart"))):
        name = os.path.basename(artifact)[:-len(".mlart")]
        vocab = vocab_of(ml_dump, artifact)
        cpu_ids, cpu_err, cpu_s = run(ml_run, artifact, "cpu", "/tmp/cpu.f32",
                                      args.tokens, vocab, args.prompt_len)
        gpu_ids, gpu_err, gpu_s = run(ml_run, artifact, "cuda", "/tmp/gpu.f32",
                                      args.tokens, vocab, args.prompt_len)
        if cpu_ids is None or gpu_ids is None:
            lines.append(f"| {name} | error: {(cpu_err if cpu_ids is None else gpu_err)[-300:]} | | | | | | |")
            failed = True
            continue
        a, b = load("/tmp/cpu.f32"), load("/tmp/gpu.f32")
        worst = max(abs(x - y) for x, y in zip(a, b))
        relative = worst / max(max(abs(x) for x in a), 1e-30)
        rows = len(a) // vocab
        flips = sum(1 for r in range(rows)
                    if max(range(vocab), key=lambda i: a[r * vocab + i]) !=
                    max(range(vocab), key=lambda i: b[r * vocab + i]))
        same = cpu_ids == gpu_ids
        if not same:
            first = next(i for i, (x, y) in enumerate(zip(cpu_ids, gpu_ids)) if x != y)
            verdict = f"differ from token {first}"
        else:
            verdict = "identical"
        rtol = args.ssd_rtol if name.endswith("-ssd") else args.rtol
        if name in loose:
            rtol, reason = loose[name]
            notes.append(f"- {name}: tolerance {rtol:g}, {reason}")
        bad = relative > rtol or flips > 0 or not same
        lines.append(f"| {name} | {worst:.3g} | {relative:.3g} | {flips} | {verdict} | {cpu_s:.1f} | {gpu_s:.1f} | "
                     f"{rtol:g}{' **failed**' if bad else ''} |")
        failed |= bad
    report = "\n".join(lines + ([""] + notes if notes else [])) + "\n"
    print(report)
    with open(args.report, "w") as f:
        f.write(report)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
