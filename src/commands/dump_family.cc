// dump_family.cc — DUMP, RESTORE, RESTORE-ASKING and MIGRATE, as Redis 7.0 (cluster.c
// dumpCommand / restoreCommand / migrateCommand). The payload format is rdb_object.h's (the
// value) plus rdb_payload.h's footer (RDB version 10 and CRC-64); values move between the
// payload and the key space through dump_store.h (the type layer's own readers and writers,
// one commit). MIGRATE talks to the target with migrate_client.h, blocking this command's
// thread for at most its timeout per step.
//
// Where PetaCore differs from Redis 7.0:
// - DUMP never LZF-compresses strings (Redis does above 20 bytes); every Redis reads the
//   uncompressed form, and RESTORE here reads both.
// - RESTORE validates every payload deeply (Redis's sanitize-dump-payload yes), whatever the
//   option says: a corrupt payload is "Bad data format", never a crash.
// - IDLETIME / FREQ set this node's access record of the key once the commit is applied here
//   (ReplyRestored below); other nodes start it fresh (access data is per node).
// - MIGRATE keeps no socket cache (every call connects and sends SELECT) and does not retry
//   a failed connection. A MIGRATE whose commit must re-run (a concurrent write to one of
//   its keys) sends the keys again: with REPLACE that is harmless, without it the target
//   answers BUSYKEY, which MIGRATE reports as Redis would.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "commands/context.h"
#include "keyspace/access.h"
#include "commands/dump_store.h"
#include "commands/migrate_client.h"
#include "commands/notify.h"
#include "commands/rdb_object.h"
#include "commands/rdb_payload.h"
#include "commands/table.h"
#include "keyspace/types/key.h"

