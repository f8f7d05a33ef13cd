#include "keyspace/types/stream.h"

#include <algorithm>

namespace petacore::keyspace::types {
namespace {

constexpr size_t kMetaSize = 48;

// Entry values: for each field and value, a 4-byte big-endian length and the bytes.
void AppendBytes(std::string_view b, std::string* out) {
  auto n = static_cast<uint32_t>(b.size());
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out->append(b);
}

std::vector<std::pair<std::string, std::string>> DecodeFields(std::string_view v) {
  std::vector<std::pair<std::string, std::string>> out;
  auto take = [&](std::string* s) {
    if (v.size() < 4) return false;
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<uint8_t>(v[i]);
    if (v.size() < 4 + static_cast<size_t>(n)) return false;
    s->assign(v.substr(4, n));
    v.remove_prefix(4 + n);
    return true;
  };
  while (!v.empty()) {
    std::pair<std::string, std::string> fv;
    if (!take(&fv.first) || !take(&fv.second)) break;
    out.push_back(std::move(fv));
  }
  return out;
}

std::string EntryStart(std::string_view meta_key, StreamId id) {
  return StreamEntryKey(meta_key, id);
}
// The key just after entry `id` (exclusive end of a range ending at id).
std::string EntryEnd(std::string_view meta_key, StreamId id) {
  if (id == StreamId::Max()) return SubKeyEnd(meta_key, kStreamEntryTag);
  std::string k = StreamEntryKey(meta_key, id);
  k.push_back('\0');
  return k;
}

}  // namespace

std::string EncodeStreamMeta(const StreamMeta& m) {
  std::string out;
  out.reserve(kMetaSize);
  AppendU64(m.length, &out);
  AppendStreamId(m.last_id, &out);
  AppendU64(m.entries_added, &out);
  AppendStreamId(m.max_deleted, &out);
  return out;
}

std::optional<StreamMeta> DecodeStreamMeta(std::string_view p) {
  if (p.size() != kMetaSize) return std::nullopt;
  StreamMeta m;
  m.length = ReadU64(p);
  m.last_id = DecodeStreamId(p.substr(8));
  m.entries_added = ReadU64(p.substr(24));
  m.max_deleted = DecodeStreamId(p.substr(32));
  return m;
}

StreamMeta StreamMetaOf(const KeyRead& r) {
  if (!r.ok()) return {};
  return DecodeStreamMeta(r.value.payload).value_or(StreamMeta{});
}

StreamPeek PeekStream(TxnView& txn, std::string_view meta_key) {
  StreamPeek out;
  std::string end(meta_key);
  end.push_back('\0');  // [meta_key, meta_key + "\0") holds only the meta key
  txn.Range(meta_key, end, [&](std::string_view, std::string_view raw) {
    auto v = DecodeValue(raw);
    if (v && Expired(*v, txn.now_ms())) return false;
    if (!v || v->type != ValueType::kStream) {
      out.state = KeyRead::State::kWrongType;
      return false;
    }
    out.state = KeyRead::State::kOk;
    out.meta = DecodeStreamMeta(v->payload).value_or(StreamMeta{});
    return false;
  });
  return out;
}

void WriteStreamMeta(TxnView& txn, const std::string& meta_key, const StreamMeta& m) {
  WriteMeta(txn, meta_key, ValueType::kStream, EncodeStreamMeta(m));
}

std::string StreamEntryKey(std::string_view meta_key, StreamId id) {
  std::string k;
  k.reserve(meta_key.size() + 17);
  k.append(meta_key);
  k.push_back(kStreamEntryTag);
  AppendStreamId(id, &k);
  return k;
}

std::optional<StreamId> NextAddId(const StreamMeta& m, int64_t now_ms,
                                  const std::optional<ParsedStreamId>& given) {
  StreamId id;
  if (given && given->seq_given) {
    id = given->id;
  } else if (given) {
    if (given->id.ms == m.last_id.ms) {
      if (m.last_id.seq == UINT64_MAX) return std::nullopt;
      id = {m.last_id.ms, m.last_id.seq + 1};
    } else {
      id = given->id;
    }
  } else {
    auto ms = static_cast<uint64_t>(std::max<int64_t>(now_ms, 0));
    if (ms > m.last_id.ms) {
      id = {ms, 0};
    } else {
      auto next = NextStreamId(m.last_id);  // the clock went back: still increasing
      if (!next) return std::nullopt;
      id = *next;
    }
  }
  if (id <= m.last_id) return std::nullopt;
  return id;
}

void StreamPutEntry(TxnView& txn, std::string_view meta_key, StreamId id,
                    std::span<const std::string_view> field_values) {
  std::string v;
  for (auto b : field_values) AppendBytes(b, &v);
  txn.Put(StreamEntryKey(meta_key, id), std::move(v));
}

std::optional<StreamEntry> StreamGetEntry(TxnView& txn, std::string_view meta_key, StreamId id) {
  std::optional<StreamEntry> out;
  StreamScan(txn, meta_key, id, id, false, [&](const StreamEntry& e) {
    out = e;
    return false;
  });
  return out;
}

void StreamScanIds(TxnView& txn, std::string_view meta_key, StreamId start, StreamId end, bool rev,
                   const std::function<bool(StreamId)>& fn) {
  StreamScan(txn, meta_key, start, end, rev, [&](const StreamEntry& e) { return fn(e.id); });
}

void StreamScan(TxnView& txn, std::string_view meta_key, StreamId start, StreamId end, bool rev,
                const std::function<bool(const StreamEntry&)>& fn) {
  if (end < start) return;
  const size_t skip = meta_key.size() + 1;
  auto decode = [&](std::string_view key, std::string_view value) {
    StreamEntry e;
    e.id = DecodeStreamId(key.substr(skip));
    e.fields = DecodeFields(value);
    return e;
  };
  if (!rev) {
    txn.Range(EntryStart(meta_key, start), EntryEnd(meta_key, end),
              [&](std::string_view key, std::string_view value) { return fn(decode(key, value)); });
    return;
  }
  // Backwards: forward reads of windows [lo, hi] whose width in ms doubles each time.
  StreamId hi = end;
  uint64_t width = 1;
  while (true) {
    StreamId lo = hi.ms - start.ms > width ? StreamId{hi.ms - width, 0} : start;
    std::vector<std::pair<std::string, std::string>> window;
    txn.Range(EntryStart(meta_key, lo), EntryEnd(meta_key, hi),
              [&](std::string_view key, std::string_view value) {
                window.emplace_back(key, value);
                return true;
              });
    for (auto it = window.rbegin(); it != window.rend(); ++it) {
      if (!fn(decode(it->first, it->second))) return;
    }
    if (lo == start) return;
    auto prev = PrevStreamId(lo);
    if (!prev || *prev < start) return;
    hi = *prev;
    width = width > (UINT64_MAX >> 2) ? UINT64_MAX : width * 2;
  }
}

std::vector<StreamEntry> StreamRange(TxnView& txn, std::string_view meta_key, StreamId start,
                                     StreamId end, uint64_t count, bool rev) {
  std::vector<StreamEntry> out;
  StreamScan(txn, meta_key, start, end, rev, [&](const StreamEntry& e) {
    out.push_back(e);
    return count == 0 || out.size() < count;
  });
  return out;
}

std::optional<StreamId> StreamFirstId(TxnView& txn, std::string_view meta_key) {
  std::optional<StreamId> out;
  const size_t skip = meta_key.size() + 1;
  txn.Range(SubKeyStart(meta_key, kStreamEntryTag), SubKeyEnd(meta_key, kStreamEntryTag),
            [&](std::string_view key, std::string_view) {
              out = DecodeStreamId(key.substr(skip));
              return false;
            });
  return out;
}

std::optional<StreamId> StreamLastId(TxnView& txn, std::string_view meta_key, StreamId last_id) {
  std::optional<StreamId> out;
  StreamScanIds(txn, meta_key, StreamId{}, last_id, true, [&](StreamId id) {
    out = id;
    return false;
  });
  return out;
}

bool StreamDeleteEntry(TxnView& txn, std::string_view meta_key, StreamId id) {
  return txn.Delete(StreamEntryKey(meta_key, id));
}

}  // namespace petacore::keyspace::types
