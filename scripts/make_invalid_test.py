#!/usr/bin/env python3
# Regenerates test/Dialect/LLM/invalid.mlir: one case per llm verifier
# diagnostic, each a small model with the expected-error annotations.
import os
BASE = [('arch','llama'),('vocab','32'),('hidden','8'),('intermediate','16'),('layers','1'),
        ('heads','2'),('kv_heads','1'),('head_dim','4'),('max_position','64'),
        ('rope_theta','10000.0'),('rms_eps','1.0e-05')]
def cfg(**kw):
    items=[]
    keys=[k for k,_ in BASE]
    for k,v in BASE:
        if k in kw:
            if kw[k] is None: continue
            items.append((k,kw[k]))
        else: items.append((k,v))
    for k,v in kw.items():
        if k not in keys and v is not None: items.append((k,v))
    return '<'+', '.join(f'{k} = {v}' for k,v in items)+'>'

H='tensor<?x?x8xf32>'
EMB=['%emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>',
     f'%h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> {H}']
QKVO=['%q = llm.weight "q" : tensor<8x8xbf16>','%k = llm.weight "k" : tensor<4x8xbf16>',
      '%v = llm.weight "v" : tensor<4x8xbf16>','%o = llm.weight "o" : tensor<8x8xbf16>']
ATTN=f'%a = llm.attention %h layer 0 q %q k %k v %v o %o : ({H}, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> {H}'
HEAD=['%head = llm.weight "lm_head.weight" : tensor<32x8xbf16>',
      f'%logits = llm.lm_head %a, %head : ({H}, tensor<32x8xbf16>) -> tensor<?x?x32xf32>',
      'llm.return %logits : tensor<?x?x32xf32>']
def model(body, config=None, name='m', header_err=None, arg='tensor<?x?xi32>', arg2=None):
    out=[]
    if header_err: out.append(f'// expected-error @+1 {{{{{header_err}}}}}')
    out.append(f'llm.model @{name} config {config or cfg()} {{')
    out.append(f'^bb0(%tokens: {arg}' + (f', %extra: {arg2}' if arg2 else '') + '):')
    out += ['  '+l if l.strip() else l for l in body]
    out.append('}')
    return '\n'.join(out)
def err(msg): return f'// expected-error @+1 {{{{{msg}}}}}'
def note(msg): return f'// expected-note @+1 {{{{{msg}}}}}'
def attn_model(**kw): return model(EMB+QKVO+[ATTN]+HEAD, **kw)

cases=[]
def case(comment, text): cases.append(f'// Tests that {comment}\n'+text)

# --- #llm.config
case('sizes must be positive.', attn_model(config=cfg(hidden='0'), header_err='expects hidden to be positive, found 0'))
case('query heads must split evenly over key/value heads.',
     attn_model(config=cfg(heads='3', kv_heads='2'), header_err='expects heads (3) to be a multiple of kv_heads (2)'))
case('rope_theta must be positive.', attn_model(config=cfg(rope_theta='-1.0'), header_err='expects rope_theta to be a positive number, found -1.0'))
case('rms_eps must be positive.', attn_model(config=cfg(rms_eps='0.0'), header_err='expects rms_eps to be a positive number, found 0.0'))
case('the sliding window must be positive.', attn_model(config=cfg(sliding_window='0'), header_err='expects sliding_window to be positive, found 0'))
case('bos must be a token of the vocabulary.', attn_model(config=cfg(bos='32'), header_err='expects bos token id 32 to be in [0, vocab = 32)'))
case('eos ids must be tokens of the vocabulary.', attn_model(config=cfg(eos='[2, 40]'), header_err='expects eos token id 40 to be in [0, vocab = 32)'))
# --- #llm.rope_scaling
case('the RoPE scaling factor must be positive.', attn_model(config=cfg(rope_scaling='<kind = linear, factor = 0.0>'), header_err='expects a positive RoPE scaling factor, found 0.0'))
case('llama3 RoPE scaling needs its original context length.', attn_model(config=cfg(rope_scaling='<kind = llama3, factor = 8.0>'), header_err="expects 'llama3' RoPE scaling to give a positive original_max_position"))
case('llama3 RoPE scaling orders its frequency factors.', attn_model(config=cfg(rope_scaling='<kind = llama3, factor = 8.0, low_freq_factor = 4.0, high_freq_factor = 1.0, original_max_position = 8192>'), header_err='expects llama3 RoPE scaling with 0 < low_freq_factor < high_freq_factor, found 4.0 and 1.0'))
case('yarn RoPE scaling orders its betas.', attn_model(config=cfg(rope_scaling='<kind = yarn, factor = 4.0, original_max_position = 4096, beta_fast = 1.0, beta_slow = 32.0>'), header_err='expects yarn RoPE scaling with beta_fast > beta_slow, found 1.0 and 32.0'))
case('the yarn attention factor is not negative.', attn_model(config=cfg(rope_scaling='<kind = yarn, factor = 4.0, original_max_position = 4096, attention_factor = -1.0>'), header_err='expects attention_factor >= 0, found -1.0'))

