// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-llama -o %t/llama.mlir 2>/dev/null
// RUN: ml-compile %t/llama.mlir -o %t/llama.mlart 2>/dev/null
// RUN: not ml-run %t/llama.mlart --tokens 1,999 2>&1 | FileCheck %s --check-prefix=VOCAB
// RUN: not ml-run %t/llama.mlart --tokens %ids --ctx 8 2>&1 | FileCheck %s --check-prefix=CONTEXT
// RUN: not ml-run %t/llama.mlart -p "hello" 2>&1 | FileCheck %s --check-prefix=TOKENIZER
// RUN: not ml-run %t/llama.mlart --tokens 1 --device cuda 2>&1 | FileCheck %s --check-prefix=CUDA
// RUN: not ml-run %t/llama.mlart --tokens 1 --device tpu 2>&1 | FileCheck %s --check-prefix=DEVICE
// RUN: not ml-run %t/llama.mlart --tokens 1 --temp hot 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not ml-run %t/llama.mlart --tokens 1,x 2>&1 | FileCheck %s --check-prefix=IDS
// RUN: not ml-run %t/llama.mlart 2>&1 | FileCheck %s --check-prefix=PROMPT
// RUN: head -c 100 %t/llama.mlart > %t/truncated.mlart
// RUN: not ml-run %t/truncated.mlart --tokens 1 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// RUN: not ml-run %t/llama.mlart --tokens 1 --logits-out %t/no/such/dir/out.f32 2>&1 | FileCheck %s --check-prefix=OUTPUT
// RUN: ml-run %t/llama.mlart --tokens 1,2,3 -n 5 --print-ids --ignore-eos 2>%t/report.txt | FileCheck %s --check-prefix=IDS5
// RUN: FileCheck %s --check-prefix=REPORT --input-file=%t/report.txt
// RUN: ml-run %t/llama.mlart --tokens 1,2,3 -n 6 --print-ids --ignore-eos --temp 0.9 --top-k 20 --top-p 0.9 --seed 7 2>/dev/null > %t/a.txt
// RUN: ml-run %t/llama.mlart --tokens 1,2,3 -n 6 --print-ids --ignore-eos --temp 0.9 --top-k 20 --top-p 0.9 --seed 7 -t 1 2>/dev/null > %t/b.txt
// RUN: diff %t/a.txt %t/b.txt
// A prompt from a file (ids split by commas, spaces and newlines) is the same prompt.
// RUN: printf '1, 2\n3\n' > %t/ids.txt
// RUN: ml-run %t/llama.mlart --tokens-file %t/ids.txt -n 6 --print-ids --ignore-eos 2>/dev/null > %t/c.txt
// RUN: ml-run %t/llama.mlart --tokens 1,2,3 -n 6 --print-ids --ignore-eos 2>/dev/null > %t/d.txt
// RUN: diff %t/c.txt %t/d.txt
// RUN: not ml-run %t/llama.mlart --tokens-file %t/missing.txt 2>&1 | FileCheck %s --check-prefix=IDFILE
// RUN: not ml-run %t/llama.mlart --tokens 1 --bogus 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not ml-run %t/llama.mlart %t/llama.mlart --tokens 1 2>&1 | FileCheck %s --check-prefix=SECOND
// RUN: not ml-eval %t/llama.mlart --data %inputs/corpus/small.jsonl --bogus 2>&1 | FileCheck %s --check-prefix=EVAL-UNKNOWN

// Tests that ml-run refuses bad input with one clear error and a non-zero
// exit, reports speed and memory after a run, and that seeded sampling
// gives the same tokens with any number of threads.

// IDFILE: ml-run: error: --tokens-file: cannot read '{{.*}}missing.txt'
// VOCAB: ml-run: error: token id 999 is outside the vocabulary of 256
// CONTEXT: ml-run: error: the sequence would reach 20 tokens, beyond the context of 8 this session was created with
// TOKENIZER: ml-run: error: the model carries no tokenizer; give the prompt as token ids with --tokens
// CUDA: ml-run: error: device 'cuda': this artifact has no GPU kernel for embed (it has no GPU code at all); compile with ml-compile --target=cuda
// DEVICE: ml-run: error: unknown device 'tpu' (expected cpu, cuda or auto)
// OPTION: ml-run: error: option '--temp' expects a number >= 0, found 'hot'
// OPTION: usage: ml-run model.mlart
// UNKNOWN: ml-run: error: unknown option '--bogus'
// SECOND: ml-run: error: unexpected argument '{{.*}}llama.mlart'
// EVAL-UNKNOWN: ml-eval: error: unknown option '--bogus'
// IDS: ml-run: error: expected token ids separated by commas, found '1,x'
// PROMPT: ml-run: error: expected a model and a prompt (-p or --tokens)
// TRUNCATED: ml-run: error: {{.*}}truncated.mlart: corrupt artifact: its tables or offsets run outside the file
// OUTPUT: ml-run: error: {{.*}}out.f32
// IDS5: {{^[0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+$}}
// REPORT: ml-run: tiny-llama on cpu
// REPORT: prompt: {{ *}}3 tokens in
// REPORT: decode: {{ *}}4 tokens in
// REPORT: memory: weights 0.20 MiB, KV cache 0.5 KiB/token (0.00 MiB for 7 tokens, 2 attention layers), SSM state 0.00 MiB (0 Mamba layers)
