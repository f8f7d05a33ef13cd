// generic_family.cc — RENAME, RENAMENX, COPY, MOVE, SWAPDB, RANDOMKEY, SCAN and OBJECT: commands
// on whole keys of any type, with Redis 7.0's replies and error texts.
//
// A Redis key owns the store range [meta, KeyEnd(meta)) (its meta key and, for collections,
// every subkey), so moving a key anywhere is: copy each store key of that range to the new
// meta key's prefix and delete the old range, all in the one Txn the command is
// (keyspace::types::CopyKey, which compares the source and guards its range; SWAPDB is
// keyspace::types::SwapDatabases). A collection of more than incarnation-min-subkeys
// subkeys goes through an incarnation instead, and one that has an incarnation moves by its
// meta key alone (keyspace/incarnation.h).
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "commands/context.h"
#include "commands/glob.h"
#include "commands/key_access.h"
#include "commands/notify.h"
#include "commands/scan_cursor.h"
#include "commands/table.h"
#include "keyspace/access.h"
#include "keyspace/encoding.h"
#include "keyspace/incarnation.h"

namespace petacore::commands {
namespace {

using keyspace::DbEnd;
using keyspace::DbStart;
using keyspace::KeyEnd;
using keyspace::PrefixEnd;
using keyspace::ValueType;
using keyspace::types::DeleteKey;
using keyspace::types::KeyType;
using keyspace::types::ScanSubkeys;
constexpr int kGenericEvents = keyspace::notify::kGeneric;

/// SWAPDB rewrites both databases in one Txn: a put per store key plus a delete per key not
/// overwritten, and a compare per key read. 5,000 store keys keep that within etcd's
/// --max-txn-ops 10,000 (scripts/start-etcd.sh).
constexpr size_t kSwapDbMaxStoreKeys = 5000;

/// Redis's getIntFromObjectOrReply for a DB index: replies the error and returns false.
bool ParseDbIndex(CommandContext& ctx, std::string_view arg, int* db) {
  int64_t v;
  if (!ParseInt64(arg, &v)) {
    ctx.out.Error(kErrNotInteger);
    return false;
  }
  if (v < INT32_MIN || v > INT32_MAX) {
    ctx.out.Error(kErrNotInt32);
    return false;
  }
  if (v < 0 || v >= keyspace::kNumDatabases) {
    ctx.out.Error(kErrDbIndexOutOfRange);
    return false;
  }
  *db = static_cast<int>(v);
  return true;
}

// Above this many subkeys a moved or copied collection goes through an incarnation.
size_t IncarnationMinSubkeys(CommandContext& ctx) {
  return static_cast<size_t>(ctx.server.Options().incarnation_min_subkeys.get());
}

void DeleteKeyRange(CommandContext& ctx, const std::string& meta_key) {
  ctx.txn.DeleteRange(meta_key, KeyEnd(meta_key));
}

void RenameGeneric(CommandContext& ctx, bool nx) {
  std::string src = ctx.Key(ctx.args[1]);
  std::string dst = ctx.Key(ctx.args[2]);
  if (!KeyType(ctx.txn, src)) return ctx.out.Error(kErrNoSuchKey);
  if (src == dst) return nx ? ctx.out.Integer(0) : ctx.out.Ok();
  if (KeyType(ctx.txn, dst)) {
    if (nx) return ctx.out.Integer(0);
    DeleteKey(ctx.txn, dst);
  }
  keyspace::types::CopyKey(ctx.txn, src, dst, /*move=*/true, IncarnationMinSubkeys(ctx));
  DeleteKeyRange(ctx, src);
  // As Redis: the destination is deleted and added again, so it is "new" even when it existed.
  NotifyNew(ctx, ctx.args[2]);
  ctx.Notify(kGenericEvents, "rename_from", ctx.args[1]);
  ctx.Notify(kGenericEvents, "rename_to", ctx.args[2]);
  nx ? ctx.out.Integer(1) : ctx.out.Ok();
}

void Rename(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]
void Copy(CommandContext& ctx) {
  int db = ctx.session.db;
  bool replace = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    if (EqualsIgnoreCase(ctx.args[i], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.args[i], "db") && i + 1 < ctx.args.size()) {
      if (!ParseDbIndex(ctx, ctx.args[++i], &db)) return;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  if (db == ctx.session.db && ctx.args[1] == ctx.args[2]) return ctx.out.Error(kErrSameObject);
  std::string src = ctx.Key(ctx.args[1]);
  std::string dst = keyspace::EncodeKey(db, ctx.args[2]);
  if (!KeyType(ctx.txn, src)) return ctx.out.Integer(0);
  if (KeyType(ctx.txn, dst)) {
    if (!replace) return ctx.out.Integer(0);
    DeleteKey(ctx.txn, dst);
  }
  keyspace::types::CopyKey(ctx.txn, src, dst, /*move=*/false, IncarnationMinSubkeys(ctx));
  ctx.NotifyIn(db, keyspace::notify::kNew, "new", ctx.args[2]);
  ctx.NotifyIn(db, kGenericEvents, "copy_to", ctx.args[2]);
  ctx.out.Integer(1);
}

// MOVE key db
void Move(CommandContext& ctx) {
  int db;
  if (!ParseDbIndex(ctx, ctx.args[2], &db)) return;
  if (db == ctx.session.db) return ctx.out.Error(kErrSameObject);
  std::string src = ctx.Key(ctx.args[1]);
  std::string dst = keyspace::EncodeKey(db, ctx.args[1]);
  if (!KeyType(ctx.txn, src) || KeyType(ctx.txn, dst)) return ctx.out.Integer(0);
  keyspace::types::CopyKey(ctx.txn, src, dst, /*move=*/true, IncarnationMinSubkeys(ctx));
  DeleteKeyRange(ctx, src);
  ctx.NotifyIn(db, keyspace::notify::kNew, "new", ctx.args[1]);
  ctx.Notify(kGenericEvents, "move_from", ctx.args[1]);
  ctx.NotifyIn(db, kGenericEvents, "move_to", ctx.args[1]);
  ctx.out.Integer(1);
}

// SWAPDB index1 index2 — rewrites both databases in one Txn (see kSwapDbMaxStoreKeys).
void SwapDb(CommandContext& ctx) {
  int64_t a, b;
  if (!ParseInt64(ctx.args[1], &a) || a < INT32_MIN || a > INT32_MAX) {
    return ctx.out.Error("ERR invalid first DB index");
  }
  if (!ParseInt64(ctx.args[2], &b) || b < INT32_MIN || b > INT32_MAX) {
    return ctx.out.Error("ERR invalid second DB index");
  }
  if (a < 0 || a >= keyspace::kNumDatabases || b < 0 || b >= keyspace::kNumDatabases) {
    return ctx.out.Error(kErrDbIndexOutOfRange);
  }
  if (a == b) return ctx.out.Ok();
  if (!keyspace::types::SwapDatabases(ctx.txn, static_cast<int>(a), static_cast<int>(b),
                                      kSwapDbMaxStoreKeys)) {
    return ctx.out.Error("ERR SWAPDB of databases this large is not supported");
  }
  ctx.out.Ok();
}

/// The first meta key in [start, end), or empty.
std::string FirstKey(CommandContext& ctx, std::string_view start, std::string_view end) {
  std::string first;
  ForEachKey(ctx.txn, start, end, [&](std::string_view key, std::string_view) {
    first.assign(key);
    return false;
  });
  return first;
}


std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

/// A random meta key of a large database without counting it: walk down the key trie, at each
/// level choosing uniformly among the next bytes that some key continues with (found by
/// probing), until the prefix is a whole meta key. Every key can come out; keys in sparse
/// branches come out more often than in a uniform draw (Redis's own pick is not uniform
/// either).
std::string RandomDescent(CommandContext& ctx, int db) {
  std::string prefix = DbStart(db);
  for (;;) {
    std::string end = PrefixEnd(prefix);
    std::string first = FirstKey(ctx, prefix, end);
    if (first.empty() || first.size() == prefix.size()) return first;
    std::vector<char> next;
    for (std::string probe = prefix; !first.empty();) {
      unsigned char c = static_cast<unsigned char>(first[prefix.size()]);
      next.push_back(static_cast<char>(c));
      if (c == 0xff) break;
      probe.resize(prefix.size());
      probe.push_back(static_cast<char>(c + 1));
      first = FirstKey(ctx, probe, end);
    }
    prefix.push_back(next[std::uniform_int_distribution<size_t>(0, next.size() - 1)(Rng())]);
  }
}

void RandomKey(CommandContext& ctx) {
  // Small databases: an exact uniform draw over their keys; larger ones: RandomDescent.
  constexpr size_t kSample = 256;
  int db = ctx.session.db;
  std::vector<std::string> keys;
  ForEachKey(ctx.txn, DbStart(db), DbEnd(db), [&](std::string_view key, std::string_view) {
    keys.emplace_back(key);
    return keys.size() <= kSample;
  });
  if (keys.empty()) return ctx.out.NullBulk();
  std::string meta = keys.size() <= kSample
                         ? keys[std::uniform_int_distribution<size_t>(0, keys.size() - 1)(Rng())]
                         : RandomDescent(ctx, db);
  auto d = keyspace::DecodeKey(meta);
  if (!d) return ctx.out.NullBulk();
  ctx.out.Bulk(d->user_key);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] — COUNT keys examined per call, in
// key order; the cursor names the last key examined (scan_cursor.h).
void Scan(CommandContext& ctx) {
  ScanOptions opt;
  if (!ParseScanOptions(ctx, 1, true, &opt)) return;
  int db = ctx.session.db;
  // Keys outside the pattern's literal prefix cannot match: skip them without examining.
  auto [start, end] = KeyPrefixRange(db, opt.has_pattern ? GlobLiteralPrefix(opt.pattern) : "");
  if (opt.cursor != 0) {
    auto after = LoadCursor(opt.cursor);
    if (!after) return ReplyScan(ctx, 0, {});  // unknown or evicted: end the iteration
    std::string resume = KeyEnd(*after);
    if (resume > start) start = std::move(resume);
  }
  std::vector<std::string> items;
  std::string last;
  int64_t examined = 0;
  bool more = false;
  if (start < end) {
    ForEachKey(ctx.txn, start, end, [&](std::string_view key, std::string_view value) {
      if (examined == opt.count) {  // one key beyond the page: the iteration goes on
        more = true;
        return false;
      }
      ++examined;
      last.assign(key);
      if (opt.type) {
        auto v = keyspace::DecodeValue(value);
        if (!v || v->type != *opt.type) return true;
      }
      auto d = keyspace::DecodeKey(key);
      if (d && (!opt.has_pattern || GlobMatch(opt.pattern, d->user_key))) {
        items.push_back(std::move(d->user_key));
      }
      return true;
    });
  }
  ReplyScan(ctx, more ? SaveCursor(std::move(last)) : 0, items);
}

/// Redis 7.0's OBJECT ENCODING name for the value at `meta_key`, from its current contents
/// and Redis's default thresholds.
std::string_view Encoding(CommandContext& ctx, const std::string& meta_key,
                          const keyspace::ValueView& v) {
  // The thresholds are the cluster-wide options of the same names (CONFIG SET on any node).
  const auto& c = ctx.server.Options();
  const size_t kHashListpackEntries = static_cast<size_t>(c.hash_max_listpack_entries.get());
  const size_t kZSetListpackEntries = static_cast<size_t>(c.zset_max_listpack_entries.get());
  const size_t kHashListpackValue = static_cast<size_t>(c.hash_max_listpack_value.get());
  const size_t kZSetListpackValue = static_cast<size_t>(c.zset_max_listpack_value.get());
  const size_t kIntsetEntries = static_cast<size_t>(c.set_max_intset_entries.get());
  const std::string kt_elements = keyspace::ElementBase(meta_key, v);  // incarnation.h
  switch (v.type) {
    case ValueType::kString: {
      int64_t n;
      if (v.chunked) return "raw";  // a large value in chunks (keyspace/chunked_value.h)
      if (ParseInt64(v.payload, &n)) return "int";
      return v.payload.size() <= 44 ? "embstr" : "raw";
    }
    case ValueType::kList:
      return "quicklist";  // Redis 7.0 has no listpack-encoded lists
    case ValueType::kHash:
    case ValueType::kZSet: {
      bool small = true;
      size_t n = 0;
      char tag = v.type == ValueType::kHash ? keyspace::kHashFieldTag : keyspace::kZSetMemberTag;
      size_t max_entries =
          v.type == ValueType::kHash ? kHashListpackEntries : kZSetListpackEntries;
      ScanSubkeys(ctx.txn, kt_elements, tag, [&](std::string_view elem, std::string_view value) {
        size_t max_value =
            v.type == ValueType::kHash ? kHashListpackValue : kZSetListpackValue;
        bool long_value = v.type == ValueType::kHash && value.size() > max_value;
        small = ++n <= max_entries && elem.size() <= max_value && !long_value;
        return small;
      });
      if (v.type == ValueType::kHash) return small ? "listpack" : "hashtable";
      return small ? "listpack" : "skiplist";
    }
    case ValueType::kSet: {
      bool intset = true;
      size_t n = 0;
      ScanSubkeys(ctx.txn, kt_elements, keyspace::kSetMemberTag,
                  [&](std::string_view elem, std::string_view) {
                    int64_t i;
                    intset = ++n <= kIntsetEntries && ParseInt64(elem, &i);
                    return intset;
                  });
      return intset ? "intset" : "hashtable";
    }
    case ValueType::kStream:
      return "stream";
  }
  return "raw";
}

// OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key, OBJECT HELP — a container command in Redis 7.0,
// whose subcommands have their own arity.
void Object(CommandContext& ctx) {
  std::string_view sub = ctx.args[1];
  static constexpr std::string_view kSubs[] = {"encoding", "refcount", "idletime", "freq",
                                               "help"};
  std::string_view name;
  for (auto s : kSubs) {
    if (EqualsIgnoreCase(sub, s)) name = s;
  }
  if (name.empty()) {
    return ctx.out.Error(ErrUnknownSubcommand(sub, "OBJECT"));
  }
  if (ctx.args.size() != (name == "help" ? 2u : 3u)) {
    return ctx.out.Error(ErrWrongArgs("object|" + std::string(name)));
  }
  if (name == "help") {
    static constexpr std::string_view kHelp[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help."};
    ctx.out.ArrayHeader(std::size(kHelp));
    for (auto line : kHelp) ctx.out.Simple(line);
    return;
  }
  // As Redis's LOOKUP_NOTOUCH: OBJECT does not count as an access of the key it reports on
  // (restored after, for the commands a script or EXEC runs next on the same view).
  bool touch = ctx.txn.touch();
  ctx.txn.set_touch(false);
  std::string meta = ctx.Key(ctx.args[2]);
  auto raw = ctx.txn.Get(meta);
  ctx.txn.set_touch(touch);
  if (!raw) return ctx.out.NullBulk();
  auto v = keyspace::DecodeValue(*raw);
  if (!v) return ctx.out.NullBulk();
  if (name == "encoding") return ctx.out.Bulk(Encoding(ctx, meta, *v));
  if (name == "refcount") {
    // Redis shares the integer objects 0..9999 (refcount INT_MAX); every other value is 1.
    int64_t n;
    bool shared = v->type == ValueType::kString && ParseInt64(v->payload, &n) && n >= 0 &&
                  n < 10000;
    return ctx.out.Integer(shared ? INT32_MAX : 1);
  }
  // This node's access record (keyspace/access.h); a key this view wrote itself is new.
  int64_t now = ctx.txn.now_ms();
  mvcc::AccessRecord record =
      ctx.txn.Access(meta).value_or(mvcc::AccessRecord::Fresh(now));
  bool lfu = keyspace::GetAccessSettings().lfu;
  if (name == "idletime") {
    if (lfu) {
      return ctx.out.Error(
          "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that "
          "when switching between policies at runtime LRU and LFU data will take some time to "
          "adjust.");
    }
    return ctx.out.Integer(keyspace::IdleMs(record, now) / 1000);
  }
  if (!lfu) {
    return ctx.out.Error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
        "note that when switching between policies at runtime LRU and LFU data will take some "
        "time to adjust.");
  }
  ctx.out.Integer(keyspace::LfuCounter(record, now));
}

// TOUCH key [key ...] — the number of the keys that exist (a key named twice counts twice, as
// Redis). Reading each key is what updates its access record on this node (OBJECT IDLETIME,
// FREQ), as Redis's lookupKeyRead.
void Touch(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    ctx.txn.NextAccessCommand();  // a key named twice is touched twice, as Redis
    if (ctx.txn.Get(ctx.Key(ctx.args[i]))) ++n;
  }
  ctx.out.Integer(n);
}

}  // namespace

void RegisterGenericFamily(CommandTable& t) {
  t.Add({.name = "rename",
         .arity = 3,
         .flags = kWrite,
         .acl = acl::kKeyspace | acl::kWrite | acl::kSlow,
         .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                        .begin = Index(1),
                        .find = Range(0, 1, 0)},
                       {.flags = kKeyOW | kKeyUpdate, .begin = Index(2), .find = Range(0, 1, 0)}},
         .handler = WithKeyEvents<Rename>})
      .Add(
          {.name = "renamenx",
           .arity = 3,
           .flags = kWrite | kFast,
           .acl = acl::kKeyspace | acl::kWrite | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                          .begin = Index(1),
                          .find = Range(0, 1, 0)},
                         {.flags = kKeyOW | kKeyInsert, .begin = Index(2), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<RenameNx>})
      .Add(
          {.name = "copy",
           .arity = -3,
           .flags = kWrite | kDenyOom,
           .acl = acl::kKeyspace | acl::kWrite | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)},
                         {.flags = kKeyOW | kKeyUpdate, .begin = Index(2), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<Copy>})
      .Add({.name = "move",
            .arity = 3,
            .flags = kWrite | kFast,
            .acl = acl::kKeyspace | acl::kWrite | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<Move>})
      .Add({.name = "swapdb",
            .arity = 3,
            .flags = kWrite | kFast,
            .acl = acl::kKeyspace | acl::kWrite | acl::kFast | acl::kDangerous,
            .handler = WithKeyEvents<SwapDb>})
      .Add({.name = "touch",
            .arity = -2,
            .flags = kReadOnly | kFast,
            .acl = acl::kKeyspace | acl::kRead | acl::kFast,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(-1, 1, 0)}},
            .tips = {"request_policy:multi_shard", "response_policy:agg_sum"},
            .handler = Touch})
      .Add({.name = "randomkey",
            .arity = 1,
            .flags = kReadOnly,
            .acl = acl::kKeyspace | acl::kRead | acl::kSlow,
            .tips = {"request_policy:all_shards", "nondeterministic_output"},
            .handler = RandomKey})
      .Add({.name = "scan",
            .arity = -2,
            .flags = kReadOnly,
            .acl = acl::kKeyspace | acl::kRead | acl::kSlow,
            .tips = {"nondeterministic_output", "request_policy:special"},
            .handler = Scan})
      .Add({.name = "object",
            .arity = -2,
            .flags = 0,
            .acl = acl::kSlow,
            .subcommands = {
                {.name = "encoding",
                 .arity = 3,
                 .flags = kReadOnly,
                 .acl = acl::kKeyspace | acl::kRead | acl::kSlow,
                 .key_specs = {{.flags = kKeyRO, .begin = Index(2), .find = Range(0, 1, 0)}},
                 .tips = {"nondeterministic_output"},
                 .handler = Object},
                {.name = "refcount",
                 .arity = 3,
                 .flags = kReadOnly,
                 .acl = acl::kKeyspace | acl::kRead | acl::kSlow,
                 .key_specs = {{.flags = kKeyRO, .begin = Index(2), .find = Range(0, 1, 0)}},
                 .tips = {"nondeterministic_output"},
                 .handler = Object},
                {.name = "idletime",
                 .arity = 3,
                 .flags = kReadOnly,
                 .acl = acl::kKeyspace | acl::kRead | acl::kSlow,
                 .key_specs = {{.flags = kKeyRO, .begin = Index(2), .find = Range(0, 1, 0)}},
                 .tips = {"nondeterministic_output"},
                 .handler = Object},
                {.name = "freq",
                 .arity = 3,
                 .flags = kReadOnly,
                 .acl = acl::kKeyspace | acl::kRead | acl::kSlow,
                 .key_specs = {{.flags = kKeyRO, .begin = Index(2), .find = Range(0, 1, 0)}},
                 .tips = {"nondeterministic_output"},
                 .handler = Object},
                {.name = "help",
                 .arity = 2,
                 .flags = kLoading | kStale,
                 .acl = acl::kKeyspace | acl::kSlow,
                 .handler = Object}}});
}

}  // namespace petacore::commands
