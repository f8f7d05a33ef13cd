// rdb_stream.cc — streams in DUMP payloads: Redis 7.0's RDB_TYPE_STREAM_LISTPACKS_2 (and
// reading the older RDB_TYPE_STREAM_LISTPACKS). Layout (rdb.c rdbSaveObject, t_stream.c):
//   node count, then per node: master ID (16 bytes, big-endian ms and seq, as a string) and
//   a listpack: the master entry [live count, deleted count, field count, fields..., 0] then
//   each entry [flags, ms - master ms, seq - master seq, (field count, field, value)... or,
//   with SAMEFIELDS, the values of the master's fields, lp-count]; flags 1 = deleted.
//   Then length, last ID, (v2:) first ID, max deleted ID, entries added; the groups: name,
//   last ID, (v2:) entries read, the PEL (raw 16-byte ID, delivery time ms as 8 bytes LE,
//   delivery count), the consumers (name, seen time 8 bytes LE, their PEL IDs).
// Nodes are cut as Redis's streamAppendItem does with the defaults stream-node-max-bytes
// 4096 and stream-node-max-entries 100, so the listpacks equal Redis's for a stream built by
// XADD alone.
#include <map>
#include <set>

#include "commands/context.h"
#include "commands/rdb_listpack.h"
#include "commands/rdb_object.h"
#include "commands/rdb_payload.h"

namespace petacore::commands::rdb {
namespace {

using keyspace::types::StreamEntry;
using keyspace::types::StreamGroup;
using keyspace::types::StreamId;
using keyspace::types::StreamPending;

constexpr size_t kNodeMaxBytes = 4096;
constexpr int64_t kNodeMaxEntries = 100;
constexpr int64_t kFlagDeleted = 1;
constexpr int64_t kFlagSameFields = 2;

void AppendMs(std::string* out, int64_t ms) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(static_cast<uint64_t>(ms) >> (8 * i)));
}

bool ReadMs(std::string_view in, size_t* pos, int64_t* ms) {
  if (in.size() - *pos < 8) return false;
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u |= static_cast<uint64_t>(static_cast<uint8_t>(in[*pos + i])) << (8 * i);
  *pos += 8;
  *ms = static_cast<int64_t>(u);
  return true;
}

bool ReadRawId(std::string_view in, size_t* pos, StreamId* id) {
  if (in.size() - *pos < 16) return false;
  *id = keyspace::types::DecodeStreamId(in.substr(*pos, 16));
  *pos += 16;
  return true;
}

bool ReadId(std::string_view in, size_t* pos, StreamId* id) {
  return ReadLength(in, pos, &id->ms) && ReadLength(in, pos, &id->seq);
}

// One node being cut: its entries, and its listpack as Redis has it while appending.
struct Node {
  StreamId master;
  std::vector<const StreamEntry*> entries;
};

bool SameFields(const StreamEntry& master, const StreamEntry& e) {
  if (master.fields.size() != e.fields.size()) return false;
  for (size_t i = 0; i < e.fields.size(); ++i) {
    if (master.fields[i].first != e.fields[i].first) return false;
  }
  return true;
}

std::string NodeListpack(const Node& n) {
  ListpackWriter lp;
  const StreamEntry& first = *n.entries.front();
  lp.AppendInt(static_cast<int64_t>(n.entries.size()));
  lp.AppendInt(0);
  lp.AppendInt(static_cast<int64_t>(first.fields.size()));
  for (const auto& [f, v] : first.fields) lp.Append(f);
  lp.AppendInt(0);
  for (const StreamEntry* e : n.entries) {
    const bool same = SameFields(first, *e);
    const auto nf = static_cast<int64_t>(e->fields.size());
    lp.AppendInt(same ? kFlagSameFields : 0);
    lp.AppendInt(static_cast<int64_t>(e->id.ms - n.master.ms));
    lp.AppendInt(static_cast<int64_t>(e->id.seq - n.master.seq));
    if (!same) lp.AppendInt(nf);
    for (const auto& [f, v] : e->fields) {
      if (!same) lp.Append(f);
      lp.Append(v);
    }
    lp.AppendInt(same ? nf + 3 : 2 * nf + 4);
  }
  return lp.Finish();
}

bool Int(const std::string& s, int64_t* v) { return ParseInt64(s, v); }

