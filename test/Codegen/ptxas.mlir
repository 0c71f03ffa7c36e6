// REQUIRES: ptxas
// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba2 -o %t/hybrid2.mlir 2>/dev/null
// RUN: ml-compile %t/hybrid2.mlir --target=cuda --emit=ptx -o %t/hybrid2.ptx 2>/dev/null
// RUN: %ptxas -arch=sm_90a %t/hybrid2.ptx -o %t/hybrid2.cubin
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba1 -o %t/hybrid1.mlir 2>/dev/null
// RUN: ml-compile %t/hybrid1.mlir --target=cuda --emit=ptx -o %t/hybrid1.ptx 2>/dev/null
// RUN: %ptxas -arch=sm_90a %t/hybrid1.ptx -o %t/hybrid1.cubin
// RUN: ml-import %inputs/tiny/tiny-mistral -o %t/mistral.mlir 2>/dev/null
// RUN: ml-compile %t/mistral.mlir --target=cuda --emit=ptx -o %t/mistral.ptx 2>/dev/null
// RUN: %ptxas -arch=sm_90a %t/mistral.ptx -o %t/mistral.cubin
// RUN: ml-import %inputs/tiny/tiny-qwen2 -o %t/qwen2.mlir 2>/dev/null
// RUN: ml-compile %t/qwen2.mlir --target=cuda --gpu-chip=sm_80 --emit=ptx -o %t/qwen2.ptx 2>/dev/null
// RUN: %ptxas -arch=sm_80 %t/qwen2.ptx -o %t/qwen2.cubin
// RUN: %python %S/../../bench/make_random_checkpoint.py %t/head128 --preset tiny-head128 > /dev/null
// RUN: ml-import %t/head128 -o %t/head128.mlir 2>/dev/null
// RUN: ml-compile %t/head128.mlir --target=cuda --kv-cache=bf16 --emit=ptx -o %t/head128.ptx 2>/dev/null
// RUN: %ptxas -arch=sm_90a -v %t/head128.ptx -o %t/head128.cubin 2>&1 | FileCheck %s --check-prefix=SPILLS
// RUN: %ptxas -arch=sm_90a -v %t/head128.ptx -o %t/head128.cubin 2>&1 | FileCheck %s --check-prefix=WGMMA
// RUN: ml-compile %t/head128.mlir --target=cuda --kv-cache=bf16 --gpu-chip=sm_90 --emit=ptx -o %t/head128-sm90.ptx 2>/dev/null
// RUN: %ptxas -arch=sm_90 %t/head128-sm90.ptx -o %t/head128-sm90.cubin
// RUN: for g in g3-d64 g7-d80 g12-d32; do %python %S/../../bench/make_random_checkpoint.py %t/$g --preset tiny-$g > /dev/null && ml-import %t/$g -o %t/$g.mlir 2>/dev/null && ml-compile %t/$g.mlir --target=cuda --kv-cache=bf16 --emit=ptx -o %t/$g.ptx 2>/dev/null && %ptxas -arch=sm_90a %t/$g.ptx -o %t/$g.cubin || exit 1; done
// RUN: ml-opt %t/g12-d32.mlir --attn-to-mamba="layers=0 variant=mamba2" -o %t/g12-hybrid.mlir 2>/dev/null
// RUN: ml-compile %t/g12-hybrid.mlir --target=cuda --kv-cache=bf16 --prefill-precision=bf16 --emit=ptx -o %t/g12-ssd.ptx 2>/dev/null
// RUN: %ptxas -arch=sm_90a -v %t/g12-ssd.ptx -o %t/g12-ssd.cubin 2>&1 | FileCheck %s --check-prefix=SSD
// RUN: ml-import %inputs/tiny/tiny-llama -o %t/llama.mlir 2>/dev/null
// RUN: ml-compile %t/llama.mlir --target=cuda --emit=ptx -o %t/llama.ptx 2>/dev/null
// RUN: %ptxas -arch=sm_90a %t/llama.ptx -o %t/llama.cubin
// RUN: ml-opt %t/llama.mlir --attn-to-mamba="ratio=0 variant=mamba1" -o %t/all-mamba1.mlir 2>/dev/null
// RUN: ml-compile %t/all-mamba1.mlir --target=cuda --emit=ptx -o %t/all-mamba1.ptx 2>/dev/null
// RUN: %ptxas -arch=sm_90a %t/all-mamba1.ptx -o %t/all-mamba1.cubin

// ptxas assembles every PTX the compiler emits for the fixtures: both Mamba
// variants, sliding-window attention, Qwen2 for sm_80, heads of 128 with a
// bf16 cache (the wgmma prefill for sm_90a, mma.sync for sm_90), GQA groups of 3, 7 and 12 with heads of
// 64, 80 and 32 over a bf16 cache (the tensor-core decode's rows), an
// all-Mamba model, and tiny-llama's bf16 matrices (the tensor-core GEMVs of
// several rows).

// The tensor-core decode attention keeps its tiles and accumulators in
// registers (two blocks an SM allow 255): spills would cost its loads. Its
// only stack is the 28-byte array of sinf/cosf's slow path (RoPE angles
// past 105615: Payne-Hanek reduction), which ptxas keeps in local memory
// here; it is touched only on that path.
// SPILLS: Compiling entry function 'attention_h2_q256_kv128_win0_kvbf16_rope_decode' for 'sm_90a'
// SPILLS-NEXT: Function properties for attention_h2_q256_kv128_win0_kvbf16_rope_decode
// SPILLS-NEXT: 32 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads

// The wgmma prefill (sm_90a, q and P split hi + lo) holds S, the output
// and P's words in 255 registers without spills, and its register fences
// keep ptxas from injecting warpgroup.arrive between the wgmma (which
// would serialise them).
// WGMMA-NOT: warpgroup.arrive is injected
// WGMMA: Compiling entry function 'attention_h2_q256_kv128_win0_kvbf16' for 'sm_90a'
// WGMMA-NEXT: Function properties for attention_h2_q256_kv128_win0_kvbf16
// WGMMA-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// WGMMA-NOT: warpgroup.arrive is injected

// The tensor-core SSD scan (--prefill-precision=bf16) carries its state
// slice and C fragments in registers across the chunks: no spills either.
// SSD: Compiling entry function 'ssm_scan_mamba2_h12_g1_n32_x448_chunked_bf16in' for 'sm_90a'
// SSD-NEXT: Function properties for ssm_scan_mamba2_h12_g1_n32_x448_chunked_bf16in
// SSD-NEXT: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
