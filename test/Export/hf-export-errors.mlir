// RUN: rm -rf %t && mkdir -p %t
// RUN: not ml-export %examples/tiny-llama.mlir -o %t/out 2>&1 | FileCheck %s --check-prefix=NOSTORE
// RUN: not ml-export %S/Inputs/init-only.mlir -o %t/out --max-shard-size=lots 2>&1 | FileCheck %s --check-prefix=SIZE
// RUN: test ! -e %t/out/model.safetensors

// Tests that models ml-export cannot write are refused with one clear error
// and leave no weights behind.

// NOSTORE: ml-export: error: weight store of @tiny_llama: {{.*}}examples/tiny-llama.safetensors: cannot open: No such file or directory
// SIZE: ml-export: error: --max-shard-size: expected a size such as 5GB, 500MB or 40KB, found 'lots'
