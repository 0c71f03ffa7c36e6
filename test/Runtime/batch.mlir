// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-mistral -o %t/mistral.mlir 2>/dev/null
// RUN: ml-compile %t/mistral.mlir -o %t/mistral.mlart 2>/dev/null
// RUN: ml-run %t/mistral.mlart --tokens %ids -n 12 --print-ids --temp 0.9 --seed 3 --batch 3 > %t/mistral-batch.txt 2>/dev/null
// RUN: for s in 3 4 5; do ml-run %t/mistral.mlart --tokens %ids -n 12 --print-ids --temp 0.9 --seed $s 2>/dev/null; done > %t/mistral-single.txt
// RUN: diff %t/mistral-batch.txt %t/mistral-single.txt
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba2 -o %t/hybrid2.mlir 2>/dev/null
// RUN: ml-compile %t/hybrid2.mlir --ssm-state=bf16 -o %t/hybrid2.mlart 2>/dev/null
// RUN: ml-run %t/hybrid2.mlart --tokens %ids -n 12 --print-ids --temp 0.9 --seed 3 --batch 3 > %t/hybrid2-batch.txt 2>/dev/null
// RUN: for s in 3 4 5; do ml-run %t/hybrid2.mlart --tokens %ids -n 12 --print-ids --temp 0.9 --seed $s 2>/dev/null; done > %t/hybrid2-single.txt
// RUN: diff %t/hybrid2-batch.txt %t/hybrid2-single.txt
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba1 -o %t/hybrid1.mlir 2>/dev/null
// RUN: ml-compile %t/hybrid1.mlir -o %t/hybrid1.mlart 2>/dev/null
// RUN: ml-run %t/hybrid1.mlart --tokens %ids -n 12 --print-ids --temp 0.9 --seed 3 --batch 3 > %t/hybrid1-batch.txt 2>%t/hybrid1-report.txt
// RUN: for s in 3 4 5; do ml-run %t/hybrid1.mlart --tokens %ids -n 12 --print-ids --temp 0.9 --seed $s 2>/dev/null; done > %t/hybrid1-single.txt
// RUN: diff %t/hybrid1-batch.txt %t/hybrid1-single.txt
// RUN: FileCheck %s --check-prefix=REPORT < %t/hybrid1-report.txt
// RUN: ml-run %t/hybrid1.mlart --tokens %ids -n 2 --batch 3 --print-ids 2>/dev/null | FileCheck %s --check-prefix=GREEDY
// RUN: not ml-run %t/hybrid1.mlart --tokens %ids --batch 0 2>&1 | FileCheck %s --check-prefix=ZERO

// A batch of sequences decodes together (one @decode call a step, its rows
// the sequences) and gives each sequence the tokens it gets alone: with
// sampling, sequence s of `--batch 3 --seed 3` draws with seed 3 + s, so the
// sequences diverge after the shared prompt and each line must equal the
// run of that seed on its own, token for token. This covers per-sequence
// KV caches (with a sliding window), conv and SSM states (Mamba-2 with a
// bf16 state, Mamba-1), and copying the prompt's states to every sequence.

// REPORT: decode: 33 tokens in {{.*}} tokens/s (3 sequences x 11 steps, {{.*}} steps/s)
// REPORT: memory: {{.*}} for 31 tokens x 3 sequences{{.*}}x 3 sequences (1 Mamba layers); session allocated {{.*}} for 4096 tokens x 3 sequences

// Greedy sequences from the same prompt stay equal.
// GREEDY: [[IDS:[0-9]+ [0-9]+]]
// GREEDY-NEXT: [[IDS]]
// GREEDY-NEXT: [[IDS]]

// ZERO: ml-run: error: option '--batch' expects an integer >= 1, found '0'
