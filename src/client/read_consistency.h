// src/client/read_consistency.h — which reads wait for etcd's current revision: the server's
// default (--read-consistency) and each connection's own (PETACORE READCONSISTENCY).
#pragma once

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
  /// reads locally. Costs one etcd round trip (ReadIndex) per read or batch of reads.
  kLinearizable,
};

/// "local" / "linearizable".
constexpr std::string_view ReadConsistencyName(ReadConsistency c) {
  return c == ReadConsistency::kLinearizable ? "linearizable" : "local";
}

/// Parses "local" / "linearizable", ASCII case-insensitively; nullopt otherwise.
std::optional<ReadConsistency> ParseReadConsistency(std::string_view s);

}  // namespace petacore::client
