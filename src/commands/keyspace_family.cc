// keyspace_family.cc — DEL, EXISTS, TYPE, KEYS, DBSIZE, FLUSHDB, FLUSHALL, SELECT: commands
// on keys whatever their type.
#include <cstdint>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/glob.h"
#include "commands/key_access.h"
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
    if (DeleteKey(ctx.txn, ctx.Key(ctx.args[i]))) ++n;
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
  ctx.txn.DeleteRange(DbStart(ctx.session.db), DbEnd(ctx.session.db));
  ctx.out.Ok();
}

void FlushAll(CommandContext& ctx) {
  if (!FlushModeOk(ctx)) return;
  ctx.txn.DeleteRange(DbStart(0), DbEnd(keyspace::kNumDatabases - 1));
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
  t.Add({"del", -2, kWrite, 1, -1, 1, Del})
      .Add({"unlink", -2, kWrite | kFast, 1, -1, 1, Del})
      .Add({"exists", -2, kReadOnly | kFast, 1, -1, 1, Exists})
      .Add({"type", 2, kReadOnly | kFast, 1, 1, 1, Type})
      .Add({"keys", 2, kReadOnly, 0, 0, 0, Keys})
      .Add({"dbsize", 1, kReadOnly | kFast, 0, 0, 0, DbSize})
      .Add({"flushdb", -1, kWrite, 0, 0, 0, FlushDb})
      .Add({"flushall", -1, kWrite, 0, 0, 0, FlushAll})
      .Add({"select", 2, kLoading | kStale | kFast, 0, 0, 0, Select});
}

}  // namespace petacore::commands
