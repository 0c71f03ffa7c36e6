//===- ThreadPool.cpp - The CPU kernels' persistent threads ---------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// One pool for the process, created on first use. Decoding calls a kernel
// every few microseconds, so threads are never created per call, and a
// worker spins briefly for the next job before it sleeps on a condition
// variable. A job is split into parts handed out through one atomic word
// (part count << 32 | next part), so late or slow threads simply take
// fewer parts; the calling thread works too.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

using namespace mlrt::cpu;

namespace {
using Job = std::function<void(int64_t, int64_t)>;

/// How long an idle worker polls for the next job before it sleeps.
constexpr std::chrono::microseconds kSpinTime(100);

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Polls `ready` for up to kSpinTime; whether it became true.
template <typename Pred> bool spinUntil(Pred ready) {
  auto start = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    if (ready())
      return true;
    cpuRelax();
    if (i % 256 == 0 && std::chrono::steady_clock::now() - start > kSpinTime)
      return false;
  }
}

/// Set on the pool's threads, and on a caller while it runs a job: a
/// parallelFor from there runs inline.
thread_local bool insideJob = false;

class ThreadPool {
public:
  explicit ThreadPool(int threads) {
    for (int i = 1; i < threads; ++i)
      workers.emplace_back([this] { workerLoop(); });
  }
  ~ThreadPool() {
    stopping.store(true);
    publish();
    for (std::thread &t : workers)
      t.join();
  }
  int size() const { return static_cast<int>(workers.size()) + 1; }

  /// Runs `fn` over [0, n) in `parts` parts; one caller at a time.
  void run(int64_t n, int64_t parts, const Job &fn) {
    job = &fn;
    total = n;
    done.store(0, std::memory_order_relaxed);
    claim.store(static_cast<uint64_t>(parts) << 32, std::memory_order_release);
    publish();
    insideJob = true;
    drain();
    insideJob = false;
    for (unsigned i = 0; done.load(std::memory_order_acquire) < parts; ++i)
      i < 4096 ? cpuRelax() : std::this_thread::yield();
  }

private:
  /// Wakes the workers for a new job (or for stopping).
  void publish() {
    generation.fetch_add(1, std::memory_order_release);
    { std::lock_guard<std::mutex> lock(mutex); }
    wake.notify_all();
  }

  /// Claims and runs parts of the current job until none is left. A part
  /// claimed is of the current job: run() rewrites the job only after every
  /// part of the previous one is done.
  void drain() {
    for (;;) {
      uint64_t word = claim.load(std::memory_order_acquire), parts, part;
      do {
        parts = word >> 32;
        part = word & 0xffffffffu;
        if (part >= parts)
          return;
      } while (!claim.compare_exchange_weak(word, word + 1,
                                            std::memory_order_acq_rel,
                                            std::memory_order_acquire));
      int64_t p = static_cast<int64_t>(part), count = static_cast<int64_t>(parts);
      (*job)(total * p / count, total * (p + 1) / count);
      done.fetch_add(1, std::memory_order_release);
    }
  }

  void workerLoop() {
    insideJob = true;
    // Not a load: a thread that starts late must still see the jobs, and
    // the stop, published since the pool was made.
    uint64_t seen = 0;
    auto changed = [&] {
      return generation.load(std::memory_order_acquire) != seen;
    };
    for (;;) {
      if (!spinUntil(changed)) {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, changed);
      }
      seen = generation.load(std::memory_order_acquire);
      if (stopping.load())
        return;
      drain();
    }
  }

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake;
  std::atomic<uint64_t> generation{0};
  std::atomic<bool> stopping{false};
  // The current job: written by run() only while no part can be claimed.
  const Job *job = nullptr;
  int64_t total = 0;
  std::atomic<uint64_t> claim{0};
  std::atomic<int64_t> done{0};
};

int defaultThreads() {
  if (const char *env = std::getenv("MLRT_THREADS"))
    if (int n = std::atoi(env); n > 0)
      return n;
  return std::max(1u, std::thread::hardware_concurrency());
}

/// The pool, (re)created lazily; `poolMutex` serialises jobs of different
/// callers and resizing; `poolSize` lets numThreads() skip the lock.
std::mutex poolMutex;
std::unique_ptr<ThreadPool> pool;
std::atomic<int> poolSize{0};
int requestedThreads = 0;

ThreadPool &getPool() {
  if (!pool) {
    pool = std::make_unique<ThreadPool>(requestedThreads > 0 ? requestedThreads
                                                             : defaultThreads());
    poolSize.store(pool->size());
  }
  return *pool;
}
} // namespace

void mlrt::cpu::setNumThreads(int n) {
  std::lock_guard<std::mutex> lock(poolMutex);
  requestedThreads = n;
  pool.reset();
  poolSize.store(0);
}

int mlrt::cpu::numThreads() {
  if (int n = poolSize.load())
    return n;
  std::lock_guard<std::mutex> lock(poolMutex);
  return getPool().size();
}

void mlrt::cpu::parallelFor(int64_t n, int64_t grain, const Job &fn) {
  if (n <= 0)
    return;
  if (insideJob || n < 2 * grain)
    return fn(0, n);
  std::lock_guard<std::mutex> lock(poolMutex);
  ThreadPool &p = getPool();
  int64_t parts = std::min<int64_t>(n / std::max<int64_t>(grain, 1),
                                    int64_t(p.size()) * 4);
  if (p.size() == 1 || parts < 2)
    return fn(0, n);
  p.run(n, parts, fn);
}
