// src/keyspace/node_record.h — the node registry's internal keys (docs/operations.md "Node
// registry"): each live node of a replicated cluster publishes one record under its lease, and
// a WAIT asks every node to publish at once through one shared key.
//
//   0xFF "node/" <process id, 16 hex digits>  →  record (text, one "name=value" per line):
//       addr=<host:port clients use>
//       applied=<the node's applied etcd revision when it published>
//       oldest=<the oldest etcd revision the node still needs: applied + 1, its watch's
//               resume point (OldestNeeded in server/node_registry.h says why local snapshots,
//               WATCH and MULTI need no etcd history); etcd may be compacted up to the
//               minimum over live records, never above>
//       started=<start time, ms since the epoch>
//       published=<publish time, ms since the epoch>
//   0xFF "node-ask"  →  the asking node's record key: a WAIT that needs fresher reports.
//       Every other node that applies a change of it publishes its record once, at once.
//
// Both sit outside every database's range, so KEYS/SCAN/DBSIZE never see them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace petacore::keyspace {

/// Store key prefix of the node records: "\xff" "node/".
inline constexpr std::string_view kNodeRecordPrefix{"\xff" "node/", 6};
/// The end of the node records' range (the prefix's successor).
inline constexpr std::string_view kNodeRecordEnd{"\xff" "node0", 6};
/// The key a WAIT puts to ask every node for a fresh record.
inline constexpr std::string_view kNodeAskKey{"\xff" "node-ask", 9};

/// One node's published record.
struct NodeRecord {
  uint64_t process = 0;      ///< the node's process id (pub/sub's, server/pubsub.h)
  std::string addr;          ///< "host:port" clients use
  int64_t applied = 0;       ///< applied etcd revision at publish time
  int64_t oldest = 0;        ///< oldest etcd revision the node still needs
  int64_t started_ms = 0;    ///< process start, ms since the epoch
  int64_t published_ms = 0;  ///< publish time, ms since the epoch
};

/// The record key of `process`.
std::string NodeRecordKey(uint64_t process);
/// The record's stored value (the `process` field is in the key, not the value).
std::string EncodeNodeRecord(const NodeRecord& record);
/// Decodes a record from its key and value; nullopt for foreign bytes. Unknown lines are
/// skipped (a newer node may publish more fields).
std::optional<NodeRecord> DecodeNodeRecord(std::string_view key, std::string_view value);
/// Whether a store key is a node record or the ask key (not a data change).
inline bool IsNodeRegistryKey(std::string_view key) {
  return key.starts_with(kNodeRecordPrefix) || key == kNodeAskKey;
}
/// Splits "host:port" at its last ':' (IPv6 hosts keep their colons); port "" when none.
std::pair<std::string_view, std::string_view> SplitHostPort(std::string_view addr);

}  // namespace petacore::keyspace
