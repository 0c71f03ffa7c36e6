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
// RUN: printf '239,179,14,112,17,149,78,203,108\n1,2,3\n\n50,60,70,80,90,100,110,120,130,140,150,160\n' > %t/prompts.txt
// RUN: ml-run %t/mistral.mlart --batch-tokens-file %t/prompts.txt -n 10 --print-ids --temp 0.9 --seed 3 > %t/mistral-ragged.txt 2>/dev/null
// RUN: ml-run %t/mistral.mlart --tokens 239,179,14,112,17,149,78,203,108 -n 10 --print-ids --temp 0.9 --seed 3 > %t/mistral-alone.txt 2>/dev/null
// RUN: ml-run %t/mistral.mlart --tokens 1,2,3 -n 10 --print-ids --temp 0.9 --seed 4 >> %t/mistral-alone.txt 2>/dev/null
// RUN: ml-run %t/mistral.mlart --tokens 50,60,70,80,90,100,110,120,130,140,150,160 -n 10 --print-ids --temp 0.9 --seed 5 >> %t/mistral-alone.txt 2>/dev/null
// RUN: diff %t/mistral-ragged.txt %t/mistral-alone.txt
// RUN: ml-run %t/hybrid2.mlart --batch-tokens-file %t/prompts.txt -n 10 --print-ids --temp 0.9 --seed 3 > %t/hybrid2-ragged.txt 2>/dev/null
// RUN: ml-run %t/hybrid2.mlart --tokens 239,179,14,112,17,149,78,203,108 -n 10 --print-ids --temp 0.9 --seed 3 > %t/hybrid2-alone.txt 2>/dev/null
// RUN: ml-run %t/hybrid2.mlart --tokens 1,2,3 -n 10 --print-ids --temp 0.9 --seed 4 >> %t/hybrid2-alone.txt 2>/dev/null
// RUN: ml-run %t/hybrid2.mlart --tokens 50,60,70,80,90,100,110,120,130,140,150,160 -n 10 --print-ids --temp 0.9 --seed 5 >> %t/hybrid2-alone.txt 2>/dev/null
// RUN: diff %t/hybrid2-ragged.txt %t/hybrid2-alone.txt
// RUN: not ml-run %t/hybrid2.mlart --batch-tokens-file %t/prompts.txt --batch 2 2>&1 | FileCheck %s --check-prefix=DISAGREE
// RUN: ml-run %t/mistral.mlart --tokens %ids -n 12 --print-ids --temp 0.9 --seed 3 --batch 3 --stop-ids 126 > %t/mistral-stop.txt 2>%t/mistral-stop-report.txt
// RUN: for s in 3 4 5; do ml-run %t/mistral.mlart --tokens %ids -n 12 --print-ids --temp 0.9 --seed $s --stop-ids 126 2>/dev/null; done > %t/mistral-stop-single.txt
// RUN: diff %t/mistral-stop.txt %t/mistral-stop-single.txt
// RUN: FileCheck %s --check-prefix=STOP < %t/mistral-stop.txt
// RUN: FileCheck %s --check-prefix=STOP-REPORT < %t/mistral-stop-report.txt
// RUN: not ml-run %t/mistral.mlart --tokens %ids --stop-ids 7,x 2>&1 | FileCheck %s --check-prefix=STOP-BAD
// RUN: not ml-run %t/mistral.mlart --tokens %ids --stop-ids 256 --logits-out %t/stop.f32 2>&1 | FileCheck %s --check-prefix=STOP-VOCAB
// RUN: test ! -e %t/stop.f32
// RUN: printf '1,2\nx\n' > %t/bad.txt
// RUN: not ml-run %t/hybrid2.mlart --batch-tokens-file %t/bad.txt 2>&1 | FileCheck %s --check-prefix=BAD-LINE

// A batch of sequences decodes together (one @decode call a step, its rows
// the sequences) and gives each sequence the tokens it gets alone: with
// sampling, sequence s of `--batch 3 --seed 3` draws with seed 3 + s, so the
// sequences diverge after the shared prompt and each line must equal the
// run of that seed on its own, token for token. This covers per-sequence
// KV caches (with a sliding window), conv and SSM states (Mamba-2 with a
// bf16 state, Mamba-1), and copying the prompt's states to every sequence.

// REPORT: decode: 33 tokens in {{.*}} tokens/s (3 sequences x 11 steps, {{.*}} steps/s)
// REPORT: memory: {{.*}} for 93 tokens in 3 sequences{{.*}}x 3 sequences (1 Mamba layers); session allocated {{.*}} for 4096 tokens x 3 sequences

// Greedy sequences from the same prompt stay equal.
// GREEDY: [[IDS:[0-9]+ [0-9]+]]
// GREEDY-NEXT: [[IDS]]
// GREEDY-NEXT: [[IDS]]

// Prompts of different lengths (--batch-tokens-file, a line each; blank
// lines skipped) make a ragged batch: each sequence steps at its own
// position and gets the tokens of its prompt alone.
// DISAGREE: ml-run: error: --batch 2 and the 3 prompts of --batch-tokens-file disagree
// BAD-LINE: ml-run: error: --batch-tokens-file '{{.*}}bad.txt', prompt 2:

// ZERO: ml-run: error: option '--batch' expects an integer >= 1, found '0'

// Each sequence of a batch ends at its own stop id (--stop-ids, or the
// model's end-of-sequence ids) with the tokens it gets alone, the stop
// included; the batch steps until its last sequence ends. Here sequence 1
// draws 126 fourth, sequence 0 ninth, sequence 2 never: 8 + 3 + 11 tokens
// come from the 11 decode steps.
// STOP: {{^([0-9]+ ){8}126$}}
// STOP-NEXT: {{^([0-9]+ ){3}126$}}
// STOP-NEXT: {{^([0-9]+ ){11}[0-9]+$}}
// STOP-REPORT: decode: 22 tokens in {{.*}} (3 sequences x 11 steps
// STOP-BAD: ml-run: error: --stop-ids:
// STOP-VOCAB: ml-run: error: --stop-ids: id 256 is not in the vocabulary of 256 tokens
