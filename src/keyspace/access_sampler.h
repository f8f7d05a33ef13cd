// src/keyspace/access_sampler.h — a sample of the keys this node accessed recently, for the
// cluster-wide access summary (access_summary.h, issue 17). Off unless the summary publisher
// turns it on (only while this node's memory nears maxmemory under an LRU or LFU policy):
// then a random one access in kAccessSampleEvery records its meta key in a bounded
// buffer. The read path pays one relaxed load while it is off; while on, a sampled access
// copies the key under a try_lock and is dropped when another thread holds the lock.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace petacore::keyspace {

/// One access in this many, drawn at random per access, is sampled.
inline constexpr unsigned kAccessSampleEvery = 4;
/// Most keys held between two TakeAccessSamples; older samples are overwritten.
inline constexpr size_t kAccessSampleCapacity = 8192;

/// Turns sampling on or off. Thread-safe.
void EnableAccessSampling(bool on);
/// Whether sampling is on. Thread-safe.
bool AccessSamplingEnabled();
/// An access of the key whose meta key is `meta_key` (called after keyspace/access.h's
/// TouchAccess). Thread-safe; never blocks.
void SampleAccess(std::string_view meta_key);
/// The keys sampled since the last call (duplicates possible), leaving the buffer empty.
/// Thread-safe.
std::vector<std::string> TakeAccessSamples();

}  // namespace petacore::keyspace
