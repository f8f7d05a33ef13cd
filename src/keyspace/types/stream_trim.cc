#include "keyspace/types/stream_trim.h"

#include <optional>

namespace petacore::keyspace::types {

int64_t StreamTrim(TxnView& txn, const std::string& meta_key, StreamMeta* meta,
                   const StreamTrimArgs& args) {
  using Strategy = StreamTrimArgs::Strategy;
  if (args.strategy == Strategy::kNone || meta->length == 0) return 0;
  // The first entry kept (nullopt: remove every entry).
  std::optional<StreamId> keep_from;
  if (args.strategy == Strategy::kMaxLen) {
    if (meta->length <= static_cast<uint64_t>(args.maxlen)) return 0;
    uint64_t remove = meta->length - static_cast<uint64_t>(args.maxlen);
    if (args.approx) {
      // As Redis's `~`, which frees only whole nodes of stream-node-max-entries (100)
      // entries: remove whole hundreds of the excess, so XADD MAXLEN ~ N trims once per
      // 100 additions and keeps between N and N + 99 entries (Redis's own numbers for a
      // stream built by XADD).
      remove -= remove % kStreamApproxNodeEntries;
      if (remove == 0) return 0;
    }
    const uint64_t keep = meta->length - remove;
    if (keep > 0 && remove <= keep) {
      // Fewer to remove than to keep (XADD MAXLEN's steady state): walk the oldest ones.
      uint64_t seen = 0;
      StreamScanIds(txn, meta_key, StreamId{}, StreamId::Max(), false, [&](StreamId id) {
        if (seen++ < remove) return true;
        keep_from = id;
        return false;
      });
    } else if (keep > 0) {
      uint64_t seen = 0;
      StreamScanIds(txn, meta_key, StreamId{}, meta->last_id, true, [&](StreamId id) {
        keep_from = id;
        return ++seen < keep;
      });
    }
  } else {
    keep_from = args.minid;
  }
  if (args.limit > 0) {
    // At most `limit` entries: the cut cannot be past the (limit + 1)-th oldest entry.
    int64_t seen = 0;
    StreamScanIds(txn, meta_key, StreamId{}, StreamId::Max(), false, [&](StreamId id) {
      if (keep_from && id >= *keep_from) return false;
      if (seen++ == args.limit) {
        keep_from = id;
        return false;
      }
      return true;
    });
  }
  std::string start = SubKeyStart(meta_key, kStreamEntryTag);
  std::string end =
      keep_from ? StreamEntryKey(meta_key, *keep_from) : SubKeyEnd(meta_key, kStreamEntryTag);
  if (end <= start) return 0;
  auto removed = static_cast<int64_t>(txn.DeleteRange(start, end));
  meta->length -= static_cast<uint64_t>(removed);
  return removed;
}

}  // namespace petacore::keyspace::types
