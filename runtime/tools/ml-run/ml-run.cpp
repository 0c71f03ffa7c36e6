//===- ml-run.cpp - Generate text with a compiled model -------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
//   ml-run model.mlart -p "Tell me a story" [-n 128] [--temp 0.8 --top-k 40
//          --top-p 0.95 --seed 1] [--chat|--no-chat] [--device cpu]
//   ml-run model.mlart --tokens 1,2,3 --print-ids
//   ml-run model.mlart -p "..." --batch 16 --device cuda
//
// Streams the generated text, then prints a llama.cpp-style report on
// stderr: prompt and generation tokens/s and the memory of the weights, the
// KV cache and the SSM state. Instruct models (a tokenizer with a chat
// template) get their prompt wrapped as a user turn unless --no-chat.
// With --batch N the prompt is fed once and copied to N sequences, which
// then decode together (one @decode call a step for all of them; sequence
// s samples with seed + s); --batch-tokens-file gives each sequence its own
// prompt (a line of ids each; prompts of different lengths make a ragged
// batch: each sequence steps at its own position). Sequence 0's text
// streams; the others' follow, a line each; the report gives the batch's
// tokens/s. A sequence ends at an end-of-sequence id (the model's, or
// --stop-ids); a batch steps until all of its sequences have.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Session.h"
#include "mlrt/Tokenizer.h"
#include "mlrt/cpu/Kernels.h"

#include "../ToolSupport.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace mlrt;
using Clock = std::chrono::steady_clock;

