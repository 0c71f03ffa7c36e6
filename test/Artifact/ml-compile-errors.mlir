// RUN: not ml-compile %S/../Dialect/LLM/bytecode.mlir -o %t.mlart 2>&1 | FileCheck %s --check-prefix=SEVERAL
// RUN: not ml-compile %S/Inputs/no-norm.mlir -o %t.mlart 2>&1 | FileCheck %s --check-prefix=STRUCTURE
// RUN: test ! -e %t.mlart
// RUN: printf 'not an artifact at all' > %t.bad
// RUN: not ml-dump %t.bad 2>&1 | FileCheck %s --check-prefix=IDENT
// RUN: printf 'xy' > %t.short
// RUN: not ml-dump %t.short 2>&1 | FileCheck %s --check-prefix=SHORT

// Tests that models ml-compile cannot lay out, and files that are not
// artifacts, get one clear error and no output.

// SEVERAL: ml-compile: error: {{.*}}bytecode.mlir: more than one llm.model; compile one at a time
// STRUCTURE: ml-compile: error: @no_norm, layer 0: expects norm -> mixer -> residual -> norm -> MLP -> residual, but the hidden state feeds no RMSNorm
// IDENT: ml-dump: error: {{.*}}.bad: not an mlopt artifact (expected the file identifier 'MLRT' at byte 4)
// SHORT: ml-dump: error: {{.*}}.short: truncated artifact (2 bytes)