# --- llm.weight and #llm.init
def weight_case(comment, line, msg):
    case(comment, model(EMB+QKVO+[err(msg), line, ATTN]+HEAD))
weight_case('an init rule takes its number of parameters.', '%z = llm.weight "z" init <uniform(1.0)> seed 1 : tensor<8x8xbf16>', "init rule 'uniform' takes 2 parameter(s), found 1")
weight_case('uniform init needs lo < hi.', '%z = llm.weight "z" init <uniform(0.5, -0.5)> seed 1 : tensor<8x8xbf16>', 'uniform init expects lo < hi, found 0.5 and -0.5')
weight_case('normal init needs a positive std.', '%z = llm.weight "z" init <normal(0.0, 0.0)> seed 1 : tensor<8x8xbf16>', 'normal init expects a positive std, found 0.0')
weight_case('log_uniform init needs 0 < lo < hi.', '%z = llm.weight "z" init <log_uniform(0.0, 16.0)> seed 1 : tensor<2xf32>', 'log_uniform init expects 0 < lo < hi, found 0.0 and 16.0')
weight_case('dt_bias init needs 0 < dt_min < dt_max and a positive floor.', '%z = llm.weight "z" init <dt_bias(0.1, 0.001, 0.0001)> seed 1 : tensor<2xf32>', 'dt_bias init expects 0 < dt_min < dt_max and a positive floor, found 0.1, 0.001, 0.0001')
weight_case('a weight name is not empty.', '%z = llm.weight "" : tensor<8x8xbf16>', "'llm.weight' op expects a non-empty weight name")
weight_case('a seed comes with an init rule.', '%z = llm.weight "z" seed 3 : tensor<8x8xbf16>', "'llm.weight' op has a seed but no init rule; only weights created from an init rule use a seed")
weight_case('random init rules need a seed.', '%z = llm.weight "z" init <normal(0.0, 0.02)> : tensor<8x8xbf16>', "'llm.weight' op init rule 'normal' draws random values and needs a seed")
weight_case('s4d_real init needs a rank-2 weight.', '%z = llm.weight "z" init <s4d_real> : tensor<8xf32>', "'llm.weight' op init rule 's4d_real' fills A_log[d, n] = ln(n + 1) and needs a rank-2 weight, found 'tensor<8xf32>'")
weight_case('weights have static shapes.', '%z = llm.weight "z" : tensor<?x8xbf16>', "'llm.weight' op result #0 must be statically shaped tensor of bfloat16 type or 16-bit float or 32-bit float values, but got 'tensor<?x8xbf16>'")

weight_case('row blocks are ordered ranges.', '%z = llm.weight "z" rows [4, 4] : tensor<8x8xbf16>', "'llm.weight' op expects rows [begin, end] with 0 <= begin < end")
weight_case('a row block has as many rows as its type.', '%z = llm.weight "z" rows [0, 4] : tensor<8x8xbf16>', "'llm.weight' op reads rows [0, 4) of its stored tensor but has 8 rows")
weight_case('a row block has no init rule.', '%z = llm.weight "z" rows [0, 8] init <zeros> : tensor<8x8xbf16>', "'llm.weight' op is a row block of a stored tensor and cannot also have an init rule")
case('row blocks of one tensor do not overlap.', model(EMB+QKVO+[note('first declared here'), '%p0 = llm.weight "fused" rows [0, 8] : tensor<8x8xbf16>', err("'llm.weight' op declares weight 'fused' a second time (overlapping rows)"), '%p1 = llm.weight "fused" rows [4, 12] : tensor<8x8xbf16>', ATTN]+HEAD))

