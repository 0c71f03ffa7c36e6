#!/usr/bin/env python3
"""Where a decode step's time goes: each kernel of the last decode step of
an `ml-run` under Nsight Compute, summed per kernel name, as a markdown
table (issue 7: "profile with ncu").

    decode_profile.py --artifact MODEL.mlart [--bin build/bin] [--context 2048]
                      [--batch N]
    decode_profile.py --csv NCU.csv          # summarise a saved ncu CSV

It prompts with --context token ids and decodes 3 tokens (with --batch N,
`ml-run --batch N`: the prompt is prefilled once and copied to N
sequences, which then step together, so the step profiled is the batched
one); ncu times every kernel alone with its caches flushed
(--clock-control none leaves the clocks alone), so the sum exceeds the
step's time in its CUDA graph, but the shares show what to work on. The
step is the kernels after the last `embed` launch.
"""
import argparse
import collections
import csv
import io
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "gpu"))
from check_cuda import vocab_of  # noqa: E402


def kernel_times(text):
    """(kernel name, ns) of each profiled launch in ncu's --csv output."""
    header, out = None, []
    for row in csv.reader(io.StringIO(text)):
        if "Kernel Name" in row:
            header = row
        elif header and len(row) == len(header):
            d = dict(zip(header, row))
            if d["Metric Name"] == "gpu__time_duration.sum":
                out.append((d["Kernel Name"].split("(")[0],
                            float(d["Metric Value"].replace(",", ""))))
    return out


def last_step(times):
    starts = [i for i, (name, _) in enumerate(times) if name.startswith("embed")]
    if len(starts) < 2:
        raise SystemExit("expected a prefill and at least one decode step (embed launches) in the profile")
    return times[starts[-1]:]


def table(step):
    per = collections.OrderedDict()
    for name, ns in step:
        per.setdefault(name, [0.0, 0])
        per[name][0] += ns
        per[name][1] += 1
    total = sum(ns for _, ns in step)
    lines = ["| kernel | launches | µs each | µs a step | share |", "|---|---|---|---|---|"]
    for name, (ns, n) in per.items():
        lines.append(f"| {name} | {n} | {ns / n / 1e3:.2f} | {ns / 1e3:.1f} | {100 * ns / total:.1f}% |")
    lines.append(f"| total | {len(step)} | | {total / 1e3:.1f} | |")
    return "\n".join(lines)


def profile(args):
    ncu = shutil.which("ncu") or "/usr/local/cuda/bin/ncu"
    if not os.path.exists(ncu):
        raise SystemExit("ncu (Nsight Compute) is not on this machine")
    vocab = vocab_of(os.path.join(args.bin, "ml-dump"), args.artifact)
    ids = ",".join(str((i * 7919) % vocab) for i in range(args.context))
    ids_file = "/tmp/decode_profile_ids.txt"
    with open(ids_file, "w") as f:
        f.write(ids)
    cmd = [ncu, "--clock-control", "none", "--metrics", "gpu__time_duration.sum", "--csv",
           "--print-units", "base", os.path.join(args.bin, "ml-run"), args.artifact,
           "--device", "cuda", "--tokens-file", ids_file, "-n", "3", "--ignore-eos",
           "--ctx", str(args.context + 64), "--prefill-chunk", "2048",
           "--batch", str(args.batch)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"ncu failed ({p.returncode}): {p.stderr[-2000:]}")
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--artifact")
    ap.add_argument("--bin", default="build/bin")
    ap.add_argument("--context", type=int, default=2048)
    ap.add_argument("--batch", type=int, default=1, help="sequences a decode step")
    ap.add_argument("--csv", help="an ncu --csv output to summarise instead of running")
    args = ap.parse_args()
    if not args.csv and not args.artifact:
        ap.error("give --artifact (to profile) or --csv (to summarise)")
    text = open(args.csv).read() if args.csv else profile(args)
    print(table(last_step(kernel_times(text))))


if __name__ == "__main__":
    sys.exit(main())
