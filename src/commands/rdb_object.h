// src/commands/rdb_object.h — a Redis value as a DUMP payload carries it (RDB type byte plus
// the value's RDB serialization, Redis 7.0's rdbSaveObject / rdbLoadObject), and its
// in-memory form between the payload and the type layer (DumpValue). Encoding picks what
// Redis 7.0 would with default limits: strings integer-encoded or raw (never LZF), lists as
// QUICKLIST_2 of listpacks (8 KiB nodes, list-max-listpack-size -2), hashes and sorted sets
// as listpacks up to 128 entries of at most 64 bytes, sets as intsets up to 512 integers,
// otherwise the plain HASH / SET / ZSET_2 forms; streams as STREAM_LISTPACKS_2 (rdb_stream.cc).
// Decoding reads every form Redis 7.0 loads for these types and validates deeply (what Redis
// does with sanitize-dump-payload yes), so no payload can crash or corrupt the server.
// Pure functions: thread-safe. Format references: rdb.c, listpack.c, ziplist.c, intset.c.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keyspace/encoding.h"
#include "keyspace/types/stream_group.h"
#include "keyspace/types/zset.h"

namespace petacore::commands::rdb {

/// RDB object types (rdb.h) that Redis 7.0 writes or still reads.
enum RdbType : uint8_t {
  kTypeString = 0,
  kTypeList = 1,
  kTypeSet = 2,
  kTypeZSet = 3,
  kTypeHash = 4,
  kTypeZSet2 = 5,
  kTypeHashZipmap = 9,
  kTypeListZiplist = 10,
  kTypeSetIntset = 11,
  kTypeZSetZiplist = 12,
  kTypeHashZiplist = 13,
  kTypeListQuicklist = 14,
  kTypeStreamListpacks = 15,
  kTypeHashListpack = 16,
  kTypeZSetListpack = 17,
  kTypeListQuicklist2 = 18,
  kTypeStreamListpacks2 = 19,
};

/// A consumer group as a payload carries it.
struct StreamGroupDump {
  std::string name;
  keyspace::types::StreamGroup group;
  std::vector<keyspace::types::StreamPending> pel;           ///< ID order, consumer named
  std::vector<std::pair<std::string, int64_t>> consumers;    ///< name, seen-time ms
};

/// A whole stream: metadata, live entries in ID order, groups.
struct StreamDump {
  keyspace::types::StreamMeta meta;
  std::vector<keyspace::types::StreamEntry> entries;
  std::vector<StreamGroupDump> groups;
};

/// One Redis value of any type, detached from the store.
struct DumpValue {
  keyspace::ValueType type = keyspace::ValueType::kString;
  std::string str;                                        ///< string
  std::vector<std::string> items;                         ///< list elements / set members
  std::vector<std::pair<std::string, std::string>> pairs;  ///< hash fields and values
  std::vector<keyspace::types::ZEntry> zset;              ///< (score, member) order
  StreamDump stream;
};

/// The RDB type byte and serialization of `v` (no version / CRC footer: see Seal).
std::string EncodeObject(const DumpValue& v);

/// Decodes `body` (a payload without its 10-byte footer) into `*out`. False for an unknown
/// type, any malformed or inconsistent content, or an empty collection (Redis's "Bad data
/// format").
bool DecodeObject(std::string_view body, DumpValue* out);

/// The stream parts (rdb_stream.cc): append the serialization (no type byte), and decode
/// from `*pos` the serialization of type `type` (kTypeStreamListpacks or ...2).
void EncodeStream(const StreamDump& s, std::string* out);
bool DecodeStream(std::string_view in, size_t* pos, uint8_t type, StreamDump* out);

}  // namespace petacore::commands::rdb