# --- llm.model
case('the model body takes the token ids.', model(EMB+QKVO+[ATTN]+HEAD, arg2='tensor<?x?xi32>', header_err="'llm.model' op expects its body to take one argument, the token ids (a batch x sequence tensor of i32 or i64)"))
case('the model returns logits over its vocabulary.', model(EMB+QKVO+[ATTN, '%head = llm.weight "lm_head.weight" : tensor<32x8xbf16>', f'%logits = llm.lm_head %a, %head : ({H}, tensor<32x8xbf16>) -> tensor<?x?x32xf32>', '%bad = tensor.cast %logits : tensor<?x?x32xf32> to tensor<?x?x?xf32>', 'llm.return %bad : tensor<?x?x?xf32>'], header_err="'llm.model' op expects to return logits over the vocabulary (last dimension vocab = 32), found 'tensor<?x?x?xf32>'"))
case('weight names are unique.', model(EMB+QKVO[:3]+[note('first declared here'), '%o0 = llm.weight "o" : tensor<8x8xbf16>', err("'llm.weight' op declares weight 'o' a second time"), '%o = llm.weight "o" : tensor<8x8xbf16>', ATTN]+HEAD))
case('every mixer layer index is below the layer count.', model(EMB+QKVO+[err("'llm.attention' op has layer index 1 outside [0, layers = 1)"), ATTN.replace('layer 0','layer 1')]+HEAD))
case('a layer has one mixer.', model(EMB+QKVO+[note('first mixer of layer 0'), ATTN.replace('%a =','%a0 ='), err("'llm.attention' op is a second mixer for layer 0"), ATTN]+HEAD, config=cfg(layers='2')))
case('every layer has a mixer.', attn_model(config=cfg(layers='2'), header_err="'llm.model' op has 1 mixer layers but its config has layers = 2; no attention or mamba op has layer 1"))
case('body ops live in a model.', '\n'.join([
    'func.func @outside() {', '  ' + err("'llm.weight' op expects parent op 'llm.model'"),
    '  %w = llm.weight "w" : tensor<8xbf16>', '  return', '}']))