// Decodes one node's listpack `elems` (master ID `master`) into `out`, checking the master
// entry, every entry's shape and lp-count, and the live / deleted counts.
bool DecodeNode(const std::vector<std::string>& elems, StreamId master, std::vector<StreamEntry>* out) {
  size_t i = 0;
  auto next_int = [&](int64_t* v) { return i < elems.size() && Int(elems[i++], v); };
  int64_t live, deleted, nmaster;
  if (!next_int(&live) || !next_int(&deleted) || !next_int(&nmaster)) return false;
  if (live < 0 || deleted < 0 || nmaster < 0 || static_cast<uint64_t>(nmaster) > elems.size() - i)
    return false;
  std::vector<std::string_view> master_fields(elems.begin() + static_cast<long>(i),
                                              elems.begin() + static_cast<long>(i + nmaster));
  i += static_cast<size_t>(nmaster);
  int64_t zero;
  if (!next_int(&zero) || zero != 0) return false;
  int64_t seen_live = 0, seen_deleted = 0;
  while (i < elems.size()) {
    int64_t flags, dms, dseq, nf;
    if (!next_int(&flags) || !next_int(&dms) || !next_int(&dseq)) return false;
    if (flags & ~(kFlagDeleted | kFlagSameFields)) return false;
    const bool same = flags & kFlagSameFields;
    if (same) {
      nf = nmaster;
    } else if (!next_int(&nf) || nf < 0) {
      return false;
    }
    const uint64_t need = static_cast<uint64_t>(nf) * (same ? 1 : 2);
    if (need > elems.size() - i) return false;
    StreamEntry e;
    e.id = {master.ms + static_cast<uint64_t>(dms), master.seq + static_cast<uint64_t>(dseq)};
    for (int64_t k = 0; k < nf; ++k) {
      if (same) {
        e.fields.emplace_back(std::string(master_fields[static_cast<size_t>(k)]), elems[i++]);
      } else {
        std::string f = elems[i++];
        e.fields.emplace_back(std::move(f), elems[i++]);
      }
    }
    int64_t lp_count;
    if (!next_int(&lp_count) || lp_count != (same ? nf + 3 : 2 * nf + 4)) return false;
    if (nf == 0) return false;  // an entry has at least one field
    if (flags & kFlagDeleted) {
      ++seen_deleted;
    } else {
      ++seen_live;
      out->push_back(std::move(e));
    }
  }
  return seen_live == live && seen_deleted == deleted;
}

}  // namespace

void EncodeStream(const StreamDump& s, std::string* out) {
  std::vector<Node> nodes;
  ListpackWriter probe;  // the tail node's listpack as Redis grows it (for the cut rule)
  for (const StreamEntry& e : s.entries) {
    size_t total = 0;
    for (const auto& [f, v] : e.fields) total += f.size() + v.size();
    bool fresh = nodes.empty() || probe.bytes() + total >= kNodeMaxBytes ||
                 static_cast<int64_t>(nodes.back().entries.size()) >= kNodeMaxEntries;
    if (fresh) {
      nodes.push_back({e.id, {}});
      probe = ListpackWriter();
      probe.AppendInt(1);
      probe.AppendInt(0);
      probe.AppendInt(static_cast<int64_t>(e.fields.size()));
      for (const auto& [f, v] : e.fields) probe.Append(f);
      probe.AppendInt(0);
    }
    Node& n = nodes.back();
    const StreamEntry& first = n.entries.empty() ? e : *n.entries.front();
    const bool same = SameFields(first, e);
    const auto nf = static_cast<int64_t>(e.fields.size());
    probe.AppendInt(same ? kFlagSameFields : 0);
    probe.AppendInt(static_cast<int64_t>(e.id.ms - n.master.ms));
    probe.AppendInt(static_cast<int64_t>(e.id.seq - n.master.seq));
    if (!same) probe.AppendInt(nf);
    for (const auto& [f, v] : e.fields) {
      if (!same) probe.Append(f);
      probe.Append(v);
    }
    probe.AppendInt(same ? nf + 3 : 2 * nf + 4);
    n.entries.push_back(&e);
  }
  AppendLength(out, nodes.size());
  for (const Node& n : nodes) {
    AppendStringObject(out, keyspace::types::EncodeStreamId(n.master));
    AppendStringObject(out, NodeListpack(n));
  }
  const auto& m = s.meta;
  StreamId first = s.entries.empty() ? StreamId{} : s.entries.front().id;
  AppendLength(out, s.entries.size());
  for (StreamId id : {m.last_id, first, m.max_deleted}) AppendLength(out, id.ms), AppendLength(out, id.seq);
  AppendLength(out, m.entries_added);
  AppendLength(out, s.groups.size());
  for (const auto& g : s.groups) {
    AppendStringObject(out, g.name);
    AppendLength(out, g.group.last_id.ms);
    AppendLength(out, g.group.last_id.seq);
    AppendLength(out, static_cast<uint64_t>(g.group.entries_read));
    AppendLength(out, g.pel.size());
    for (const auto& p : g.pel) {
      out->append(keyspace::types::EncodeStreamId(p.id));
      AppendMs(out, p.delivery_ms);
      AppendLength(out, p.delivery_count);
    }
    AppendLength(out, g.consumers.size());
    for (const auto& [name, seen] : g.consumers) {
      AppendStringObject(out, name);
      AppendMs(out, seen);
      std::vector<StreamId> mine;
      for (const auto& p : g.pel) {
        if (p.consumer == name) mine.push_back(p.id);
      }
      AppendLength(out, mine.size());
      for (StreamId id : mine) out->append(keyspace::types::EncodeStreamId(id));
    }
  }
}

