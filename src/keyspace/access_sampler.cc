// src/keyspace/access_sampler.cc — the sampled recent accesses (access_sampler.h).
#include "keyspace/access_sampler.h"

#include <atomic>
#include <cstdint>
#include <mutex>

namespace petacore::keyspace {

namespace {

std::atomic<bool> g_on{false};
std::mutex g_mu;
std::vector<std::string> g_samples;  // guarded by g_mu; a ring once full
size_t g_next = 0;                   // guarded by g_mu: the slot the next sample overwrites

}  // namespace

void EnableAccessSampling(bool on) { g_on.store(on, std::memory_order_relaxed); }

bool AccessSamplingEnabled() { return g_on.load(std::memory_order_relaxed); }

void SampleAccess(std::string_view meta_key) {
  if (!g_on.load(std::memory_order_relaxed)) return;
  // A random 1 in kAccessSampleEvery (xorshift32 per thread): a counter would pick the same
  // keys of a pipeline that reads the same keys in the same order every time.
  thread_local uint32_t x = 0x9E3779B9u ^ static_cast<uint32_t>(reinterpret_cast<uintptr_t>(&x));
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  if (x % kAccessSampleEvery != 0) return;
  std::unique_lock lock(g_mu, std::try_to_lock);
  if (!lock.owns_lock()) return;
  if (g_samples.size() < kAccessSampleCapacity) {
    g_samples.emplace_back(meta_key);
  } else {
    g_samples[g_next].assign(meta_key);
    g_next = (g_next + 1) % kAccessSampleCapacity;
  }
}

std::vector<std::string> TakeAccessSamples() {
  std::vector<std::string> out;
  std::lock_guard lock(g_mu);
  out.swap(g_samples);
  g_next = 0;
  return out;
}

}  // namespace petacore::keyspace