# --- dense ops
case('the embedding table is vocab x hidden.', model([note("weight 'model.embed_tokens.weight' declared here"), '%emb = llm.weight "model.embed_tokens.weight" : tensor<31x8xbf16>', err("'llm.embed' op expects embedding weight of shape 32x8 (vocab 32 by hidden 8) but found 31x8"), f'%h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<31x8xbf16>) -> {H}']+QKVO+[ATTN]+HEAD))
case('embeddings have the hidden width.', model([EMB[0], err("'llm.embed' op expects a result of width hidden = 8, found 'tensor<?x?x6xf32>'"), '%bad = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x6xf32>', EMB[1]]+QKVO+[ATTN]+HEAD))
case('embeddings keep the batch and sequence of the tokens.', model([EMB[0], err("'llm.embed' op expects the result's batch and sequence dimensions to match the tokens 'tensor<2x?xi32>', found 'tensor<3x?x8xf32>'"), '%bad = llm.embed %tokens, %emb : (tensor<2x?xi32>, tensor<32x8xbf16>) -> tensor<3x?x8xf32>', EMB[1].replace('tensor<?x?xi32>','tensor<2x?xi32>')]+QKVO+[ATTN]+HEAD, arg='tensor<2x?xi32>'))
case('RMSNorm reads a hidden-wide state.', model(EMB+['%n = llm.weight "n" : tensor<6xbf16>', err("'llm.rms_norm' op expects a hidden state of width hidden = 8, found 'tensor<?x?x6xf32>'"), '%x = llm.rms_norm %h6, %n : (tensor<?x?x6xf32>, tensor<6xbf16>) -> tensor<?x?x6xf32>']+QKVO+[ATTN]+HEAD).replace(f'-> {H}\n  %n', f'-> {H}\n  %h6 = tensor.cast %h : {H} to {H}\n  %n').replace('%h6 = tensor.cast %h : tensor<?x?x8xf32> to tensor<?x?x8xf32>', '%h6 = "test.source"() : () -> tensor<?x?x6xf32>'))
case('RMSNorm keeps the type of its input.', model(EMB+['%n = llm.weight "n" : tensor<8xbf16>', err("'llm.rms_norm' op expects its result to have the input's type 'tensor<?x?x8xf32>', found 'tensor<?x?x8xf16>'"), '%x = llm.rms_norm %h, %n : (tensor<?x?x8xf32>, tensor<8xbf16>) -> tensor<?x?x8xf16>']+QKVO+[ATTN]+HEAD))
case('the RMSNorm weight has the hidden size.', model(EMB+[note("weight 'n' declared here"), '%n = llm.weight "n" : tensor<16xbf16>', err("'llm.rms_norm' op expects norm weight of shape 8 (hidden 8) but found 16"), '%x = llm.rms_norm %h, %n : (tensor<?x?x8xf32>, tensor<16xbf16>) -> tensor<?x?x8xf32>']+QKVO+[ATTN]+HEAD))
MLPW=['%g = llm.weight "g" : tensor<16x8xbf16>', '%u = llm.weight "u" : tensor<16x8xbf16>']
case('the MLP down projection is hidden x intermediate.', model(EMB+MLPW+[note("weight 'd' declared here"), '%d = llm.weight "d" : tensor<16x8xbf16>', err("'llm.mlp' op expects down weight of shape 8x16 (hidden 8 by intermediate 16) but found 16x8"), f'%y = llm.mlp %h gate %g up %u down %d : ({H}, tensor<16x8xbf16>, tensor<16x8xbf16>, tensor<16x8xbf16>) -> {H}']+QKVO+[ATTN]+HEAD))
case('the LM head weight is vocab x hidden.', model(EMB+QKVO+[ATTN, note("weight 'lm_head.weight' declared here"), '%head = llm.weight "lm_head.weight" : tensor<8x32xbf16>', err("'llm.lm_head' op expects lm_head weight of shape 32x8 (vocab 32 by hidden 8) but found 8x32"), f'%logits = llm.lm_head %a, %head : ({H}, tensor<8x32xbf16>) -> tensor<?x?x32xf32>', 'llm.return %logits : tensor<?x?x32xf32>']))
case('logits are batch x sequence x vocab.', model(EMB+QKVO+[ATTN, HEAD[0], err("'llm.lm_head' op expects logits of shape batch x sequence x vocab (32) matching the input 'tensor<?x?x8xf32>', found 'tensor<?x?x31xf32>'"), f'%logits = llm.lm_head %a, %head : ({H}, tensor<32x8xbf16>) -> tensor<?x?x31xf32>', 'llm.return %logits : tensor<?x?x31xf32>']))
case('tied embeddings share the table with the LM head.', model(EMB+QKVO+[ATTN, HEAD[0], err("'llm.lm_head' op expects the embedding table as its weight: the config has tie_embeddings = true"), HEAD[1], HEAD[2]], config=cfg(tie_embeddings='true')))
case('untied embeddings do not share the table.', model(EMB+QKVO+[ATTN, err("'llm.lm_head' op uses the embedding table as its weight but the config has tie_embeddings = false"), f'%logits = llm.lm_head %a, %emb : ({H}, tensor<32x8xbf16>) -> tensor<?x?x32xf32>', HEAD[2]]))

# --- attention
def attn_err(lines_before, attn_line, msg, **kw):
    return model(EMB+lines_before+[err(msg), attn_line]+HEAD, **kw)
