// keyspace_family.cc — DEL, EXISTS, TYPE, KEYS, DBSIZE, FLUSHDB, FLUSHALL, SELECT: commands
// on keys whatever their type.
#include <cstdint>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/glob.h"
#include "commands/key_access.h"
#include "commands/notify.h"
#include "commands/scan_cursor.h"
#include "commands/table.h"
#include "keyspace/encoding.h"

namespace petacore::commands {
namespace {

using keyspace::DbEnd;
using keyspace::DbStart;
using keyspace::types::DeleteKey;
using keyspace::types::KeyType;

void Del(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (DeleteKey(ctx.txn, ctx.Key(ctx.args[i]))) {
      NotifyDel(ctx, ctx.args[i]);
      ++n;
    }
  }
  ctx.out.Integer(n);
}

void Exists(CommandContext& ctx) {
  int64_t n = 0;  // a key named twice counts twice, as in Redis
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (ctx.txn.Get(ctx.Key(ctx.args[i]))) ++n;
  }
  ctx.out.Integer(n);
}

void Type(CommandContext& ctx) {
  auto type = KeyType(ctx.txn, ctx.Key(ctx.args[1]));
  ctx.out.Simple(type ? keyspace::TypeName(*type) : "none");
}

void Keys(CommandContext& ctx) {
  std::string_view pattern = ctx.args[1];
  bool all_keys = pattern == "*";  // as Redis: also matches the empty key
  // Only keys starting with the pattern's literal prefix can match: scan just their range.
  auto [start, end] = KeyPrefixRange(ctx.session.db, GlobLiteralPrefix(pattern));
  std::vector<std::string> keys;
  ForEachKey(ctx.txn, start, end, [&](std::string_view key, std::string_view) {
    auto d = keyspace::DecodeKey(key);
    if (d && (all_keys || GlobMatch(pattern, d->user_key))) keys.push_back(std::move(d->user_key));
    return true;
  });
  ctx.out.ArrayHeader(keys.size());
  for (const auto& k : keys) ctx.out.Bulk(k);
}

int64_t CountKeys(CommandContext& ctx, int db) {
  int64_t n = 0;
  ForEachKey(ctx.txn, DbStart(db), DbEnd(db), [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

void DbSize(CommandContext& ctx) { ctx.out.Integer(CountKeys(ctx, ctx.session.db)); }

bool FlushModeOk(CommandContext& ctx) {
  if (ctx.args.size() == 1) return true;
  if (ctx.args.size() == 2 &&
      (EqualsIgnoreCase(ctx.args[1], "async") || EqualsIgnoreCase(ctx.args[1], "sync"))) {
    return true;
  }
  ctx.out.Error(kErrSyntax);
  return false;
}

void FlushDb(CommandContext& ctx) {
  if (!FlushModeOk(ctx)) return;
  // A database of more than TxnView::kTombstoneMinKeys keys goes by a range tombstone
  // (replication/range_tombstone.h): O(1) in etcd, where a DeleteRange is O(keys).
  ctx.txn.DeleteRange(DbStart(ctx.session.db), DbEnd(ctx.session.db));
  ctx.out.Ok();
}

void FlushAll(CommandContext& ctx) {
  if (!FlushModeOk(ctx)) return;
  for (int db = 0; db < keyspace::kNumDatabases; ++db) {
    ctx.txn.DeleteRange(DbStart(db), DbEnd(db));  // a tombstone above kTombstoneMinKeys
  }
  ctx.out.Ok();
}

void Select(CommandContext& ctx) {
  int64_t db;
  if (!ParseInt64(ctx.args[1], &db)) return ctx.out.Error(kErrNotInteger);
  if (db < INT32_MIN || db > INT32_MAX) {  // Redis's getIntFromObjectOrReply
    return ctx.out.Error(kErrNotInt32);
  }
  if (db < 0 || db >= keyspace::kNumDatabases) {
    return ctx.out.Error(kErrDbIndexOutOfRange);
  }
  ctx.session.db = static_cast<int>(db);
  ctx.out.Ok();
}

}  // namespace

void RegisterKeyspaceFamily(CommandTable& t) {
  t.Add({.name = "del",
         .arity = -2,
         .flags = kWrite,
         .acl = acl::kKeyspace | acl::kWrite | acl::kSlow,
         .key_specs = {{.flags = kKeyRM | kKeyDelete, .begin = Index(1), .find = Range(-1, 1, 0)}},
         .tips = {"request_policy:multi_shard", "response_policy:agg_sum"},
         .handler = WithKeyEvents<Del>})
      .Add({.name = "unlink",
            .arity = -2,
            .flags = kWrite | kFast,
            .acl = acl::kKeyspace | acl::kWrite | acl::kFast,
            .key_specs = {{.flags = kKeyRM | kKeyDelete,
                           .begin = Index(1),
                           .find = Range(-1, 1, 0)}},
            .tips = {"request_policy:multi_shard", "response_policy:agg_sum"},
            .handler = WithKeyEvents<Del>})
      .Add({.name = "exists",
            .arity = -2,
            .flags = kReadOnly | kFast,
            .acl = acl::kKeyspace | acl::kRead | acl::kFast,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(-1, 1, 0)}},
            .tips = {"request_policy:multi_shard", "response_policy:agg_sum"},
            .handler = Exists})
      .Add({.name = "type",
            .arity = 2,
            .flags = kReadOnly | kFast,
            .acl = acl::kKeyspace | acl::kRead | acl::kFast,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(0, 1, 0)}},
            .handler = Type})
      .Add({.name = "keys",
            .arity = 2,
            .flags = kReadOnly,
            .acl = acl::kKeyspace | acl::kRead | acl::kSlow | acl::kDangerous,
            .tips = {"request_policy:all_shards", "nondeterministic_output_order"},
            .handler = Keys})
      .Add({.name = "dbsize",
            .arity = 1,
            .flags = kReadOnly | kFast,
            .acl = acl::kKeyspace | acl::kRead | acl::kFast,
            .tips = {"request_policy:all_shards", "response_policy:agg_sum"},
            .handler = DbSize})
      .Add({.name = "flushdb",
            .arity = -1,
            .flags = kWrite,
            .acl = acl::kKeyspace | acl::kWrite | acl::kSlow | acl::kDangerous,
            .tips = {"request_policy:all_shards", "response_policy:all_succeeded"},
            .handler = WithKeyEvents<FlushDb>})
      .Add({.name = "flushall",
            .arity = -1,
            .flags = kWrite,
            .acl = acl::kKeyspace | acl::kWrite | acl::kSlow | acl::kDangerous,
            .tips = {"request_policy:all_shards", "response_policy:all_succeeded"},
            .handler = WithKeyEvents<FlushAll>})
      .Add({.name = "select",
            .arity = 2,
            .flags = kLoading | kStale | kFast | kSelectsDb,
            .acl = acl::kFast | acl::kConnection,
            .handler = Select});
}

}  // namespace petacore::commands
