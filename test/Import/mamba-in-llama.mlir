// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba2 | FileCheck %s --check-prefix=M2
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba1 | FileCheck %s --check-prefix=M1
// RUN: rm -rf %t && cp -r %inputs/tiny/tiny-hybrid-mamba2 %t
// RUN: %python -c "import json; p = '%t/mamba_config.json'; c = json.load(open(p)); c['attn_layers'] = [0, 1]; json.dump(c, open(p, 'w'))"
// RUN: not ml-import %t 2>&1 | FileCheck %s --check-prefix=UNUSED
// RUN: rm -rf %t && cp -r %inputs/tiny/tiny-hybrid-mamba1 %t
// RUN: %python -c "import json; p = '%t/mamba_config.json'; c = json.load(open(p)); c['attn_layers'] = []; json.dump(c, open(p, 'w'))"
// RUN: not ml-import %t 2>&1 | FileCheck %s --check-prefix=NOMAMBA

// Tests MambaInLlama checkpoints (scripts/make_mamba_in_llama_fixture.py):
// attention stays at attn_layers, the other layers become llm.mamba ops of
// the variant their tensors are stored for. Mamba-2's fused in_proj becomes
// row blocks [z | x | B | C | dt] of one stored tensor; its conv weight
// (channels, 1, 4) reads as channels x 4.

// M2: llm.model @"tiny-hybrid-mamba2"
// M2-DAG: %[[X:.+]] = llm.weight "model.layers.0.mamba.in_proj.weight" rows [64, 96] : tensor<32x64xf32>
// M2-DAG: %[[B:.+]] = llm.weight "model.layers.0.mamba.in_proj.weight" rows [96, 128] : tensor<32x64xf32>
// M2-DAG: %[[C:.+]] = llm.weight "model.layers.0.mamba.in_proj.weight" rows [128, 192] : tensor<64x64xf32>
// M2-DAG: %[[Z:.+]] = llm.weight "model.layers.0.mamba.in_proj.weight" rows [0, 64] : tensor<64x64xf32>
// M2-DAG: %[[DT:.+]] = llm.weight "model.layers.0.mamba.in_proj.weight" rows [192, 196] : tensor<4x64xf32>
// M2-DAG: %[[CONV:.+]] = llm.weight "model.layers.0.mamba.conv1d.weight" : tensor<128x4xf32>
// M2: llm.mamba %{{.+}} layer 0 mamba2 d_state 16 groups 2 x %[[X]] B %[[B]] C %[[C]] z %[[Z]] out %{{.+}} conv %[[CONV]], %{{.+}} dt_bias %{{.+}} A_log %{{.+}} D %{{.+}} dt %[[DT]] norm %{{.+}} :
// M2: llm.attention %{{.+}} layer 1

// M1: llm.mamba %{{.+}} layer 0 mamba1 d_state 16 groups 2 x %l0_in_proj_x B %l0_B_proj C %l0_C_proj z %l0_in_proj_z out %l0_out_proj conv %l0_conv1d, %l0_conv1d_bias dt_bias %l0_dt_proj_bias A_log %l0_A_log D %l0_D dt_down %l0_dt_proj_down dt_proj %l0_dt_proj :
// M1: llm.attention %{{.+}} layer 1

// UNUSED: error: {{.*}}: missing tensor 'model.layers.0.self_attn.q_proj.weight' of a 2-layer llama model
// NOMAMBA: error: {{.*}}mamba_config.json: layer 1 is not in attn_layers but the checkpoint has neither model.layers.1.mamba.in_proj.weight (Mamba-2) nor model.layers.1.mamba.in_proj_x.weight (Mamba-1)