case('layer indices are not negative.', attn_err(QKVO, ATTN.replace('layer 0','layer -1'), "'llm.attention' op has layer index -1 outside [0, layers = 1)"))
case('the k projection has kv_heads x head_dim rows.', model(EMB+[QKVO[0], note("weight 'k' declared here"), '%k = llm.weight "k" : tensor<8x8xbf16>', QKVO[2], QKVO[3], err("'llm.attention' op expects k weight of shape 4x8 (kv_heads 1 x head_dim 4 by hidden 8) but found 8x8"), ATTN.replace('tensor<4x8xbf16>, tensor<4x8xbf16>','tensor<8x8xbf16>, tensor<4x8xbf16>')]+HEAD))
case('the o projection is hidden x (heads x head_dim).', model(EMB+QKVO[:3]+[note("weight 'o' declared here"), '%o = llm.weight "o" : tensor<8x4xbf16>', err("'llm.attention' op expects o weight of shape 8x8 (hidden 8 by heads 2 x head_dim 4) but found 8x4"), ATTN.replace('tensor<4x8xbf16>, tensor<8x8xbf16>) ->','tensor<4x8xbf16>, tensor<8x4xbf16>) ->')]+HEAD))
BIAS=['%qb = llm.weight "qb" : tensor<8xbf16>','%kb = llm.weight "kb" : tensor<4xbf16>','%vb = llm.weight "vb" : tensor<4xbf16>']
ATTN_B=f'%a = llm.attention %h layer 0 q %q k %k v %v o %o q_bias %qb k_bias %kb v_bias %vb : ({H}, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8xbf16>, tensor<4xbf16>, tensor<4xbf16>) -> {H}'
case('a key bias has kv_heads x head_dim entries.', model(EMB+QKVO+[BIAS[0], note("weight 'kb' declared here"), '%kb = llm.weight "kb" : tensor<8xbf16>', BIAS[2], err("'llm.attention' op expects k_bias weight of shape 4 (kv_heads 1 x head_dim 4) but found 8"), ATTN_B.replace('tensor<8xbf16>, tensor<4xbf16>, tensor<4xbf16>','tensor<8xbf16>, tensor<8xbf16>, tensor<4xbf16>')]+HEAD))
case('q, k and v biases come together.', attn_err(QKVO+BIAS[:1], f'%a = llm.attention %h layer 0 q %q k %k v %v o %o q_bias %qb : ({H}, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8xbf16>) -> {H}', "'llm.attention' op expects q, k and v biases together or none of them"))
case('a sliding window needs one in the config.', attn_err(QKVO, ATTN.replace(' :', ' sliding_window 16 :', 1), "'llm.attention' op has a sliding window of 16 but the model config has no sliding_window"))
case("a layer's sliding window is the config's.", attn_err(QKVO, ATTN.replace(' :', ' sliding_window 16 :', 1), "'llm.attention' op has a sliding window of 16 but the model config's sliding_window is 32", config=cfg(sliding_window='32')))

# --- mamba
M2W=['%x = llm.weight "x" : tensor<4x8xbf16>','%b = llm.weight "b" : tensor<4x8xbf16>','%c = llm.weight "c" : tensor<8x8xbf16>',
     '%z = llm.weight "z" : tensor<8x8xbf16>','%o = llm.weight "o" : tensor<8x8xbf16>','%cw = llm.weight "cw" : tensor<16x4xbf16>',
     '%cb = llm.weight "cb" : tensor<16xbf16>','%dtb = llm.weight "dtb" : tensor<2xf32>','%al = llm.weight "al" : tensor<2xf32>',
     '%d = llm.weight "d" : tensor<2xf32>','%dt = llm.weight "dt" : tensor<2x8xbf16>','%nw = llm.weight "nw" : tensor<8xbf16>']
def wtype(lines, name):
    for l in lines:
        if l.startswith(f'%{name} ='): return l.split(' : ')[1]
def m2(lines, attrs='mamba2 d_state 4 groups 1', layer='0', extra=' dt %dt norm %nw', extra_names=('dt','nw')):
    names=['x','b','c','z','o','cw','cb','dtb','al','d']+list(extra_names)
    types=', '.join(wtype(lines,n) for n in names)
    return f'%a = llm.mamba %h layer {layer} {attrs} x %x B %b C %c z %z out %o conv %cw, %cb dt_bias %dtb A_log %al D %d{extra} : ({H}, {types}) -> {H}'
def sub(lines, name, newline):
    return [newline if l.startswith(f'%{name} =') else l for l in lines]
def mamba_case(comment, lines, msg, noted=None, **kw):
    body=[]
    for l in lines:
        if noted and l.startswith(f'%{noted} ='):
            body.append(note(f"weight '{noted}' declared here"))
        body.append(l)
    case(comment, model(EMB+body+[err(msg), m2(lines, **kw)]+HEAD))
