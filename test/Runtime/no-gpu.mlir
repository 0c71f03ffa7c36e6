// UNSUPPORTED: cuda
// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-llama -o %t/llama.mlir 2>/dev/null
// RUN: ml-compile %t/llama.mlir --target=cuda -o %t/llama.mlart 2>/dev/null
// RUN: not ml-run %t/llama.mlart --tokens 1,2,3 -n 1 --device cuda 2>&1 | FileCheck %s --check-prefix=CUDA
// RUN: ml-run %t/llama.mlart --tokens 1,2,3 -n 1 --print-ids 2>&1 | FileCheck %s --check-prefix=AUTO

// On a machine without a GPU, an artifact with CUDA code asks for a driver
// when --device=cuda, and runs on the CPU with the default --device=auto.

// CUDA: ml-run: error: device 'cuda': no NVIDIA driver: dlopen(libcuda.so.1) failed
// AUTO: ml-run: tiny-llama on cpu
