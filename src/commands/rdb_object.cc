// rdb_object.cc — DUMP payload bodies of strings, lists, hashes, sets and sorted sets (the
// format and the encoding choices: rdb_object.h; streams: rdb_stream.cc).
#include "commands/rdb_object.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "commands/context.h"
#include "commands/rdb_intset.h"
#include "commands/rdb_listpack.h"
#include "commands/rdb_payload.h"
#include "commands/rdb_ziplist.h"

namespace petacore::commands::rdb {
namespace {

using keyspace::ValueType;
using keyspace::types::ZEntry;

// Redis 7.0's default encoding limits (redis.conf).
constexpr size_t kListpackMaxEntries = 128;  // hash- / zset-max-listpack-entries
constexpr size_t kListpackMaxValue = 64;     // hash- / zset-max-listpack-value
constexpr size_t kIntsetMaxEntries = 512;    // set-max-intset-entries
constexpr size_t kListNodeBytes = 8192;      // list-max-listpack-size -2
constexpr size_t kListNodeOverhead = 8;      // quicklist's SIZE_ESTIMATE_OVERHEAD
constexpr size_t kPlainThreshold = size_t{1} << 30;  // quicklist's packed_threshold
constexpr uint64_t kContainerPlain = 1;
constexpr uint64_t kContainerPacked = 2;

// Redis's d2string (7.0): how a score is written into a sorted set's listpack.
std::string ScoreString(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  if (v > -4503599627370495.0 && v < 4503599627370496.0 &&
      v == static_cast<double>(static_cast<long long>(v))) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%.17g", v);
  return std::string(buf, static_cast<size_t>(n));
}

// A score as zzlStrtod reads it from a listpack: the whole string, not NaN.
bool ParseScore(std::string_view s, double* out) {
  if (s.empty() || s.size() > 127) return false;
  std::string z(s);
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(z.c_str(), &end);
  if (end != z.c_str() + z.size() || std::isnan(d) || std::isspace(static_cast<unsigned char>(z[0])))
    return false;
  *out = d;
  return true;
}

void AppendDoubleLe(std::string* out, double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(u >> (8 * i)));
}

bool ReadBinaryDouble(std::string_view in, size_t* pos, double* d) {
  if (in.size() - *pos < 8) return false;
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u |= static_cast<uint64_t>(static_cast<uint8_t>(in[*pos + i])) << (8 * i);
  *pos += 8;
  std::memcpy(d, &u, 8);
  return true;
}

// rdbLoadDoubleValue (the old ZSET type): a length byte (253 NaN, 254 +inf, 255 -inf) then
// that many ASCII bytes.
bool ReadAsciiDouble(std::string_view in, size_t* pos, double* d) {
  if (*pos >= in.size()) return false;
  auto len = static_cast<uint8_t>(in[(*pos)++]);
  if (len == 253) return false;  // NaN scores are refused
  if (len == 254) return *d = INFINITY, true;
  if (len == 255) return *d = -INFINITY, true;
  if (in.size() - *pos < len) return false;
  bool ok = ParseScore(in.substr(*pos, len), d);
  *pos += len;
  return ok;
}

void EncodeList(const DumpValue& v, std::string* out) {
  out->push_back(static_cast<char>(kTypeListQuicklist2));
  std::vector<std::pair<uint64_t, std::string>> nodes;
  ListpackWriter lp;
  auto flush = [&] {
    if (lp.count() > 0) nodes.emplace_back(kContainerPacked, lp.Finish());
    lp = ListpackWriter();
  };
  for (const auto& e : v.items) {
    if (e.size() >= kPlainThreshold) {
      flush();
      nodes.emplace_back(kContainerPlain, e);
      continue;
    }
    if (lp.count() > 0 && lp.bytes() + e.size() + kListNodeOverhead > kListNodeBytes) flush();
    lp.Append(e);
  }
  flush();
  AppendLength(out, nodes.size());
  for (const auto& [container, blob] : nodes) {
    AppendLength(out, container);
    AppendStringObject(out, blob);
  }
}

void EncodeHash(const DumpValue& v, std::string* out) {
  bool small = v.pairs.size() <= kListpackMaxEntries;
  for (const auto& [f, val] : v.pairs) {
    if (f.size() > kListpackMaxValue || val.size() > kListpackMaxValue) small = false;
  }
  if (small) {
    out->push_back(static_cast<char>(kTypeHashListpack));
    ListpackWriter lp;
    for (const auto& [f, val] : v.pairs) lp.Append(f), lp.Append(val);
    AppendStringObject(out, lp.Finish());
    return;
  }
  out->push_back(static_cast<char>(kTypeHash));
  AppendLength(out, v.pairs.size());
  for (const auto& [f, val] : v.pairs) AppendStringObject(out, f), AppendStringObject(out, val);
}

void EncodeSet(const DumpValue& v, std::string* out) {
  std::vector<int64_t> ints;
  bool all_int = v.items.size() <= kIntsetMaxEntries;
  for (size_t i = 0; all_int && i < v.items.size(); ++i) {
    int64_t n;
    if (ParseInt64(v.items[i], &n)) ints.push_back(n); else all_int = false;
  }
  if (all_int) {
    std::sort(ints.begin(), ints.end());
    out->push_back(static_cast<char>(kTypeSetIntset));
    AppendStringObject(out, EncodeIntset(ints));
    return;
  }
  out->push_back(static_cast<char>(kTypeSet));
  AppendLength(out, v.items.size());
  for (const auto& m : v.items) AppendStringObject(out, m);
}

void EncodeZSet(const DumpValue& v, std::string* out) {
  bool small = v.zset.size() <= kListpackMaxEntries;
  for (const auto& e : v.zset) small = small && e.member.size() <= kListpackMaxValue;
  if (small) {
    out->push_back(static_cast<char>(kTypeZSetListpack));
    ListpackWriter lp;
    for (const auto& e : v.zset) lp.Append(e.member), lp.Append(ScoreString(e.score));
    AppendStringObject(out, lp.Finish());
    return;
  }
  // Redis walks its skiplist from the tail: highest score first.
  out->push_back(static_cast<char>(kTypeZSet2));
  AppendLength(out, v.zset.size());
  for (auto it = v.zset.rbegin(); it != v.zset.rend(); ++it) {
    AppendStringObject(out, it->member);
    AppendDoubleLe(out, it->score);
  }
}

// Reads a count of elements, refusing one that cannot fit in what is left of `in` (each
// element takes at least `min_bytes`): a corrupt length must not reserve gigabytes.
bool ReadCount(std::string_view in, size_t* pos, size_t min_bytes, uint64_t* n) {
  if (!ReadLength(in, pos, n)) return false;
  return *n <= (in.size() - *pos) / min_bytes;
}

// Reads a string holding a listpack / ziplist / intset blob and parses it.
bool ReadBlob(std::string_view in, size_t* pos, bool (*parse)(std::string_view, std::vector<std::string>*),
              std::vector<std::string>* out) {
  std::string blob;
  return ReadString(in, pos, &blob) && parse(blob, out);
}

bool DecodeList(std::string_view in, size_t* pos, uint8_t type, DumpValue* v) {
  std::vector<std::string> part;
  switch (type) {
    case kTypeList: {
      uint64_t n;
      if (!ReadCount(in, pos, 1, &n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        std::string e;
        if (!ReadString(in, pos, &e)) return false;
        v->items.push_back(std::move(e));
      }
      break;
    }
    case kTypeListZiplist:
      if (!ReadBlob(in, pos, ParseZiplist, &v->items)) return false;
      break;
    case kTypeListQuicklist:
    case kTypeListQuicklist2: {
      uint64_t nodes;
      if (!ReadCount(in, pos, 1, &nodes)) return false;
      for (uint64_t i = 0; i < nodes; ++i) {
        uint64_t container = kContainerPacked;
        if (type == kTypeListQuicklist2 && !ReadLength(in, pos, &container)) return false;
        if (container == kContainerPlain) {
          std::string e;
          if (!ReadString(in, pos, &e)) return false;
          v->items.push_back(std::move(e));
          continue;
        }
        if (container != kContainerPacked) return false;
        if (!ReadBlob(in, pos, type == kTypeListQuicklist ? ParseZiplist : ParseListpack, &part))
          return false;
        for (auto& e : part) v->items.push_back(std::move(e));  // an empty node is skipped
      }
      break;
    }
    default:
      return false;
  }
  return !v->items.empty();
}

bool DecodeHash(std::string_view in, size_t* pos, uint8_t type, DumpValue* v) {
  std::vector<std::string> flat;
  if (type == kTypeHash) {
    uint64_t n;
    if (!ReadCount(in, pos, 2, &n)) return false;
    for (uint64_t i = 0; i < 2 * n; ++i) {
      std::string e;
      if (!ReadString(in, pos, &e)) return false;
      flat.push_back(std::move(e));
    }
  } else if (!ReadBlob(in, pos, type == kTypeHashListpack ? ParseListpack : ParseZiplist, &flat)) {
    return false;
  }
  if (flat.empty() || flat.size() % 2 != 0) return false;
  std::set<std::string_view> seen;
  for (size_t i = 0; i < flat.size(); i += 2) {
    if (!seen.insert(flat[i]).second) return false;  // duplicate field
  }
  for (size_t i = 0; i < flat.size(); i += 2) v->pairs.emplace_back(std::move(flat[i]), std::move(flat[i + 1]));
  return true;
}

bool DecodeSet(std::string_view in, size_t* pos, uint8_t type, DumpValue* v) {
  if (type == kTypeSetIntset) {
    return ReadBlob(in, pos, ParseIntset, &v->items);  // non-empty, ascending: distinct
  }
  uint64_t n;
  if (!ReadCount(in, pos, 1, &n) || n == 0) return false;
  std::set<std::string> seen;
  for (uint64_t i = 0; i < n; ++i) {
    std::string e;
    if (!ReadString(in, pos, &e) || !seen.insert(e).second) return false;
    v->items.push_back(std::move(e));
  }
  return true;
}

bool DecodeZSet(std::string_view in, size_t* pos, uint8_t type, DumpValue* v) {
  std::vector<ZEntry> entries;
  if (type == kTypeZSet || type == kTypeZSet2) {
    uint64_t n;
    if (!ReadCount(in, pos, 2, &n)) return false;
    for (uint64_t i = 0; i < n; ++i) {
      ZEntry e;
      if (!ReadString(in, pos, &e.member)) return false;
      bool ok = type == kTypeZSet2 ? ReadBinaryDouble(in, pos, &e.score)
                                   : ReadAsciiDouble(in, pos, &e.score);
      if (!ok || std::isnan(e.score)) return false;
      entries.push_back(std::move(e));
    }
  } else {
    std::vector<std::string> flat;
    if (!ReadBlob(in, pos, type == kTypeZSetListpack ? ParseListpack : ParseZiplist, &flat)) return false;
    if (flat.size() % 2 != 0) return false;
    for (size_t i = 0; i < flat.size(); i += 2) {
      ZEntry e{std::move(flat[i]), 0};
      if (!ParseScore(flat[i + 1], &e.score)) return false;
      entries.push_back(std::move(e));
    }
  }
  if (entries.empty()) return false;
  std::set<std::string_view> seen;
  for (const auto& e : entries) {
    if (!seen.insert(e.member).second) return false;  // duplicate member
  }
  std::sort(entries.begin(), entries.end(), [](const ZEntry& a, const ZEntry& b) {
    return a.score != b.score ? a.score < b.score : a.member < b.member;
  });
  v->zset = std::move(entries);
  return true;
}

}  // namespace

std::string EncodeObject(const DumpValue& v) {
  std::string out;
  switch (v.type) {
    case ValueType::kString:
      out.push_back(static_cast<char>(kTypeString));
      AppendStringObject(&out, v.str);
      break;
    case ValueType::kList:
      EncodeList(v, &out);
      break;
    case ValueType::kHash:
      EncodeHash(v, &out);
      break;
    case ValueType::kSet:
      EncodeSet(v, &out);
      break;
    case ValueType::kZSet:
      EncodeZSet(v, &out);
      break;
    case ValueType::kStream:
      out.push_back(static_cast<char>(kTypeStreamListpacks2));
      EncodeStream(v.stream, &out);
      break;
  }
  return out;
}

bool DecodeObject(std::string_view body, DumpValue* out) {
  *out = DumpValue();
  if (body.empty()) return false;
  const auto type = static_cast<uint8_t>(body[0]);
  size_t pos = 1;
  switch (type) {
    case kTypeString:
      out->type = ValueType::kString;
      return ReadString(body, &pos, &out->str);
    case kTypeList:
    case kTypeListZiplist:
    case kTypeListQuicklist:
    case kTypeListQuicklist2:
      out->type = ValueType::kList;
      return DecodeList(body, &pos, type, out);
    case kTypeHash:
    case kTypeHashZiplist:
    case kTypeHashListpack:
      out->type = ValueType::kHash;
      return DecodeHash(body, &pos, type, out);
    case kTypeSet:
    case kTypeSetIntset:
      out->type = ValueType::kSet;
      return DecodeSet(body, &pos, type, out);
    case kTypeZSet:
    case kTypeZSet2:
    case kTypeZSetZiplist:
    case kTypeZSetListpack:
      out->type = ValueType::kZSet;
      return DecodeZSet(body, &pos, type, out);
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2:
      out->type = ValueType::kStream;
      return DecodeStream(body, &pos, type, &out->stream);
    default:
      return false;  // zipmap hashes, modules, unknown types
  }
}

}  // namespace petacore::commands::rdb
