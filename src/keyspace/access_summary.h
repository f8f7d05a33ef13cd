// src/keyspace/access_summary.h — the cluster-wide access summary (issue 17): what one node
// publishes of the keys it read or wrote recently, so that the node deciding eviction sees
// every node's accesses, not only its own (reads are served locally; keyspace/access.h keeps
// a per-node record). docs/consistency.md "Eviction" states the approximation.
//
// Each node puts one summary key, "\xff" "access/<process hex>", under its pub/sub lease (it
// vanishes with the node). The value lists up to kMaxSummaryEntries meta keys, each with
// the node's last-access second and its LFU counter at publish time:
//   repeated { varint key_len, key bytes, u32 last_access_s (LE), u8 lfu_counter }
// Summary keys are under "\xff", outside every database's key range: eviction's sampling,
// SCAN and KEYS never see them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace petacore::keyspace {

/// Store key prefix of the access summaries: "\xff" "access/".
inline constexpr std::string_view kAccessSummaryPrefix{"\xff" "access/", 8};
/// The end of the summaries' range (the prefix's successor).
inline constexpr std::string_view kAccessSummaryEnd{"\xff" "access0", 8};
/// Most keys one summary lists (about 100 KB for 20-byte keys, far below etcd's 1.5 MiB
/// default request limit).
inline constexpr size_t kMaxSummaryEntries = 4096;

/// One key of a summary.
struct AccessSummaryEntry {
  std::string_view meta_key;   ///< the key's meta key (keyspace/encoding.h)
  uint32_t last_access_s = 0;  ///< Unix seconds of the node's last access (LRU clock)
  uint8_t lfu_counter = 0;     ///< the node's LFU counter, decayed to the publish time
};

/// The summary key of node `process`.
std::string AccessSummaryKey(uint64_t process);
/// The node a summary key belongs to; 0 for a key that is not one.
uint64_t AccessSummaryProcess(std::string_view key);
/// Appends one entry to an encoded summary.
void AppendAccessSummaryEntry(std::string* out, std::string_view meta_key,
                              uint32_t last_access_s, uint8_t lfu_counter);
/// Visits the entries of an encoded summary in order; stops at the first malformed byte
/// (a summary from a newer format is read up to what this node understands). Returns the
/// number visited. The views point into `value`.
size_t ForEachAccessSummaryEntry(std::string_view value,
                                 const std::function<void(const AccessSummaryEntry&)>& fn);

}  // namespace petacore::keyspace
