//===- Tokenizer.h - Text <-> token ids for Llama-family models -*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// BPE tokenizers as Hugging Face `tokenizers` and llama.cpp run them:
//  - byte-level BPE (GPT-2, Llama-3, SmolLM2, Qwen2) and
//  - BPE with byte fallback (Llama-2, Mistral: SentencePiece converted to
//    tokenizer.json, or a GGUF "llama" vocabulary merged by score),
// loaded from a tokenizer.json or from GGUF metadata, plus the chat
// templates of a few known model families rendered natively (no Jinja).
//
// Encoding matches HF's Tokenizer.encode id for id: added tokens are split
// off first, then normalizer, pre-tokenizer, model and post-processor run.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_TOKENIZER_H
#define MLRT_TOKENIZER_H

#include "mlrt/Status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlrt {

class GgufFile;

namespace detail {
struct TokenizerImpl;
} // namespace detail

/// One turn of a conversation.
struct ChatMessage {
  std::string role; ///< "system", "user", "assistant", ...
  std::string content;
};

/// A chat template recognised among those this runtime renders natively,
/// exactly as transformers' apply_chat_template(tokenize=False) would.
class ChatTemplate {
public:
  enum class Kind {
    /// <|im_start|>role\n...<|im_end|>\n, with an optional default system
    /// prompt (SmolLM2, Qwen2).
    ChatML,
    /// Meta-Llama-3-Instruct: bos, headers, trimmed content, <|eot_id|>.
    Llama3,
    /// Zephyr (also TinyLlama-Chat): <|user|>\n...</s>\n.
    Zephyr,
  };

  /// Recognises the Jinja `source` (tokenizer_config.json's chat_template or
  /// GGUF's tokenizer.chat_template) by its distinctive parts. `bosToken` and
  /// `eosToken` are the texts the template's bos_token/eos_token stand for.
  static Expected<ChatTemplate> recognize(std::string_view source,
                                          std::string bosToken,
                                          std::string eosToken);

  /// The prompt for `messages`; fails on an empty conversation, as
  /// transformers does.
  Expected<std::string> render(const std::vector<ChatMessage> &messages,
                               bool addGenerationPrompt) const;

  Kind kind() const { return kind_; }
  /// The token text that closes a turn ("<|im_end|>", "<|eot_id|>", eos).
  std::string endOfTurnToken() const;

private:
  ChatTemplate(Kind kind, std::optional<std::string> defaultSystemPrompt,
               std::string bos, std::string eos)
      : kind_(kind), defaultSystemPrompt_(std::move(defaultSystemPrompt)),
        bos_(std::move(bos)), eos_(std::move(eos)) {}

  Kind kind_;
  /// ChatML: added when the conversation does not start with a system turn.
  std::optional<std::string> defaultSystemPrompt_;
  std::string bos_, eos_;
};

/// The tokenizer keys of a GGUF file (tokenizer.ggml.* and
/// tokenizer.chat_template).
struct GgufTokenizerData {
  /// Reads the keys from `file`; fails on a missing tokens or model key and
  /// on a key of the wrong type.
  static Expected<GgufTokenizerData> read(const GgufFile &file);

  /// tokenizer.ggml.token_type values.
  enum TokenType : int32_t {
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
  };

  std::string model; ///< "gpt2" (byte-level BPE) or "llama" (SentencePiece).
  std::string pre;   ///< Pre-tokenizer name; empty when the key is absent.
  std::vector<std::string> tokens;
  std::vector<int32_t> tokenTypes; ///< Empty: all Normal.
  std::vector<float> scores;       ///< Required for "llama".
  std::vector<std::string> merges; ///< "left right"; required for "gpt2".
  std::optional<int32_t> bosId, eosId, eotId, unknownId, paddingId;
  std::optional<bool> addBos, addEos, addSpacePrefix;
  std::string chatTemplate; ///< Empty when absent.
};

/// How encode() treats special tokens.
struct EncodeOptions {
  /// Add what the tokenizer adds around a text (BOS for Llama models): HF's
  /// add_special_tokens, llama.cpp's add_special.
  bool addSpecialTokens = false;
  /// Turn special token texts written in the input ("<|im_start|>") into
  /// their ids; when false they are tokenized as plain text.
  bool parseSpecialTokens = true;
};

class Tokenizer {
public:
  /// Loads a Hugging Face tokenizer.json; tokenizer_config.json, when given,
  /// supplies the chat template and the bos/eos tokens.
  static Expected<Tokenizer>
  fromHuggingFace(std::string_view tokenizerJson,
                  std::string_view tokenizerConfigJson = {});

  /// Builds the tokenizer llama.cpp would from GGUF metadata.
  static Expected<Tokenizer> fromGguf(const GgufTokenizerData &data);

  /// Loads the tokenizer a model names: a GGUF file (by its .gguf suffix)
  /// or a tokenizer.json, with the tokenizer_config.json beside it if any.
  static Expected<Tokenizer> fromFile(const std::string &path);

  /// The token ids of `text`. Bytes that are not valid UTF-8 are tokenized
  /// as bytes: with a token for each byte, tokenPiece() gives them back.
  std::vector<int32_t> encode(std::string_view text,
                              const EncodeOptions &options = {}) const;

  /// The text of `ids`, as HF's decode(ids, skip_special_tokens) gives it.
  /// Fails on an id that names no token.
  Expected<std::string> decode(const std::vector<int32_t> &ids,
                               bool skipSpecialTokens = false) const;

  /// The bytes one token adds to the output, for streaming: concatenated,
  /// the pieces of `ids` give decode(ids) before its final clean-up (the
  /// stripped leading space of SentencePiece decoders, U+FFFD for invalid
  /// UTF-8). A piece may end inside a UTF-8 character.
  Expected<std::string> tokenPiece(int32_t id) const;

  /// The chat prompt for `messages`; fails when the tokenizer has no chat
  /// template or one that recognize() does not know.
  Expected<std::string>
  applyChatTemplate(const std::vector<ChatMessage> &messages,
                    bool addGenerationPrompt) const;

  /// The id of `token` (added tokens included), if any.
  std::optional<int32_t> tokenId(std::string_view token) const;
  std::optional<int32_t> bosId() const;
  /// The tokens that end generation: eos, llama.cpp's eot, and the chat
  /// template's end-of-turn token.
  std::vector<int32_t> eosIds() const;
  /// One past the largest token id.
  size_t vocabSize() const;

private:
  explicit Tokenizer(std::shared_ptr<const detail::TokenizerImpl> impl)
      : impl_(std::move(impl)) {}

  std::shared_ptr<const detail::TokenizerImpl> impl_;
};

} // namespace mlrt

#endif // MLRT_TOKENIZER_H
