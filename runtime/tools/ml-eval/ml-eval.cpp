//===- ml-eval.cpp - Perplexity and agreement with a teacher --------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
//   ml-eval student.mlart --data test.jsonl.xz [--teacher teacher.mlart]
//           [--ctx 512] [--max-tokens N]
//
// Tokenizes each document's "text", cuts it into windows of --ctx tokens
// and scores every next-token prediction: perplexity, and with a teacher
// the mean KL(p_teacher || p_student) per token (the distillation loss of
// paper_spec.md section 3) and how often both pick the same top token.
// Shows progress on stderr; the summary goes to stdout.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Json.h"
#include "mlrt/Session.h"
#include "mlrt/Tokenizer.h"
#include "mlrt/cpu/Kernels.h"

#include "../ToolSupport.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

using namespace mlrt;
using Clock = std::chrono::steady_clock;

namespace {
struct Options {
  std::string model, teacher, data, field = "text";
  int64_t ctx = 512, maxTokens = 0; // 0: everything
  SessionOptions session;
};

const char *kUsage =
    "usage: ml-eval model.mlart --data FILE.jsonl[.xz] [options]\n"
    "  --teacher T.mlart   also report KL(teacher || model) and top-1 "
    "agreement\n"
    "  --ctx N             tokens per window (default 512)\n"
    "  --max-tokens N      stop after scoring N tokens (default: all)\n"
    "  --field NAME        JSON field holding the text (default \"text\")\n"
    "%s";

Status parse(int argc, char **argv, Options &o) {
  ArgReader args(argc, argv);
  while (args.more()) {
    std::string a = args.next();
    if (a == "--data")
      MLRT_RETURN_IF_ERROR(args.value(a, o.data));
    else if (a == "--teacher")
      MLRT_RETURN_IF_ERROR(args.value(a, o.teacher));
    else if (a == "--field")
      MLRT_RETURN_IF_ERROR(args.value(a, o.field));
    else if (a == "--ctx")
      MLRT_RETURN_IF_ERROR(args.integer(a, o.ctx, 2));
    else if (a == "--max-tokens")
      MLRT_RETURN_IF_ERROR(args.integer(a, o.maxTokens, 1));
    else if (Expected<bool> b = args.backendOption(a, o.session); !b)
      return b.takeError();
    else if (!*b)
      MLRT_RETURN_IF_ERROR(args.positional(a, o.model));
  }
  if (o.model.empty() || o.data.empty())
    return Error() << "expected a model and --data";
  o.session.maxTokens = o.ctx;
  return Status::ok();
}

/// The texts of a JSONL file (decompressed with xz when it ends in .xz).
Expected<std::vector<std::string>> readTexts(const Options &o) {
  std::string bytes;
  bool xz = o.data.size() > 3 && o.data.compare(o.data.size() - 3, 3, ".xz") == 0;
  if (xz) {
    std::string command = "xz -dc -- '" + o.data + "'";
    std::unique_ptr<FILE, int (*)(FILE *)> pipe(popen(command.c_str(), "r"),
                                                pclose);
    if (!pipe)
      return Error() << o.data << ": cannot run xz to decompress it";
    char buffer[1 << 16];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), pipe.get())) > 0)
      bytes.append(buffer, n);
    if (pclose(pipe.release()) != 0)
      return Error() << o.data << ": xz could not decompress it";
  } else {
    Expected<std::string> text = readFile(o.data);
    if (!text)
      return text.takeError();
    bytes = std::move(*text);
  }
  std::vector<std::string> texts;
  size_t line = 0, begin = 0;
  while (begin < bytes.size()) {
    size_t end = bytes.find('\n', begin);
    if (end == std::string::npos)
      end = bytes.size();
    ++line;
    std::string_view row(bytes.data() + begin, end - begin);
    begin = end + 1;
    if (row.find_first_not_of(" \t\r") == std::string_view::npos)
      continue;
    Expected<json::Value> doc = json::parse(row);
    if (!doc)
      return Error() << o.data << ":" << line << ": " << doc.message();
    const json::Value *text = doc->get(o.field);
    if (!text || !text->isString())
      return Error() << o.data << ":" << line << ": expected a string field \""
                     << o.field << "\"";
    texts.push_back(text->getString());
  }
  if (texts.empty())
    return Error() << o.data << ": no documents";
  return texts;
}

