// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/corrupt_checkpoint.py %inputs/tiny/tiny-llama %t/truncated truncated
// RUN: not ml-import %t/truncated -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// RUN: test ! -e %t/out.mlir
// RUN: %python %S/Inputs/corrupt_checkpoint.py %inputs/tiny/tiny-llama %t/past header-past-end
// RUN: not ml-import %t/past -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=PAST
// RUN: %python %S/Inputs/corrupt_checkpoint.py %inputs/tiny/tiny-llama %t/overlap overlap
// RUN: not ml-import %t/overlap -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=OVERLAP
// RUN: %python %S/Inputs/corrupt_checkpoint.py %inputs/tiny/tiny-llama %t/shape wrong-shape
// RUN: not ml-import %t/shape -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: %python %S/Inputs/corrupt_checkpoint.py %inputs/tiny/tiny-llama %t/missing missing-tensor
// RUN: not ml-import %t/missing -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: %python %S/Inputs/corrupt_checkpoint.py %inputs/tiny/tiny-llama %t/extra extra-tensor
// RUN: not ml-import %t/extra -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=EXTRA
// RUN: %python %S/Inputs/corrupt_checkpoint.py %inputs/tiny/tiny-llama %t/int int-dtype
// RUN: not ml-import %t/int -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=INT
// RUN: %python %S/Inputs/corrupt_checkpoint.py %inputs/tiny/tiny-llama %t/arch unknown-arch
// RUN: not ml-import %t/arch -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=ARCH
// RUN: %python %S/Inputs/corrupt_checkpoint.py %inputs/tiny/tiny-llama %t/json bad-json
// RUN: not ml-import %t/json -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=JSON
// RUN: not ml-import %t/nowhere -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=NODIR
// RUN: test ! -e %t/out.mlir

// Tests that each kind of broken checkpoint gets one clear error naming the
// file and what was expected and found, a non-zero exit and no output.

// TRUNCATED: error: {{.*}}truncated/model.safetensors: the tensors cover [[N:[0-9]+]] bytes of data but the file holds {{[0-9]+}} (truncated file?)
// PAST: error: {{.*}}past/model.safetensors: header length {{[0-9]+}} runs past the end of the file ({{[0-9]+}} bytes)
// OVERLAP: error: {{.*}}overlap/model.safetensors: tensor '{{.+}}' starts at byte {{[0-9]+}} of the data section, expected {{[0-9]+}} ({{it overlaps the previous tensor|there is a gap before it}})
// SHAPE: error: model.layers.1.self_attn: 'llm.attention' op expects k weight of shape 32x64 (kv_heads 2 x head_dim 16 by hidden 64) but found 64x32
// SHAPE-NEXT: ml-import: note: model.layers.1.self_attn.k_proj.weight: weight 'model.layers.1.self_attn.k_proj.weight' declared here
// SHAPE: error: {{.*}}shape: the checkpoint's tensors do not match its config.json (see the error above)
// MISSING: error: {{.*}}missing: missing tensor 'model.layers.1.mlp.up_proj.weight' of a 2-layer llama model
// EXTRA: error: {{.*}}extra/model.safetensors: unexpected tensor 'model.layers.1.mlp.extra.weight': config.json describes no such weight (architecture llama, 2 layers)
// INT: error: {{.*}}int/model.safetensors: tensor 'model.layers.1.mlp.up_proj.weight' has dtype I16; weights must be F32, F16 or BF16
// ARCH: error: {{.*}}arch/config.json: unsupported architecture 'GPT2LMHeadModel' (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)
// JSON: error: {{.*}}json/config.json: JSON error at line 2, column 20: expected a string key in an object
// NODIR: error: {{.*}}nowhere: expected a Hugging Face model directory (config.json + *.safetensors)