mamba_case('Mamba layer indices are not negative.', M2W, "'llm.mamba' op has layer index -2 outside [0, layers = 1)", layer='-2')
mamba_case('d_state and groups are positive.', M2W, "'llm.mamba' op expects positive d_state and groups, found 4 and 0", attrs='mamba2 d_state 4 groups 0')
mamba_case('a Mamba-2 mixer has its gated-norm weight.', M2W, "'llm.mamba' op of variant mamba2 expects a 'norm' weight", extra=' dt %dt', extra_names=('dt',))
mamba_case('a Mamba-1 mixer has no Mamba-2 weights.', M2W+['%dd = llm.weight "dd" : tensor<1x8xbf16>','%dp = llm.weight "dp" : tensor<8x1xbf16>'], "'llm.mamba' op of variant mamba1 has no 'dt' weight (it belongs to mamba2)", attrs='mamba1 d_state 4 groups 1', extra=' dt %dt dt_down %dd dt_proj %dp', extra_names=('dt','dd','dp'))
mamba_case('the conv weight is channels x d_conv.', sub(M2W,'cw','%cw = llm.weight "cw" : tensor<64xbf16>'), "'llm.mamba' op expects a conv weight of rank 2 (channels x d_conv), found 'tensor<64xbf16>'")
mamba_case('the rows of C are whole heads of d_state.', M2W, "'llm.mamba' op expects the rows of C (8) to be a multiple of d_state (3)", attrs='mamba2 d_state 3 groups 1')
mamba_case('Mamba heads split evenly over groups.', sub(sub(M2W,'x','%x = llm.weight "x" : tensor<8x8xbf16>'),'b','%b = llm.weight "b" : tensor<12x8xbf16>'), "'llm.mamba' op expects its heads (rows of C / d_state = 2) to be a multiple of groups (3)", attrs='mamba2 d_state 4 groups 3')
mamba_case('the B projection matches the group count.', sub(M2W,'b','%b = llm.weight "b" : tensor<8x8xbf16>'), "'llm.mamba' op expects B weight of shape 4x8 (groups 1 x d_state 4 by hidden 8) but found 8x8", noted='b')
mamba_case('the rows of x are whole groups.', sub(sub(M2W,'x','%x = llm.weight "x" : tensor<5x8xbf16>'),'b','%b = llm.weight "b" : tensor<8x8xbf16>'), "'llm.mamba' op expects the rows of x (5) to be a multiple of groups (2)", attrs='mamba2 d_state 4 groups 2')
mamba_case('the conv spans x, B and C.', sub(M2W,'cw','%cw = llm.weight "cw" : tensor<12x4xbf16>'), "'llm.mamba' op expects conv weight of shape 16x4 (x 4 + B 4 + C 8 channels by d_conv) but found 12x4", noted='cw')
mamba_case('Mamba-2 dt, A_log and D are per head.', sub(M2W,'al','%al = llm.weight "al" : tensor<8xf32>'), "'llm.mamba' op expects A_log weight of shape 2 (heads 2) but found 8", noted='al')
M1W=['%x = llm.weight "x" : tensor<4x8xbf16>','%b = llm.weight "b" : tensor<4x8xbf16>','%c = llm.weight "c" : tensor<8x8xbf16>',
     '%z = llm.weight "z" : tensor<8x8xbf16>','%o = llm.weight "o" : tensor<8x8xbf16>','%cw = llm.weight "cw" : tensor<8x4xbf16>',
     '%cb = llm.weight "cb" : tensor<8xbf16>','%dtb = llm.weight "dtb" : tensor<8xf32>','%al = llm.weight "al" : tensor<8xf32>',
     '%d = llm.weight "d" : tensor<8xf32>','%dd = llm.weight "dd" : tensor<1x8xbf16>','%dp = llm.weight "dp" : tensor<8x1xbf16>']
mamba_case('Mamba-1 A_log is d_inner x d_state.', M1W, "'llm.mamba' op expects A_log weight of shape 8x4 (d_inner 8 by d_state) but found 8", noted='al', attrs='mamba1 d_state 4 groups 1', extra=' dt_down %dd dt_proj %dp', extra_names=('dd','dp'))
mamba_case('the Mamba-1 dt projection maps dt_rank to d_inner.', sub(M1W,'dp','%dp = llm.weight "dp" : tensor<8x2xbf16>'), "'llm.mamba' op expects dt_proj weight of shape 8x1 (d_inner 8 by dt_rank 1) but found 8x2", noted='dp', attrs='mamba1 d_state 4 groups 1', extra=' dt_down %dd dt_proj %dp', extra_names=('dd','dp'))

hdr='// RUN: ml-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect\n\n'
open(os.path.join(os.path.dirname(__file__), '..', 'test/Dialect/LLM/invalid.mlir'),'w').write(hdr+'\n\n// -----\n\n'.join(cases)+'\n')
print(len(cases),'cases')
