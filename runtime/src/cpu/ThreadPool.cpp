//===- ThreadPool.cpp - The CPU kernels' persistent threads ---------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// One pool for the process, created on first use: kernels are called
// thousands of times per second in decoding, so threads are never created
// per call. A parallelFor hands out parts through an atomic counter; the
// calling thread works too.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

using namespace mlrt::cpu;

namespace {
class ThreadPool {
public:
  explicit ThreadPool(int threads) : threads(threads) {
    for (int i = 1; i < threads; ++i)
      workers.emplace_back([this] { work(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
  }
  int size() const { return threads; }

  void run(int64_t n, const std::function<void(int64_t, int64_t)> &fn) {
    // A few parts per thread balance uneven rows.
    int64_t parts = std::min<int64_t>(n, int64_t(threads) * 4);
    std::unique_lock<std::mutex> lock(mutex);
    job = &fn;
    total = n;
    partCount = parts;
    next = 0;
    pending = parts;
    ++generation;
    lock.unlock();
    wake.notify_all();
    drain();
    lock.lock();
    finished.wait(lock, [&] { return pending == 0; });
    job = nullptr;
  }

private:
  void drain() {
    for (int64_t p; (p = next.fetch_add(1)) < partCount;) {
      (*job)(total * p / partCount, total * (p + 1) / partCount);
      if (pending.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(mutex);
        finished.notify_all();
      }
    }
  }
  void work() {
    uint64_t seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return stopping || generation != seen; });
      if (stopping)
        return;
      seen = generation;
      lock.unlock();
      drain();
    }
  }

  int threads;
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake, finished;
  bool stopping = false;
  uint64_t generation = 0;
  const std::function<void(int64_t, int64_t)> *job = nullptr;
  int64_t total = 0, partCount = 0;
  std::atomic<int64_t> next{0}, pending{0};
};

int defaultThreads() {
  if (const char *env = std::getenv("MLRT_THREADS"))
    if (int n = std::atoi(env); n > 0)
      return n;
  return std::max(1u, std::thread::hardware_concurrency());
}

int requestedThreads = 0;

ThreadPool &pool() {
  static ThreadPool instance(requestedThreads ? requestedThreads
                                              : defaultThreads());
  return instance;
}
} // namespace

void mlrt::cpu::setNumThreads(int n) { requestedThreads = n; }

int mlrt::cpu::numThreads() { return pool().size(); }

void mlrt::cpu::parallelFor(int64_t n,
                            const std::function<void(int64_t, int64_t)> &fn) {
  if (n <= 0)
    return;
  ThreadPool &p = pool();
  if (n == 1 || p.size() == 1)
    return fn(0, n);
  p.run(n, fn);
}
