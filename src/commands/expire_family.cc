// expire_family.cc — EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME,
// PERSIST: key TTLs as Redis 7.0 answers them. A TTL is the expire-at slot of the key's meta
// value (docs/encoding.md), so it works on every type; expired keys read as absent through
// the TxnView (lazy expiry).
#include <limits>

#include "commands/context.h"
#include "commands/notify.h"
#include "commands/table.h"
#include "keyspace/encoding.h"
#include "keyspace/types/key.h"

namespace petacore::commands {
namespace {

namespace types = keyspace::types;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// EXPIRE key seconds [NX|XX|GT|LT] and its PEXPIRE/EXPIREAT/PEXPIREAT variants (Redis's
// expireGenericCommand): `basetime` is now (relative) or 0 (absolute).
void ExpireGeneric(CommandContext& ctx, bool relative, bool seconds, std::string_view name) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    auto a = ctx.args[i];
    if (EqualsIgnoreCase(a, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(a, "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(a, "gt")) {
      gt = true;
    } else if (EqualsIgnoreCase(a, "lt")) {
      lt = true;
    } else {
      return ctx.out.Error("ERR Unsupported option " + std::string(a));
    }
  }
  if (nx && (xx || gt || lt)) {
    return ctx.out.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) {
    return ctx.out.Error("ERR GT and LT options at the same time are not compatible");
  }
  int64_t when = 0;
  if (!ParseInt64(ctx.args[2], &when)) return ctx.out.Error(kErrNotInteger);
  auto invalid = [&] {
    ctx.out.Error(ErrInvalidExpire(name));
  };
  if (seconds) {
    if (when > kMax / 1000 || when < kMin / 1000) return invalid();
    when *= 1000;
  }
  int64_t now = ctx.txn.now_ms();
  if (relative && __builtin_add_overflow(when, now, &when)) return invalid();

  std::string key = ctx.Key(ctx.args[1]);
  auto at = types::ReadExpireAt(ctx.txn, key);
  if (!at) return ctx.out.Integer(0);
  int64_t current = *at == 0 ? -1 : *at;
  if (nx && current != -1) return ctx.out.Integer(0);
  if (xx && current == -1) return ctx.out.Integer(0);
  if (gt && (current == -1 || when <= current)) return ctx.out.Integer(0);
  if (lt && current != -1 && when >= current) return ctx.out.Integer(0);
  // A time in the past (when <= now) deletes the key whole, as Redis does.
  bool past = when <= now;
  if (past) when = now;
  types::SetExpireAt(ctx.txn, key, when);
  ctx.Notify(keyspace::notify::kGeneric, past ? "del" : "expire", ctx.args[1]);
  ctx.out.Integer(1);
}

void Expire(CommandContext& ctx) { ExpireGeneric(ctx, true, true, "expire"); }
void PExpire(CommandContext& ctx) { ExpireGeneric(ctx, true, false, "pexpire"); }
void ExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, false, true, "expireat"); }
void PExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, false, false, "pexpireat"); }

// Redis's ttlGenericCommand.
void TtlGeneric(CommandContext& ctx, bool output_ms, bool output_abs) {
  auto at = types::ReadExpireAt(ctx.txn, ctx.Key(ctx.args[1]));
  if (!at) return ctx.out.Integer(-2);
  if (*at == 0) return ctx.out.Integer(-1);
  int64_t ttl = output_abs ? *at : *at - ctx.txn.now_ms();
  if (ttl < 0) ttl = 0;
  ctx.out.Integer(output_ms ? ttl : (ttl + 500) / 1000);
}

void Ttl(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
void PTtl(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void ExpireTime(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
void PExpireTime(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

void Persist(CommandContext& ctx) {
  std::string key = ctx.Key(ctx.args[1]);
  auto at = types::ReadExpireAt(ctx.txn, key);
  if (!at || *at == 0) return ctx.out.Integer(0);
  types::SetExpireAt(ctx.txn, key, 0);
  ctx.Notify(keyspace::notify::kGeneric, "persist", ctx.args[1]);
  ctx.out.Integer(1);
}

}  // namespace

void RegisterExpireFamily(CommandTable& t) {
  t.Add({.name = "expire",
         .arity = -3,
         .flags = kWrite | kFast,
         .acl = acl::kKeyspace | acl::kWrite | acl::kFast,
         .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
         .handler = WithKeyEvents<Expire>})
      .Add(
          {.name = "pexpire",
           .arity = -3,
           .flags = kWrite | kFast,
           .acl = acl::kKeyspace | acl::kWrite | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<PExpire>})
      .Add(
          {.name = "expireat",
           .arity = -3,
           .flags = kWrite | kFast,
           .acl = acl::kKeyspace | acl::kWrite | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<ExpireAt>})
      .Add(
          {.name = "pexpireat",
           .arity = -3,
           .flags = kWrite | kFast,
           .acl = acl::kKeyspace | acl::kWrite | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<PExpireAt>})
      .Add(
          {.name = "ttl",
           .arity = 2,
           .flags = kReadOnly | kFast,
           .acl = acl::kKeyspace | acl::kRead | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output"},
           .handler = Ttl})
      .Add(
          {.name = "pttl",
           .arity = 2,
           .flags = kReadOnly | kFast,
           .acl = acl::kKeyspace | acl::kRead | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output"},
           .handler = PTtl})
      .Add(
          {.name = "expiretime",
           .arity = 2,
           .flags = kReadOnly | kFast,
           .acl = acl::kKeyspace | acl::kRead | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ExpireTime})
      .Add(
          {.name = "pexpiretime",
           .arity = 2,
           .flags = kReadOnly | kFast,
           .acl = acl::kKeyspace | acl::kRead | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = PExpireTime})
      .Add(
          {.name = "persist",
           .arity = 2,
           .flags = kWrite | kFast,
           .acl = acl::kKeyspace | acl::kWrite | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<Persist>});
}

}  // namespace petacore::commands