bool DecodeStream(std::string_view in, size_t* pos, uint8_t type, StreamDump* out) {
  const bool v2 = type == kTypeStreamListpacks2;
  uint64_t nodes;
  if (!ReadLength(in, pos, &nodes) || nodes > in.size()) return false;
  std::set<std::string> node_keys;
  std::vector<std::string> elems;
  for (uint64_t i = 0; i < nodes; ++i) {
    std::string key, lp;
    if (!ReadString(in, pos, &key) || key.size() != 16 || !node_keys.insert(key).second) return false;
    if (!ReadString(in, pos, &lp) || !ParseListpack(lp, &elems) || elems.empty()) return false;
    if (!DecodeNode(elems, keyspace::types::DecodeStreamId(key), &out->entries)) return false;
  }
  for (size_t i = 1; i < out->entries.size(); ++i) {
    if (!(out->entries[i - 1].id < out->entries[i].id)) return false;  // IDs ascend
  }
  auto& m = out->meta;
  uint64_t length;
  StreamId first;
  if (!ReadLength(in, pos, &length) || !ReadId(in, pos, &m.last_id)) return false;
  if (v2) {
    if (!ReadId(in, pos, &first) || !ReadId(in, pos, &m.max_deleted) ||
        !ReadLength(in, pos, &m.entries_added))
      return false;
  } else {
    m.entries_added = length;
  }
  if (length != out->entries.size()) return false;
  if (!out->entries.empty() && m.last_id < out->entries.back().id) return false;
  m.length = length;
  first = out->entries.empty() ? StreamId{} : out->entries.front().id;
  uint64_t groups;
  if (!ReadLength(in, pos, &groups) || groups > in.size()) return false;
  std::set<std::string> names;
  for (uint64_t g = 0; g < groups; ++g) {
    StreamGroupDump gd;
    if (!ReadString(in, pos, &gd.name) || !names.insert(gd.name).second) return false;
    if (!ReadId(in, pos, &gd.group.last_id)) return false;
    if (v2) {
      uint64_t read;
      if (!ReadLength(in, pos, &read)) return false;
      gd.group.entries_read = static_cast<int64_t>(read);
    } else {
      gd.group.entries_read = keyspace::types::EstimateEntriesRead(m, first, gd.group.last_id);
    }
    uint64_t pel;
    if (!ReadLength(in, pos, &pel) || pel > in.size() / 17) return false;
    std::map<StreamId, StreamPending> by_id;
    std::set<StreamId> owned;  // PEL entries a consumer claimed (a name may be empty)
    for (uint64_t k = 0; k < pel; ++k) {
      StreamPending p;
      int64_t ms;
      if (!ReadRawId(in, pos, &p.id) || !ReadMs(in, pos, &ms) || !ReadLength(in, pos, &p.delivery_count))
        return false;
      p.delivery_ms = ms;
      if (!by_id.emplace(p.id, p).second) return false;  // duplicate PEL entry
    }
    uint64_t consumers;
    if (!ReadLength(in, pos, &consumers) || consumers > in.size()) return false;
    std::set<std::string> cnames;
    for (uint64_t c = 0; c < consumers; ++c) {
      std::string name;
      int64_t seen;
      uint64_t own;
      if (!ReadString(in, pos, &name) || !cnames.insert(name).second) return false;
      if (!ReadMs(in, pos, &seen) || !ReadLength(in, pos, &own) || own > in.size() / 16) return false;
      for (uint64_t k = 0; k < own; ++k) {
        StreamId id;
        if (!ReadRawId(in, pos, &id)) return false;
        auto it = by_id.find(id);
        if (it == by_id.end() || !owned.insert(id).second) return false;  // not in the PEL
        it->second.consumer = name;
      }
      gd.consumers.emplace_back(std::move(name), seen);
    }
    for (auto& [id, p] : by_id) {
      if (!owned.count(id)) return false;  // a PEL entry no consumer owns
      gd.pel.push_back(std::move(p));
    }
    out->groups.push_back(std::move(gd));
  }
  return true;
}

}  // namespace petacore::commands::rdb