namespace petacore::commands {
namespace {

// The payload DUMP replies for `v`.
std::string DumpPayload(const rdb::DumpValue& v) {
  std::string payload = rdb::EncodeObject(v);
  rdb::Seal(&payload);
  return payload;
}

// DUMP key
void Dump(CommandContext& ctx) {
  auto v = ReadDumpValue(ctx.txn, ctx.Key(ctx.args[1]));
  if (!v) return ctx.out.NullBulk();
  ctx.out.Bulk(DumpPayload(*v));
}

// ---- LEAD: connect after merging h13 (per-key access record) ----------------------------
// RESTORE's reply, and its IDLETIME (seconds idle, >= 0, or -1 when not given) and FREQ (LFU
// counter 0..255, or -1) for the key just restored at `meta_key`, as Redis's
// objectSetLRUOrLFU(obj, freq, idle, lru_clock, 1000). The record is this node's
// (docs/consistency.md "Key access data"), so it is set once the commit is applied here; inside
// MULTI/EXEC or a script (no after-commit step) the restored key keeps a fresh record.
void ReplyRestored(CommandContext& ctx, const std::string& meta_key, int64_t lru_idle,
                   int64_t lfu_freq) {
  if ((lru_idle < 0 && lfu_freq < 0) || ctx.after_commit == nullptr) return ctx.out.Ok();
  const mvcc::Store* store = &ctx.txn.snapshot().store();
  *ctx.after_commit = [store, meta_key, lru_idle, lfu_freq](resp::ReplyWriter& out, int64_t) {
    keyspace::SetAccess(store->Read(), meta_key, lru_idle, lfu_freq, keyspace::NowMs());
    out.Ok();
  };
}
// ------------------------------------------------------------------------------------------

// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
// (RESTORE-ASKING: the same; Redis only marks it ASKING for cluster redirections.)
void Restore(CommandContext& ctx) {
  bool replace = false, absttl = false;
  int64_t lru_idle = -1, lfu_freq = -1;
  for (size_t j = 4; j < ctx.args.size(); ++j) {
    const size_t more = ctx.args.size() - j - 1;
    std::string_view opt = ctx.args[j];
    if (EqualsIgnoreCase(opt, "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(opt, "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(opt, "idletime") && more >= 1 && lfu_freq == -1) {
      if (!ParseInt64(ctx.args[++j], &lru_idle)) return ctx.out.Error(kErrNotInteger);
      if (lru_idle < 0) return ctx.out.Error("ERR Invalid IDLETIME value, must be >= 0");
    } else if (EqualsIgnoreCase(opt, "freq") && more >= 1 && lru_idle == -1) {
      if (!ParseInt64(ctx.args[++j], &lfu_freq)) return ctx.out.Error(kErrNotInteger);
      if (lfu_freq < 0 || lfu_freq > 255)
        return ctx.out.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  const std::string meta = ctx.Key(ctx.args[1]);
  const bool exists = keyspace::types::KeyType(ctx.txn, meta).has_value();
  if (!replace && exists) return ctx.out.Error("BUSYKEY Target key name already exists.");
  int64_t ttl;
  if (!ParseInt64(ctx.args[2], &ttl)) return ctx.out.Error(kErrNotInteger);
  if (ttl < 0) return ctx.out.Error("ERR Invalid TTL value, must be >= 0");
  std::string_view payload = ctx.args[3];
  uint16_t version;
  if (!rdb::Verify(payload, &version))
    return ctx.out.Error("ERR DUMP payload version or checksum are wrong");
  rdb::DumpValue v;
  if (!rdb::DecodeObject(payload.substr(0, payload.size() - 10), &v))
    return ctx.out.Error("ERR Bad data format");
  bool deleted = false;
  if (replace && exists) deleted = keyspace::types::DeleteKey(ctx.txn, meta);
  // Redis adds the clock to a relative TTL without an overflow check (a wrap is "expired").
  if (ttl != 0 && !absttl) ttl = static_cast<int64_t>(static_cast<uint64_t>(ttl) +
                                                      static_cast<uint64_t>(ctx.txn.now_ms()));
  if (ttl != 0 && ttl <= ctx.txn.now_ms()) {
    if (deleted) NotifyDel(ctx, ctx.args[1]);
    return ctx.out.Ok();
  }
  WriteDumpValue(ctx.txn, meta, v, ttl);
  NotifyNew(ctx, ctx.args[1]);
  ctx.Notify(keyspace::notify::kGeneric, "restore", ctx.args[1]);
  ReplyRestored(ctx, meta, lru_idle, lfu_freq);
}

void AppendCommand(std::string* out, const std::vector<std::string_view>& args) {
  out->append("*" + std::to_string(args.size()) + "\r\n");
  for (std::string_view a : args) {
    out->append("$" + std::to_string(a.size()) + "\r\n");
    out->append(a);
    out->append("\r\n");
  }
}

// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
//   [AUTH2 username password] [KEYS key [key ...]]
void Migrate(CommandContext& ctx) {
  const auto& args = ctx.args;
  bool copy = false, replace = false;
  std::string_view username, password;
  bool has_user = false, has_password = false;
  size_t first_key = 3, num_keys = 1;
  for (size_t j = 6; j < args.size(); ++j) {
    const size_t more = args.size() - 1 - j;
    if (EqualsIgnoreCase(args[j], "copy")) {
      copy = true;
    } else if (EqualsIgnoreCase(args[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(args[j], "auth")) {
      if (more < 1) return ctx.out.Error(kErrSyntax);
      password = args[++j], has_password = true;
    } else if (EqualsIgnoreCase(args[j], "auth2")) {
      if (more < 2) return ctx.out.Error(kErrSyntax);
      username = args[++j], has_user = true;
      password = args[++j], has_password = true;
    } else if (EqualsIgnoreCase(args[j], "keys")) {
      if (!args[3].empty())
        return ctx.out.Error(
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty "
            "string");
      first_key = j + 1;
      num_keys = args.size() - j - 1;
      break;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  int64_t timeout, dbid;
  if (!ParseInt64(args[5], &timeout) || !ParseInt64(args[4], &dbid))
    return ctx.out.Error(kErrNotInteger);
  if (timeout <= 0) timeout = 1000;

  struct Item {
    std::string_view key;
    std::string meta;
    std::string payload;
    int64_t ttl = 0;
  };
  std::vector<Item> items;
  for (size_t j = 0; j < num_keys; ++j) {
    Item it{args[first_key + j], ctx.Key(args[first_key + j]), {}, 0};
    auto v = ReadDumpValue(ctx.txn, it.meta);
    if (!v) continue;
    int64_t expire_at = keyspace::types::CurrentExpireAt(ctx.txn, it.meta);
    if (expire_at != 0) it.ttl = std::max<int64_t>(1, expire_at - ctx.txn.now_ms());
    it.payload = DumpPayload(*v);
    items.push_back(std::move(it));
  }
  if (items.empty()) return ctx.out.Simple("NOKEY");

  MigrateConnection conn;
  switch (conn.Connect(std::string(args[1]), std::string(args[2]), timeout)) {
    case MigrateConnection::ConnectResult::kOk:
      break;
    case MigrateConnection::ConnectResult::kFailed:
      return ctx.out.Error("IOERR error or timeout connecting to the client");
    case MigrateConnection::ConnectResult::kRefused:
      return ctx.out.Error("IOERR error or timeout writing to target instance");
  }
  std::string cmd;
  if (has_password) {
    if (has_user) AppendCommand(&cmd, {"AUTH", username, password});
    else AppendCommand(&cmd, {"AUTH", password});
  }
  const std::string db_text = std::to_string(dbid);
  AppendCommand(&cmd, {"SELECT", db_text});
  for (const Item& it : items) {
    const std::string ttl_text = std::to_string(it.ttl);
    std::vector<std::string_view> restore = {"RESTORE", it.key, ttl_text, it.payload};
    if (replace) restore.push_back("REPLACE");
    AppendCommand(&cmd, restore);
  }
  if (!conn.Write(cmd, timeout))
    return ctx.out.Error("IOERR error or timeout writing to target instance");
  std::string auth_reply, select_reply;
  if (has_password && !conn.ReadLine(&auth_reply, timeout))
    return ctx.out.Error("IOERR error or timeout reading to target instance");
  if (!conn.ReadLine(&select_reply, timeout))
    return ctx.out.Error("IOERR error or timeout reading to target instance");
  std::string error;  // the first error the target replied
  bool socket_error = false;
  for (const Item& it : items) {
    std::string reply;
    if (!conn.ReadLine(&reply, timeout)) {
      socket_error = true;
      break;
    }
    if (!auth_reply.empty() && auth_reply[0] == '-') {
      if (error.empty()) error = auth_reply.substr(1);
    } else if (!select_reply.empty() && select_reply[0] == '-') {
      if (error.empty()) error = select_reply.substr(1);
    } else if (!reply.empty() && reply[0] == '-') {
      if (error.empty()) error = reply.substr(1);
    } else if (!copy) {
      keyspace::types::DeleteKey(ctx.txn, it.meta);
      NotifyDel(ctx, it.key);
    }
  }
  if (!error.empty()) return ctx.out.Error("ERR Target instance replied with error: " + error);
  if (socket_error) return ctx.out.Error("IOERR error or timeout reading to target instance");
  ctx.out.Ok();
}

// MIGRATE's keys, as Redis's migrateGetKeys (its KEYS spec is incomplete, so Redis asks this):
// args[3], or the arguments after KEYS (none when args[3] is not empty then).
bool MigrateKeys(std::span<const std::string_view> args, std::vector<KeyRef>* out) {
  size_t first = 3, num = args.size() > 3 ? 1 : 0;
  for (size_t i = 6; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "keys")) {
      if (!args[3].empty()) {
        num = 0;
      } else {
        first = i + 1;
        num = args.size() - first;
      }
      break;
    }
    if (EqualsIgnoreCase(args[i], "auth")) i += 1;
    else if (EqualsIgnoreCase(args[i], "auth2")) i += 2;
  }
  for (size_t i = 0; i < num; ++i) {
    out->push_back({static_cast<int>(first + i), kKeyRW | kKeyAccess | kKeyDelete});
  }
  return true;
}

}  // namespace

void RegisterDumpFamily(CommandTable& t) {
  const KeySpec restore_key = {.flags = kKeyOW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)};
  t.Add({.name = "dump",
         .arity = 2,
         .flags = kReadOnly,
         .acl = acl::kKeyspace | acl::kRead | acl::kSlow,
         .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
         .tips = {"nondeterministic_output"},
         .handler = Dump})
      .Add({.name = "restore",
            .arity = -4,
            .flags = kWrite | kDenyOom,
            .acl = acl::kKeyspace | acl::kWrite | acl::kSlow | acl::kDangerous,
            .key_specs = {restore_key},
            .handler = WithKeyEvents<Restore>})
      .Add({.name = "restore-asking",
            .arity = -4,
            .flags = kWrite | kDenyOom | kAsking,
            .acl = acl::kKeyspace | acl::kWrite | acl::kSlow | acl::kDangerous,
            .key_specs = {restore_key},
            .handler = WithKeyEvents<Restore>})
      .Add({.name = "migrate",
            .arity = -6,
            .flags = kWrite,
            .acl = acl::kKeyspace | acl::kWrite | acl::kSlow | acl::kDangerous,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                           .begin = Index(3),
                           .find = Range(0, 1, 0)},
                          {.flags = kKeyRW | kKeyAccess | kKeyDelete | kKeyIncomplete,
                           .begin = Keyword("KEYS", -2),
                           .find = Range(-1, 1, 0)}},
            .tips = {"nondeterministic_output"},
            .handler = WithKeyEvents<Migrate>,
            .keys_function = MigrateKeys});
}

}  // namespace petacore::commands
