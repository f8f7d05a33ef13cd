// dump_store.cc — a whole value read from / written to the key space (dump_store.h).
#include "commands/dump_store.h"

#include <string_view>
#include <vector>

#include "keyspace/types/hash.h"
#include "keyspace/types/list.h"
#include "keyspace/types/set.h"
#include "keyspace/types/stream.h"
#include "keyspace/types/stream_group.h"
#include "keyspace/types/string.h"
#include "keyspace/types/zset.h"

namespace petacore::commands {

namespace kt = keyspace::types;
using keyspace::ValueType;

namespace {

rdb::StreamDump ReadStreamDump(keyspace::TxnView& txn, const std::string& meta) {
  rdb::StreamDump s;
  kt::KeyRead r = kt::ReadStream(txn, meta);
  s.meta = kt::StreamMetaOf(r);
  s.entries = kt::StreamRange(txn, meta, kt::StreamId{}, kt::StreamId::Max(), 0, false);
  for (auto& [name, group] : kt::AllGroups(txn, meta)) {
    rdb::StreamGroupDump g;
    g.name = name;
    g.group = group;
    kt::ScanPending(txn, meta, name, kt::StreamId{}, kt::StreamId::Max(),
                    [&](const kt::StreamPending& p) {
                      g.pel.push_back(p);
                      return true;
                    });
    g.consumers = kt::AllConsumers(txn, meta, name);
    s.groups.push_back(std::move(g));
  }
  return s;
}

void WriteStreamDump(keyspace::TxnView& txn, const std::string& meta, const rdb::StreamDump& s) {
  kt::WriteStreamMeta(txn, meta, s.meta);
  std::vector<std::string_view> fv;
  for (const auto& e : s.entries) {
    fv.clear();
    for (const auto& [f, v] : e.fields) fv.push_back(f), fv.push_back(v);
    kt::StreamPutEntry(txn, meta, e.id, fv);
  }
  for (const auto& g : s.groups) {
    kt::PutGroup(txn, meta, g.name, g.group);
    for (const auto& [name, seen] : g.consumers) kt::PutConsumer(txn, meta, g.name, name, seen);
    for (const auto& p : g.pel) kt::PutPending(txn, meta, g.name, p);
  }
}

}  // namespace

std::optional<rdb::DumpValue> ReadDumpValue(keyspace::TxnView& txn, const std::string& meta) {
  auto type = kt::KeyType(txn, meta);
  if (!type) return std::nullopt;
  rdb::DumpValue v;
  v.type = *type;
  switch (*type) {
    case ValueType::kString:
      v.str = std::string(kt::ReadString(txn, meta).value);
      break;
    case ValueType::kList: {
      kt::ListHandle h(txn, meta);
      v.items = h.ReadAll();
      break;
    }
    case ValueType::kHash:
      v.pairs = kt::HashGetAll(txn, kt::ReadHash(txn, meta));
      break;
    case ValueType::kSet:
      v.items = kt::SetMembers(txn, kt::ReadSet(txn, meta));
      break;
    case ValueType::kZSet:
      v.zset = kt::ZSetSorted(txn, kt::ReadZSet(txn, meta).elements);  // meta key read
      break;
    case ValueType::kStream:
      v.stream = ReadStreamDump(txn, meta);
      break;
  }
  return v;
}

void WriteDumpValue(keyspace::TxnView& txn, const std::string& meta, const rdb::DumpValue& v,
                    int64_t expire_at_ms) {
  switch (v.type) {
    case ValueType::kString:
      kt::WriteStringExpire(txn, meta, v.str, expire_at_ms);
      return;  // the expire-at is set
    case ValueType::kList: {
      kt::ListHandle h(txn, meta);
      for (const auto& e : v.items) h.Push(kt::ListEnd::kTail, e);
      h.Flush();
      break;
    }
    case ValueType::kHash: {
      std::vector<std::string_view> fv;
      for (const auto& [f, val] : v.pairs) fv.push_back(f), fv.push_back(val);
      kt::HashSet(txn, kt::ReadHash(txn, meta), fv);
      break;
    }
    case ValueType::kSet: {
      std::vector<std::string_view> members(v.items.begin(), v.items.end());
      kt::SetAdd(txn, kt::ReadSet(txn, meta), members);
      break;
    }
    case ValueType::kZSet: {
      std::vector<double> scores;
      std::vector<std::string_view> members;
      for (const auto& e : v.zset) scores.push_back(e.score), members.push_back(e.member);
      kt::ZSetAdd(txn, kt::ReadZSet(txn, meta), {}, scores, members);
      break;
    }
    case ValueType::kStream:
      WriteStreamDump(txn, meta, v.stream);
      break;
  }
  if (expire_at_ms != 0) kt::SetExpireAt(txn, meta, expire_at_ms);
}

}  // namespace petacore::commands
