#!/usr/bin/env python3
"""Plots decode tokens/s against context from bench/gpu_e2e.sh's table
(and Hugging Face generate's from scripts/gpu/hf_generate_bench.py), with
each model's weights+KV(+state) roofline, into a PNG: a line per model and
batch size (tables with a batch column; older ones are batch 1).

    plot_decode.py E2E.md [--hf HF.md] -o decode_vs_context.png
"""
import argparse

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def rows(path):
    """The data rows of the markdown tables in `path`, as lists of cells."""
    out = []
    for line in open(path):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and not set(cells[0]) <= set("-") and cells[0] != "model":
            out.append(cells)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("e2e")
    ap.add_argument("--hf")
    ap.add_argument("-o", required=True)
    args = ap.parse_args()
    series = {}  # (model, batch) -> [(context, tokens/s, roofline)]
    for r in rows(args.e2e):
        batched = len(r) >= 10  # model, context, batch, prompt, decode, ...
        decode = r[4] if batched else r[3]
        if len(r) < 7 or decode.startswith("error") or r[3].startswith("error"):
            continue
        roof = float((r[7] if batched else r[6]).split("/")[1])
        key = (r[0], int(r[2]) if batched else 1)
        series.setdefault(key, []).append((int(r[1]), float(decode), roof))
    colors = {m: c for m, c in zip(sorted({k[0] for k in series}), ["C0", "C1", "C2", "C3"])}
    styles = {1: "o-", 16: "s-", 64: "^-"}
    fig, ax = plt.subplots(figsize=(10, 5))
    for (name, batch), points in sorted(series.items()):
        points.sort()
        x = [p[0] for p in points]
        ax.plot(x, [p[1] for p in points], styles.get(batch, "x-"), color=colors[name],
                label=f"{name}, batch {batch} (ours)")
        ax.plot(x, [p[2] for p in points], ":", color=colors[name], alpha=0.5)
    if args.hf:
        hf = sorted((int(r[1]), float(r[3])) for r in rows(args.hf) if len(r) >= 4)
        ax.plot([p[0] for p in hf], [p[1] for p in hf], "s--", color="gray",
                label="llama3-8b, HF transformers generate (bf16, SDPA)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("context (tokens)")
    ax.set_ylabel("decode tokens/s (all sequences); dotted: roofline")
    ax.set_title("Llama-3-8B shapes on one H200: Transformer vs Mamba-2 hybrids")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    fig.savefig(args.o, dpi=120)


if __name__ == "__main__":
    main()