namespace {
struct Options {
  std::string model, prompt, system, logitsOut;
  std::vector<int32_t> tokens;
  /// --stop-ids: ids that end a sequence besides the model's end-of-sequence
  /// ids (which --ignore-eos drops).
  std::vector<int32_t> stopIds;
  /// --batch-tokens-file: the prompts of sequences 1, 2, ... (sequence 0's
  /// is `tokens`).
  std::vector<std::vector<int32_t>> morePrompts;
  int64_t filePrompts = 0; ///< prompts in --batch-tokens-file, 0: none
  bool haveTokens = false, printIds = false, ignoreEos = false,
       allLogits = false;
  int chat = -1; // -1: when the tokenizer has a chat template
  int64_t predict = 128;
  uint64_t seed = 0;
  cpu::SamplingParams sampling;
  SessionOptions session;
};

const char *kUsage =
    "usage: ml-run model.mlart (-p PROMPT | --tokens ID,ID,... |\n"
    "              --tokens-file FILE) [options]\n"
    "  --tokens-file FILE  prompt ids separated by commas or white space (for\n"
    "                      prompts longer than a command line allows)\n"
    "  -n, --n-predict N   tokens to generate (default 128; 0: prompt only)\n"
    "  --temp T            temperature (default 0: greedy)\n"
    "  --top-k K           keep the K most likely tokens (0: off)\n"
    "  --top-p P           nucleus sampling (1: off)\n"
    "  --seed S            sampler seed (default 0)\n"
    "  --chat, --no-chat   wrap the prompt in the chat template (default: "
    "when\n"
    "                      the tokenizer has one)\n"
    "  --system TEXT       system message for --chat\n"
    "  --ignore-eos        do not stop at the model's end-of-sequence tokens\n"
    "  --stop-ids ID,...   more ids that end a sequence (also with\n"
    "                      --ignore-eos)\n"
    "  --print-ids         print generated token ids instead of text\n"
    "  --logits-out FILE   write the prompt's last logits (f32) to FILE\n"
    "  --all-logits        with --logits-out: every prompt position\n"
    "  -c, --ctx N         context length (default 4096)\n"
    "  --prefill-chunk N   prompt tokens per forward call (default 256)\n"
    "  --batch N           decode N copies of the prompt together (default\n"
    "                      1); each stops at its end-of-sequence token, the\n"
    "                      batch when all have\n"
    "  --batch-tokens-file FILE  a batch of prompts, one line of ids each (of\n"
    "                      any lengths)\n"
    "%s";

Status parse(int argc, char **argv, Options &o) {
  ArgReader args(argc, argv);
  while (args.more()) {
    std::string a = args.next();
    if (a == "-p" || a == "--prompt")
      MLRT_RETURN_IF_ERROR(args.value(a, o.prompt));
    else if (a == "--tokens" || a == "--tokens-file") {
      std::string list;
      MLRT_RETURN_IF_ERROR(args.value(a, list));
      if (a == "--tokens-file") {
        std::ifstream in(list);
        std::stringstream text;
        if (!(text << in.rdbuf()))
          return Error() << "--tokens-file: cannot read '" << list << "'";
        list = text.str();
      }
      Expected<std::vector<int32_t>> ids = parseIdList(list);
      if (!ids)
        return ids.takeError();
      o.tokens = *ids;
      o.haveTokens = true;
    } else if (a == "--batch-tokens-file") {
      std::string path;
      MLRT_RETURN_IF_ERROR(args.value(a, path));
      std::ifstream in(path);
      if (!in)
        return Error() << "--batch-tokens-file: cannot read '" << path << "'";
      std::vector<std::vector<int32_t>> prompts;
      for (std::string line; std::getline(in, line);) {
        if (line.find_first_not_of(" \t\r,") == std::string::npos)
          continue;
        Expected<std::vector<int32_t>> ids = parseIdList(line);
        if (!ids)
          return Error() << "--batch-tokens-file '" << path << "', prompt "
                         << prompts.size() + 1 << ": " << ids.message();
        prompts.push_back(std::move(*ids));
      }
      if (prompts.empty())
        return Error() << "--batch-tokens-file '" << path
                       << "' holds no prompt";
      o.tokens = prompts.front();
      o.morePrompts.assign(prompts.begin() + 1, prompts.end());
      o.haveTokens = true;
      o.filePrompts = static_cast<int64_t>(prompts.size());
    } else if (a == "-n" || a == "--n-predict")
      MLRT_RETURN_IF_ERROR(args.integer(a, o.predict, 0));
    else if (a == "--temp")
      MLRT_RETURN_IF_ERROR(args.number(a, o.sampling.temperature, 0.0f));
    else if (a == "--top-k")
      MLRT_RETURN_IF_ERROR(args.integer(a, o.sampling.topK, 0));
    else if (a == "--top-p")
      MLRT_RETURN_IF_ERROR(args.number(a, o.sampling.topP, 0.0f));
    else if (a == "--seed") {
      int64_t seed;
      MLRT_RETURN_IF_ERROR(args.integer(a, seed, 0));
      o.seed = static_cast<uint64_t>(seed);
    } else if (a == "--chat")
      o.chat = 1;
    else if (a == "--no-chat")
      o.chat = 0;
    else if (a == "--system")
      MLRT_RETURN_IF_ERROR(args.value(a, o.system));
    else if (a == "--ignore-eos")
      o.ignoreEos = true;
    else if (a == "--stop-ids") {
      std::string list;
      MLRT_RETURN_IF_ERROR(args.value(a, list));
      Expected<std::vector<int32_t>> ids = parseIdList(list);
      if (!ids)
        return Error() << "--stop-ids: " << ids.message();
      o.stopIds.insert(o.stopIds.end(), ids->begin(), ids->end());
    }
    else if (a == "--print-ids")
      o.printIds = true;
    else if (a == "--logits-out")
      MLRT_RETURN_IF_ERROR(args.value(a, o.logitsOut));
    else if (a == "--all-logits")
      o.allLogits = true;
    else if (a == "-c" || a == "--ctx")
      MLRT_RETURN_IF_ERROR(args.integer(a, o.session.maxTokens, 1));
    else if (a == "--prefill-chunk")
      MLRT_RETURN_IF_ERROR(args.integer(a, o.session.prefillChunk, 1));
    else if (a == "--batch")
      MLRT_RETURN_IF_ERROR(args.integer(a, o.session.batch, 1));
    else if (Expected<bool> b = args.backendOption(a, o.session); !b)
      return b.takeError();
    else if (!*b)
      MLRT_RETURN_IF_ERROR(args.positional(a, o.model));
  }
  if (o.filePrompts) {
    if (o.session.batch != 1 && o.session.batch != o.filePrompts)
      return Error() << "--batch " << o.session.batch << " and the "
                     << o.filePrompts
                     << " prompts of --batch-tokens-file disagree";
    o.session.batch = o.filePrompts;
  }
  if (o.model.empty() || (o.prompt.empty() && !o.haveTokens))
    return Error() << "expected a model and a prompt (-p or --tokens)";
  if (!o.prompt.empty() && o.haveTokens)
    return Error() << "give the prompt as text (-p) or as ids (--tokens), "
                      "not both";
  return Status::ok();
}

/// The prompt's token ids: given, or encoded (through the chat template
/// for instruct models).
Expected<std::vector<int32_t>> promptIds(const Options &o,
                                         const Tokenizer *tokenizer) {
  if (o.haveTokens)
    return o.tokens;
  if (!tokenizer)
    return Error() << "the model carries no tokenizer; give the prompt as "
                      "token ids with --tokens";
  bool chat = o.chat;
  if (o.chat < 0)
    chat = bool(tokenizer->applyChatTemplate({{"user", "x"}}, true));
  if (!chat)
    return tokenizer->encode(o.prompt, {/*addSpecialTokens=*/true});
  std::vector<ChatMessage> messages;
  if (!o.system.empty())
    messages.push_back({"system", o.system});
  messages.push_back({"user", o.prompt});
  Expected<std::string> text = tokenizer->applyChatTemplate(messages, true);
  if (!text)
    return text.takeError();
  return tokenizer->encode(*text, {/*addSpecialTokens=*/false});
}

double seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

/// `decodes` decode steps, which gave `tokens` tokens of the sequences
/// still going, took `generateSeconds`.
void report(const Session &s, int64_t promptTokens, double promptSeconds,
            int64_t decodes, int64_t tokens, double generateSeconds) {
  MemoryReport m = s.model().memory();
  auto rate = [](int64_t n, double t) { return t > 0 ? n / t : 0.0; };
  const int64_t batch = s.batch();
  std::fprintf(stderr,
               "\nml-run: %s on %s (%d threads)\n"
               "  prompt:     %6lld tokens in %8.3f s = %8.2f tokens/s\n"
               "  decode:     %6lld tokens in %8.3f s = %8.2f tokens/s",
               s.model().name().c_str(), s.device(), cpu::numThreads(),
               (long long)promptTokens, promptSeconds,
               rate(promptTokens, promptSeconds), (long long)tokens,
               generateSeconds, rate(tokens, generateSeconds));
  if (batch > 1)
    std::fprintf(stderr, " (%lld sequences x %lld steps, %.2f steps/s)",
                 (long long)batch, (long long)decodes,
                 rate(decodes, generateSeconds));
  // The KV cache holds every sequence's tokens (a ragged batch: different
  // counts); per-sequence amounts are multiplied out for a batch.
  int64_t cached = 0;
  for (int64_t q = 0; q < batch; ++q)
    cached += s.position(q);
  const std::string in =
      batch > 1 ? " in " + std::to_string(batch) + " sequences" : "";
  const std::string times =
      batch > 1 ? " x " + std::to_string(batch) + " sequences" : "";
  std::fprintf(stderr,
               "\n  memory: weights %.2f MiB, KV cache %.1f KiB/token (%.2f "
               "MiB for %lld tokens%s, %lld attention layers), SSM state %.2f "
               "MiB%s (%lld Mamba layers); session allocated %.1f MiB for "
               "%lld tokens%s\n",
               m.weightBytes / 1048576.0, m.kvBytesPerToken / 1024.0,
               m.kvBytesPerToken * double(cached) / 1048576.0,
               (long long)cached, in.c_str(), (long long)m.attentionLayers,
               m.ssmStateBytes / 1048576.0, times.c_str(),
               (long long)m.mambaLayers, s.allocatedBytes() / 1048576.0,
               (long long)s.maxTokens(), times.c_str());
}

Status run(const Options &o) {
  Expected<Artifact> model = Artifact::open(o.model);
  if (!model)
    return model.takeError();
  for (int32_t id : o.stopIds)
    if (id < 0 || id >= model->config().vocab)
      return Error() << "--stop-ids: id " << id << " is not in the "
                     << "vocabulary of " << model->config().vocab << " tokens";
  // Ids in and ids out need no tokenizer (models may come without one, or
  // with one that is not at hand).
  std::optional<Tokenizer> tokenizer;
  bool needTokenizer = !o.haveTokens || !o.printIds;
  if (needTokenizer && !model->tokenizerPath().empty()) {
    Expected<Tokenizer> t = Tokenizer::fromFile(model->tokenizerPath());
    if (!t)
      return Error() << "tokenizer " << model->tokenizerPath() << ": "
                     << t.message();
    tokenizer = std::move(*t);
  }
  Expected<std::vector<int32_t>> prompt =
      promptIds(o, tokenizer ? &*tokenizer : nullptr);
  if (!prompt)
    return prompt.takeError();
  if (prompt->empty())
    return Error() << "the prompt encodes to no tokens";
  Expected<Session> session = Session::create(*model, o.session);
  if (!session)
    return session.takeError();

  Clock::time_point start = Clock::now();
  bool allLogits = o.allLogits && !o.logitsOut.empty();
  Expected<std::vector<float>> logits = session->forward(*prompt, allLogits);
  if (!logits)
    return logits.takeError();
  double promptSeconds = seconds(start);
  if (!o.logitsOut.empty())
    MLRT_RETURN_IF_ERROR(writeFileAtomically(
        o.logitsOut,
        std::string_view(reinterpret_cast<const char *>(logits->data()),
                         logits->size() * sizeof(float))));
  const int64_t vocab = model->config().vocab;
  const int64_t batch = session->batch();
  // Every other sequence takes its own prompt, or continues from sequence
  // 0's.
  std::vector<float> last(logits->end() - vocab, logits->end());
  int64_t promptTokens = static_cast<int64_t>(prompt->size());
  start = Clock::now();
  for (int64_t s = 1; s < batch; ++s) {
    if (s > static_cast<int64_t>(o.morePrompts.size())) {
      MLRT_RETURN_IF_ERROR(session->copySequence(0, s));
      last.insert(last.end(), logits->end() - vocab, logits->end());
      continue;
    }
    const std::vector<int32_t> &own = o.morePrompts[s - 1];
    Expected<std::vector<float>> first = session->forward(own, false, s);
    if (!first)
      return Error() << "prompt " << s + 1 << ": " << first.message();
    last.insert(last.end(), first->begin(), first->end());
    promptTokens += static_cast<int64_t>(own.size());
  }
  promptSeconds += seconds(start);

  std::vector<int32_t> stops = o.stopIds;
  if (!o.ignoreEos) {
    for (int64_t id : model->config().eos)
      stops.push_back(static_cast<int32_t>(id));
    if (tokenizer)
      for (int32_t id : tokenizer->eosIds())
        stops.push_back(id);
  }
  auto isStop = [&](int32_t id) {
    return std::find(stops.begin(), stops.end(), id) != stops.end();
  };
  std::vector<cpu::Sampler> samplers;
  for (int64_t s = 0; s < batch; ++s)
    samplers.emplace_back(o.sampling, o.seed + s);
  // Each sequence's tokens: sequence 0's streamed, the others' printed at
  // the end. A sequence that drew a stop id is done: the batch still steps
  // it (one token a sequence a step) and drops what it draws.
  std::vector<std::vector<int32_t>> generated(batch);
  std::vector<bool> done(batch, false);
  int64_t decodes = 0, decoded = 0, going = batch;
  start = Clock::now();
  // Greedy decoding lets the backend pick the tokens where the logits are.
  const bool greedy = o.sampling.temperature <= 0.0f;
  std::vector<int32_t> picked;
  // Whether a sequence has filled the context.
  auto contextFull = [&] {
    for (int64_t s = 0; s < batch; ++s)
      if (session->position(s) == session->maxTokens())
        return true;
    return false;
  };
  for (int64_t round = 0; round < o.predict; ++round) {
    std::vector<int32_t> tokens = picked;
    if (tokens.empty())
      for (int64_t s = 0; s < batch; ++s)
        tokens.push_back(samplers[s].sample(last.data() + s * vocab, vocab));
    if (round > 0)
      decoded += going;
    for (int64_t s = 0; s < batch; ++s) {
      if (done[s])
        continue;
      const int32_t id = tokens[s];
      generated[s].push_back(id);
      done[s] = isStop(id);
      going -= done[s];
      if (s > 0)
        continue;
      // Sequence 0 streams: its ids, or its text without the stop.
      if (o.printIds)
        std::printf("%s%d", round > 0 ? " " : "", id);
      else if (tokenizer && !done[0])
        if (Expected<std::string> piece = tokenizer->tokenPiece(id))
          std::fwrite(piece->data(), 1, piece->size(), stdout);
      std::fflush(stdout);
    }
    if (going == 0 || round + 1 == o.predict || contextFull())
      break;
    if (greedy) {
      Expected<std::vector<int32_t>> step = session->stepGreedy(tokens);
      if (!step)
        return step.takeError();
      picked = std::move(*step);
    } else {
      Expected<std::vector<float>> step = session->step(tokens);
      if (!step)
        return step.takeError();
      last = std::move(*step);
    }
    ++decodes;
  }
  double generateSeconds = seconds(start);
  std::printf("\n");
  for (size_t q = 1; q < generated.size(); ++q) {
    const std::vector<int32_t> &ids = generated[q];
    if (o.printIds) {
      for (size_t i = 0; i < ids.size(); ++i)
        std::printf("%s%d", i ? " " : "", ids[i]);
    } else if (tokenizer) {
      for (int32_t id : ids)
        if (!isStop(id))
          if (Expected<std::string> piece = tokenizer->tokenPiece(id))
            std::fwrite(piece->data(), 1, piece->size(), stdout);
    }
    std::printf("\n");
  }
  report(*session, promptTokens, promptSeconds, decodes, decoded,
         generateSeconds);
  return Status::ok();
}
} // namespace

int main(int argc, char **argv) {
  return toolMain<Options>("ml-run", kUsage, argc, argv, parse, run);
}