/// log-softmax of `logits` into `out`.
void logSoftmax(const float *logits, int64_t n, std::vector<double> &out) {
  double max = logits[0];
  for (int64_t i = 1; i < n; ++i)
    max = std::max<double>(max, logits[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += std::exp(logits[i] - max);
  double log = max + std::log(sum);
  out.resize(n);
  for (int64_t i = 0; i < n; ++i)
    out[i] = logits[i] - log;
}

int64_t argmax(const float *v, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (v[i] > v[best])
      best = i;
  return best;
}

struct Totals {
  double nll = 0, kl = 0;
  int64_t tokens = 0, agree = 0, documents = 0;
};

void progress(const Totals &t, int64_t goal, double elapsed, bool teacher) {
  int filled = goal ? static_cast<int>(30.0 * t.tokens / goal) : 0;
  std::string bar(std::min(filled, 30), '#');
  bar.resize(30, '.');
  std::fprintf(stderr, "\r[%s] %lld/%lld tokens, ppl %.3f", bar.c_str(),
               (long long)t.tokens, (long long)goal,
               std::exp(t.nll / std::max<int64_t>(t.tokens, 1)));
  if (teacher)
    std::fprintf(stderr, ", KL %.4f, top-1 %.1f%%",
                 t.kl / std::max<int64_t>(t.tokens, 1),
                 100.0 * t.agree / std::max<int64_t>(t.tokens, 1));
  std::fprintf(stderr, ", %.0f tokens/s ", elapsed > 0 ? t.tokens / elapsed : 0);
  std::fflush(stderr);
}

Status run(const Options &o) {
  Expected<Artifact> model = Artifact::open(o.model);
  if (!model)
    return model.takeError();
  std::optional<Artifact> teacher;
  if (!o.teacher.empty()) {
    Expected<Artifact> t = Artifact::open(o.teacher);
    if (!t)
      return t.takeError();
    if (t->config().vocab != model->config().vocab)
      return Error() << "the teacher's vocabulary (" << t->config().vocab
                     << ") differs from the model's (" << model->config().vocab
                     << ")";
    teacher = std::move(*t);
  }
  if (model->tokenizerPath().empty())
    return Error() << o.model << " carries no tokenizer to read text with";
  Expected<Tokenizer> tokenizer = Tokenizer::fromFile(model->tokenizerPath());
  if (!tokenizer)
    return tokenizer.takeError();
  Expected<std::vector<std::string>> texts = readTexts(o);
  if (!texts)
    return texts.takeError();

  // Tokenize first, so the progress bar knows the goal.
  std::vector<std::vector<int32_t>> docs;
  int64_t goal = 0;
  for (const std::string &text : *texts) {
    docs.push_back(tokenizer->encode(text, {/*addSpecialTokens=*/true}));
    int64_t n = static_cast<int64_t>(docs.back().size());
    goal += n - (n + o.ctx - 1) / o.ctx; // every window's first token is context
  }
  std::fprintf(stderr, "ml-eval: %zu documents, %lld tokens to score in "
                       "windows of %lld\n",
               docs.size(), (long long)goal, (long long)o.ctx);
  if (o.maxTokens)
    goal = std::min(goal, o.maxTokens);

  Expected<Session> student = Session::create(*model, o.session);
  if (!student)
    return student.takeError();
  std::optional<Session> teacherSession;
  if (teacher) {
    Expected<Session> t = Session::create(*teacher, o.session);
    if (!t)
      return t.takeError();
    teacherSession = std::move(*t);
  }
  const int64_t vocab = model->config().vocab;
  Totals t;
  std::vector<double> ls, lt;
  Clock::time_point start = Clock::now();
  for (const std::vector<int32_t> &doc : docs) {
    ++t.documents;
    for (size_t begin = 0; begin + 1 < doc.size() && t.tokens < goal;
         begin += o.ctx) {
      size_t end = std::min(doc.size(), begin + o.ctx);
      std::vector<int32_t> window(doc.begin() + begin, doc.begin() + end);
      student->reset();
      Expected<std::vector<float>> logits = student->forward(window, true);
      if (!logits)
        return logits.takeError();
      Expected<std::vector<float>> reference = std::vector<float>();
      if (teacherSession) {
        teacherSession->reset();
        reference = teacherSession->forward(window, true);
        if (!reference)
          return reference.takeError();
      }
      for (size_t i = 0; i + 1 < window.size() && t.tokens < goal; ++i) {
        const float *s = logits->data() + i * vocab;
        logSoftmax(s, vocab, ls);
        t.nll -= ls[window[i + 1]];
        if (teacherSession) {
          const float *r = reference->data() + i * vocab;
          logSoftmax(r, vocab, lt);
          double kl = 0;
          for (int64_t v = 0; v < vocab; ++v)
            kl += std::exp(lt[v]) * (lt[v] - ls[v]);
          t.kl += kl;
          t.agree += argmax(s, vocab) == argmax(r, vocab);
        }
        ++t.tokens;
      }
      progress(t, goal, std::chrono::duration<double>(Clock::now() - start)
                            .count(), bool(teacherSession));
    }
    if (t.tokens >= goal)
      break;
  }
  std::fprintf(stderr, "\n");
  if (t.tokens == 0)
    return Error() << "no tokens to score (documents shorter than 2 tokens)";
  std::printf("documents: %lld, tokens scored: %lld, window %lld\n",
              (long long)t.documents, (long long)t.tokens, (long long)o.ctx);
  std::printf("perplexity: %.4f (mean NLL %.5f nats)\n",
              std::exp(t.nll / t.tokens), t.nll / t.tokens);
  if (teacherSession)
    std::printf("teacher: mean KL %.5f nats/token, top-1 agreement %.2f%%\n",
                t.kl / t.tokens, 100.0 * t.agree / t.tokens);
  return Status::ok();
}
} // namespace

int main(int argc, char **argv) {
  return toolMain<Options>("ml-eval", kUsage, argc, argv, parse, run);
}
