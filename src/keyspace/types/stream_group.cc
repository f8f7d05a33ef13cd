#include "keyspace/types/stream_group.h"

namespace petacore::keyspace::types {
namespace {

// meta + tag + len(group, 4 bytes big-endian) + group: the prefix of one group's PEL or
// consumers.
std::string GroupPrefix(std::string_view meta_key, char tag, std::string_view group) {
  std::string k;
  k.reserve(meta_key.size() + 5 + group.size() + 16);
  k.append(meta_key);
  k.push_back(tag);
  auto n = static_cast<uint32_t>(group.size());
  for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  k.append(group);
  return k;
}


std::string PendingKey(std::string_view meta_key, std::string_view group, StreamId id) {
  std::string k = GroupPrefix(meta_key, kStreamPelTag, group);
  AppendStreamId(id, &k);
  return k;
}

StreamPending DecodePending(StreamId id, std::string_view v) {
  StreamPending p;
  p.id = id;
  if (v.size() >= 16) {
    p.delivery_ms = static_cast<int64_t>(ReadU64(v));
    p.delivery_count = ReadU64(v.substr(8));
    p.consumer.assign(v.substr(16));
  }
  return p;
}

std::string EncodeGroup(const StreamGroup& g) {
  std::string v;
  AppendStreamId(g.last_id, &v);
  AppendU64(static_cast<uint64_t>(g.entries_read), &v);
  return v;
}

StreamGroup DecodeGroup(std::string_view v) {
  StreamGroup g;
  if (v.size() >= 24) {
    g.last_id = DecodeStreamId(v);
    g.entries_read = static_cast<int64_t>(ReadU64(v.substr(16)));
  }
  return g;
}

}  // namespace

std::optional<StreamGroup> GetGroup(TxnView& txn, std::string_view meta_key,
                                    std::string_view group) {
  auto v = txn.Get(SubKey(meta_key, kStreamGroupTag, group));
  if (!v) return std::nullopt;
  return DecodeGroup(*v);
}

void PutGroup(TxnView& txn, std::string_view meta_key, std::string_view group,
              const StreamGroup& g) {
  txn.Put(SubKey(meta_key, kStreamGroupTag, group), EncodeGroup(g));
}

bool DeleteGroup(TxnView& txn, std::string_view meta_key, std::string_view group) {
  if (!txn.Delete(SubKey(meta_key, kStreamGroupTag, group))) return false;
  for (char tag : {kStreamPelTag, kStreamConsumerTag}) {
    std::string prefix = GroupPrefix(meta_key, tag, group);
    std::string end = PrefixEnd(prefix);
    txn.DeleteRange(prefix, end);
  }
  return true;
}

std::vector<std::pair<std::string, StreamGroup>> AllGroups(TxnView& txn,
                                                           std::string_view meta_key) {
  std::vector<std::pair<std::string, StreamGroup>> out;
  ScanSubkeys(txn, meta_key, kStreamGroupTag, [&](std::string_view name, std::string_view v) {
    out.emplace_back(name, DecodeGroup(v));
    return true;
  });
  return out;
}

std::optional<int64_t> GetConsumer(TxnView& txn, std::string_view meta_key, std::string_view group,
                                   std::string_view consumer) {
  std::string k = GroupPrefix(meta_key, kStreamConsumerTag, group);
  k.append(consumer);
  auto v = txn.Get(k);
  if (!v || v->size() < 8) return std::nullopt;
  return static_cast<int64_t>(ReadU64(*v));
}

void PutConsumer(TxnView& txn, std::string_view meta_key, std::string_view group,
                 std::string_view consumer, int64_t seen_ms) {
  std::string k = GroupPrefix(meta_key, kStreamConsumerTag, group);
  k.append(consumer);
  std::string v;
  AppendU64(static_cast<uint64_t>(seen_ms), &v);
  txn.Put(k, std::move(v));
}

std::optional<int64_t> DeleteConsumer(TxnView& txn, std::string_view meta_key,
                                      std::string_view group, std::string_view consumer) {
  std::string k = GroupPrefix(meta_key, kStreamConsumerTag, group);
  k.append(consumer);
  if (!txn.Delete(k)) return std::nullopt;
  std::vector<StreamId> ids;
  ScanPending(txn, meta_key, group, StreamId{}, StreamId::Max(), [&](const StreamPending& p) {
    if (p.consumer == consumer) ids.push_back(p.id);
    return true;
  });
  for (StreamId id : ids) txn.Delete(PendingKey(meta_key, group, id));
  return static_cast<int64_t>(ids.size());
}

std::vector<std::pair<std::string, int64_t>> AllConsumers(TxnView& txn, std::string_view meta_key,
                                                          std::string_view group) {
  std::vector<std::pair<std::string, int64_t>> out;
  std::string prefix = GroupPrefix(meta_key, kStreamConsumerTag, group);
  txn.Range(prefix, PrefixEnd(prefix), [&](std::string_view key, std::string_view v) {
    out.emplace_back(key.substr(prefix.size()),
                     v.size() >= 8 ? static_cast<int64_t>(ReadU64(v)) : 0);
    return true;
  });
  return out;
}

std::optional<StreamPending> GetPending(TxnView& txn, std::string_view meta_key,
                                        std::string_view group, StreamId id) {
  auto v = txn.Get(PendingKey(meta_key, group, id));
  if (!v) return std::nullopt;
  return DecodePending(id, *v);
}

void PutPending(TxnView& txn, std::string_view meta_key, std::string_view group,
                const StreamPending& p) {
  std::string v;
  AppendU64(static_cast<uint64_t>(p.delivery_ms), &v);
  AppendU64(p.delivery_count, &v);
  v.append(p.consumer);
  txn.Put(PendingKey(meta_key, group, p.id), std::move(v));
}

bool DeletePending(TxnView& txn, std::string_view meta_key, std::string_view group, StreamId id) {
  return txn.Delete(PendingKey(meta_key, group, id));
}

void ScanPending(TxnView& txn, std::string_view meta_key, std::string_view group, StreamId start,
                 StreamId end, const std::function<bool(const StreamPending&)>& fn) {
  if (end < start) return;
  std::string prefix = GroupPrefix(meta_key, kStreamPelTag, group);
  std::string from = prefix;
  AppendStreamId(start, &from);
  std::string to = prefix;
  AppendStreamId(end, &to);
  to.push_back('\0');  // inclusive end
  const size_t skip = prefix.size();
  txn.Range(from, to, [&](std::string_view key, std::string_view v) {
    if (key.size() != skip + 16) return true;
    return fn(DecodePending(DecodeStreamId(key.substr(skip)), v));
  });
}

bool StreamEntryExists(TxnView& txn, std::string_view meta_key, StreamId id) {
  return HasSubkey(txn, StreamEntryKey(meta_key, id));
}

int64_t EstimateEntriesRead(const StreamMeta& m, StreamId first, StreamId id) {
  if (m.entries_added == 0) return 0;
  if (m.length == 0 && id <= m.last_id) return static_cast<int64_t>(m.entries_added);
  if (id == m.last_id) return static_cast<int64_t>(m.entries_added);
  if (id > m.last_id) return kInvalidEntriesRead;
  if (m.max_deleted.IsZero() || m.max_deleted < first) {
    if (id < first) return static_cast<int64_t>(m.entries_added - m.length);
    if (id == first) return static_cast<int64_t>(m.entries_added - m.length + 1);
  }
  return kInvalidEntriesRead;
}

bool RangeHasTombstones(const StreamMeta& m, StreamId first, StreamId start) {
  if (m.length == 0 || m.max_deleted.IsZero()) return false;
  if (first > m.max_deleted) return false;
  return start <= m.max_deleted;
}

std::optional<int64_t> GroupLag(const StreamMeta& m, StreamId first, const StreamGroup& g) {
  if (m.entries_added == 0) return 0;
  if (g.entries_read != kInvalidEntriesRead && !RangeHasTombstones(m, first, g.last_id)) {
    return static_cast<int64_t>(m.entries_added) - g.entries_read;
  }
  int64_t read = EstimateEntriesRead(m, first, g.last_id);
  if (read == kInvalidEntriesRead) return std::nullopt;
  return static_cast<int64_t>(m.entries_added) - read;
}

void AdvanceGroup(const StreamMeta& m, StreamId first, StreamId id, StreamGroup* g) {
  if (g->entries_read != kInvalidEntriesRead && !RangeHasTombstones(m, first, id)) {
    g->entries_read++;
  } else if (m.entries_added != 0) {
    g->entries_read = EstimateEntriesRead(m, first, id);
  }
  g->last_id = id;
}

}  // namespace petacore::keyspace::types
