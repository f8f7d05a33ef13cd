// src/client/read_consistency.h — which reads wait for etcd's current revision: the server's
// default (--read-consistency) and each connection's own (PETACORE READCONSISTENCY).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace petacore::client {

/// How a read (a command without writes) is served. See docs/consistency.md.
enum class ReadConsistency {
  /// From the node's replica at its applied revision: monotonic and read-your-writes on the
  /// node, possibly stale (by the watch delay) for writes made through other nodes.
  kLocal,
  /// Linearizable: etcd's current revision R is fetched after the command arrives (one
  /// batched etcd request, ReadBarrier), the node waits until its replica applied R, then
  /// reads locally. Costs one etcd round trip (ReadIndex) per input batch of a connection
  /// (ReadFenceBatch), and the reads of many connections share each round trip.
  kLinearizable,
};

/// One connection's linearizable-read fence, shared by the commands of one input batch: every
/// command parsed from one read of the socket arrived before the first of them took a fence,
/// so the revision that fence fetched (etcd's, after all of them arrived) serves them all, and
/// the store only moves forward. The connection calls NewBatch() before running the commands
/// of each socket read; the driver records a completed fence with Fenced(batch). batch == 0
/// (a session without a connection loop, e.g. a script's) never counts as fenced.
/// Owner's thread only (the connection's).
struct ReadFenceBatch {
  uint64_t batch = 0;          ///< the current input batch (0 = none)
  uint64_t fenced_batch = 0;   ///< the batch whose fence completed (0 = none yet)

  /// A new read of the socket: its commands need a fence of their own.
  void NewBatch() { ++batch; }
  /// Whether a fence taken during the current batch completed.
  bool Fenced() const { return batch != 0 && fenced_batch == batch; }
  /// A fence taken during batch `b` completed (a fence from an older batch does not count).
  void SetFenced(uint64_t b) {
    if (b == batch) fenced_batch = b;
  }
};

/// "local" / "linearizable".
constexpr std::string_view ReadConsistencyName(ReadConsistency c) {
  return c == ReadConsistency::kLinearizable ? "linearizable" : "local";
}

/// Parses "local" / "linearizable", ASCII case-insensitively; nullopt otherwise.
std::optional<ReadConsistency> ParseReadConsistency(std::string_view s);

}  // namespace petacore::client
