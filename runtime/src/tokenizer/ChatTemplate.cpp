//===- ChatTemplate.cpp - Known chat templates, rendered natively ---------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Instead of a Jinja engine, the few chat templates of the supported model
// families are recognised by the expressions that define their output and
// rendered in C++, character for character as transformers renders them
// (checked against its output in runtime/tests/Inputs/tokenizer).
//
//===----------------------------------------------------------------------===//

#include "mlrt/Tokenizer.h"

#include "PreTokenizer.h"
#include "Unicode.h"

#include <algorithm>
#include <initializer_list>

using namespace mlrt;

namespace {

const char *const kSupported =
    "ChatML as in SmolLM2 and Qwen2, Llama 3 Instruct, Zephyr";

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool containsAll(std::string_view text,
                 std::initializer_list<std::string_view> parts) {
  for (std::string_view part : parts)
    if (!contains(text, part))
      return false;
  return true;
}

/// Python's str.strip(), which Jinja's `trim` filter applies.
std::string trimPythonSpace(std::string_view text) {
  auto isContent = [](const unicode::DecodedChar &c) {
    return !c.valid || !unicode::isPythonSpace(c.codepoint);
  };
  size_t begin = text.size(), end = 0;
  for (size_t i = 0; i < text.size();) {
    unicode::DecodedChar c = unicode::decodeUtf8(text, i);
    if (isContent(c)) {
      begin = std::min(begin, i);
      end = i + c.length;
    }
    i += c.length;
  }
  return begin < end ? std::string(text.substr(begin, end - begin)) : "";
}

/// The default system prompt of a ChatML template that adds one when the
/// conversation has none: the literal between "<|im_start|>system\n" and
/// "<|im_end|>".
Expected<std::optional<std::string>>
findDefaultSystemPrompt(std::string_view text) {
  if (!contains(text, "messages[0]['role'] != 'system'"))
    return std::optional<std::string>();
  std::string_view open = "<|im_start|>system\n";
  size_t begin = text.find(open);
  size_t end = begin == std::string_view::npos
                   ? begin
                   : text.find("<|im_end|>", begin + open.size());
  if (end == std::string_view::npos)
    return Error("the ChatML chat template adds a default system prompt, "
                 "but its text was not found");
  std::string_view prompt =
      text.substr(begin + open.size(), end - begin - open.size());
  if (prompt.find_first_of("'\"\\{}") != std::string_view::npos)
    return Error() << "the ChatML chat template's default system prompt '"
                   << prompt << "' is not a plain literal";
  return std::optional<std::string>(std::string(prompt));
}

} // namespace

Expected<ChatTemplate> ChatTemplate::recognize(std::string_view source,
                                               std::string bosToken,
                                               std::string eosToken) {
  // Templates quote newlines both as "\n" escapes and literally.
  std::string text = detail::replaceAll(source, "\\n", "\n");
  for (const char *feature :
       {"tools", "tool_calls", "enable_thinking", "Cutting Knowledge Date"})
    if (contains(text, feature))
      return Error() << "the chat template uses '" << feature
                     << "', which the built-in templates do not support "
                        "(supported: "
                     << kSupported << ")";

  if (containsAll(text, {"<|start_header_id|>", "<|end_header_id|>",
                         "message['content'] | trim", "<|eot_id|>", "bos_token",
                         "loop.index0 == 0"}))
    return ChatTemplate(Kind::Llama3, std::nullopt, std::move(bosToken),
                        std::move(eosToken));
  if (containsAll(text,
                  {"'<|user|>\n' + message['content'] + eos_token",
                   "'<|system|>\n' + message['content'] + eos_token",
                   "'<|assistant|>\n'", "loop.last and add_generation_prompt"}))
    return ChatTemplate(Kind::Zephyr, std::nullopt, std::move(bosToken),
                        std::move(eosToken));
  if (containsAll(text, {"'<|im_start|>' + message['role'] + '\n' + "
                         "message['content'] + '<|im_end|>'",
                         "'<|im_start|>assistant\n'"})) {
    Expected<std::optional<std::string>> prompt = findDefaultSystemPrompt(text);
    if (!prompt)
      return prompt.takeError();
    return ChatTemplate(Kind::ChatML, std::move(*prompt), std::move(bosToken),
                        std::move(eosToken));
  }
  return Error() << "the chat template is not one of the known ones "
                    "(supported: "
                 << kSupported << "); it begins '" << source.substr(0, 80)
                 << (source.size() > 80 ? "...'" : "'");
}

Expected<std::string>
ChatTemplate::render(const std::vector<ChatMessage> &messages,
                     bool addGenerationPrompt) const {
  if (messages.empty())
    return Error("cannot apply a chat template to an empty conversation");
  std::string out;
  switch (kind_) {
  case Kind::ChatML:
    if (defaultSystemPrompt_ && messages[0].role != "system")
      out += "<|im_start|>system\n" + *defaultSystemPrompt_ + "<|im_end|>\n";
    for (const ChatMessage &message : messages)
      out += "<|im_start|>" + message.role + "\n" + message.content +
             "<|im_end|>\n";
    if (addGenerationPrompt)
      out += "<|im_start|>assistant\n";
    break;
  case Kind::Llama3:
    out += bos_;
    for (const ChatMessage &message : messages)
      out += "<|start_header_id|>" + message.role + "<|end_header_id|>\n\n" +
             trimPythonSpace(message.content) + "<|eot_id|>";
    if (addGenerationPrompt)
      out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
    break;
  case Kind::Zephyr:
    // Other roles are skipped, as the template's if/elif chain does.
    for (const ChatMessage &message : messages)
      if (message.role == "user" || message.role == "system" ||
          message.role == "assistant")
        out += "<|" + message.role + "|>\n" + message.content + eos_ + "\n";
    if (addGenerationPrompt)
      out += "<|assistant|>\n";
    break;
  }
  return out;
}

std::string ChatTemplate::endOfTurnToken() const {
  switch (kind_) {
  case Kind::ChatML:
    return "<|im_end|>";
  case Kind::Llama3:
    return "<|eot_id|>";
  case Kind::Zephyr:
    return eos_;
  }
  return eos_;
}
