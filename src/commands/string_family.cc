// string_family.cc — GET, SET, INCR…: Redis strings on the replicated key space, with
// Redis 7.0's replies and error texts.
#include <cmath>
#include <cstdio>
#include <limits>

#include "commands/context.h"
#include "commands/notify.h"
#include "commands/table.h"
#include "keyspace/encoding.h"
#include "keyspace/types/string.h"

namespace petacore::commands {

namespace {

using keyspace::types::FormatLongDouble;
using keyspace::types::ReadString;
using keyspace::types::StringRead;
using keyspace::types::WriteString;
using keyspace::types::WriteStringExpire;

constexpr int64_t kMaxStringLen = 512ll * 1024 * 1024;
constexpr int kStringEvents = keyspace::notify::kString;
constexpr int kGenericEvents = keyspace::notify::kGeneric;

// The events of a string write as Redis's setKey + notify: "new" when `created`, then `event`.
void NotifyWrite(CommandContext& ctx, bool created, std::string_view event,
                 std::string_view user_key) {
  if (created) NotifyNew(ctx, user_key);
  ctx.Notify(kStringEvents, event, user_key);
}

void Get(CommandContext& ctx) {
  auto r = ReadString(ctx.txn, ctx.Key(ctx.args[1]));
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (r.missing()) return ctx.out.NullBulk();
  ctx.out.Bulk(r.value);
}

enum ExpireUnit { kNoExpire, kEx, kPx, kExAt, kPxAt };

// Redis's getExpireMillisecondsOrReply: the absolute expire-at (ms) of an EX/PX/EXAT/PXAT
// argument; replies the error and returns false when it is not a positive integer or overflows.
bool ExpireAtOrReply(CommandContext& ctx, std::string_view arg, ExpireUnit unit,
                     std::string_view command, int64_t* out) {
  int64_t ms;
  if (!ParseInt64(arg, &ms)) {
    ctx.out.Error(kErrNotInteger);
    return false;
  }
  bool seconds = unit == kEx || unit == kExAt;
  auto invalid = [&] {
    ctx.out.Error(ErrInvalidExpire(command));
    return false;
  };
  if (ms <= 0 || (seconds && ms > std::numeric_limits<int64_t>::max() / 1000)) return invalid();
  if (seconds) ms *= 1000;
  if (unit == kEx || unit == kPx) {
    if (__builtin_add_overflow(ms, ctx.txn.now_ms(), &ms)) return invalid();
  }
  if (ms <= 0) return invalid();
  *out = ms;
  return true;
}

ExpireUnit ExpireOption(std::string_view a) {
  if (EqualsIgnoreCase(a, "ex")) return kEx;
  if (EqualsIgnoreCase(a, "px")) return kPx;
  if (EqualsIgnoreCase(a, "exat")) return kExAt;
  if (EqualsIgnoreCase(a, "pxat")) return kPxAt;
  return kNoExpire;
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL] — as Redis 7.0 SET.
void Set(CommandContext& ctx) {
  bool nx = false, xx = false, get = false, keepttl = false;
  ExpireUnit unit = kNoExpire;
  std::string_view expire_arg;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    auto a = ctx.args[i];
    bool has_next = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(a, "nx") && !xx) {
      nx = true;
    } else if (EqualsIgnoreCase(a, "xx") && !nx) {
      xx = true;
    } else if (EqualsIgnoreCase(a, "get")) {
      get = true;
    } else if (EqualsIgnoreCase(a, "keepttl") && unit == kNoExpire) {
      keepttl = true;
    } else if (ExpireOption(a) != kNoExpire && !keepttl && unit == kNoExpire && has_next) {
      unit = ExpireOption(a);
      expire_arg = ctx.args[++i];
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  int64_t expire_at = 0;
  if (unit != kNoExpire && !ExpireAtOrReply(ctx, expire_arg, unit, "set", &expire_at)) return;
  std::string key = ctx.Key(ctx.args[1]);
  bool exists = false;
  std::string old;
  bool old_missing = true;
  if (nx || xx || get) {
    auto raw = ctx.txn.Get(key);
    exists = raw.has_value();
    if (get && exists) {
      auto r = ReadString(ctx.txn, key);
      if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
      old = std::string(r.value);
      old_missing = false;
    }
  }
  bool allowed = !(nx && exists) && !(xx && !exists);
  if (allowed) {
    bool created = keepttl ? WriteString(ctx.txn, key, ctx.args[2], /*keep_ttl=*/true)
                           : WriteStringExpire(ctx.txn, key, ctx.args[2], expire_at);
    NotifyWrite(ctx, created, "set", ctx.args[1]);
    if (expire_at != 0) ctx.Notify(kGenericEvents, "expire", ctx.args[1]);
  }
  if (get) {
    if (old_missing) return ctx.out.NullBulk();
    return ctx.out.Bulk(old);
  }
  if (!allowed) return ctx.out.NullBulk();
  ctx.out.Ok();
}

// SETEX key seconds value / PSETEX key milliseconds value.
void SetExGeneric(CommandContext& ctx, ExpireUnit unit, std::string_view name) {
  int64_t expire_at = 0;
  if (!ExpireAtOrReply(ctx, ctx.args[2], unit, name, &expire_at)) return;
  bool created = WriteStringExpire(ctx.txn, ctx.Key(ctx.args[1]), ctx.args[3], expire_at);
  NotifyWrite(ctx, created, "set", ctx.args[1]);
  ctx.Notify(kGenericEvents, "expire", ctx.args[1]);
  ctx.out.Ok();
}
void SetEx(CommandContext& ctx) { SetExGeneric(ctx, kEx, "setex"); }
void PSetEx(CommandContext& ctx) { SetExGeneric(ctx, kPx, "psetex"); }

// GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]
void GetEx(CommandContext& ctx) {
  bool persist = false;
  ExpireUnit unit = kNoExpire;
  std::string_view expire_arg;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    auto a = ctx.args[i];
    bool has_next = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(a, "persist") && unit == kNoExpire) {
      persist = true;
    } else if (ExpireOption(a) != kNoExpire && !persist && unit == kNoExpire && has_next) {
      unit = ExpireOption(a);
      expire_arg = ctx.args[++i];
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  int64_t expire_at = 0;
  if (unit != kNoExpire && !ExpireAtOrReply(ctx, expire_arg, unit, "getex", &expire_at)) return;
  std::string key = ctx.Key(ctx.args[1]);
  auto r = ReadString(ctx.txn, key);
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (r.missing()) return ctx.out.NullBulk();
  std::string value(r.value);
  if (unit != kNoExpire) {
    keyspace::types::SetExpireAt(ctx.txn, key, expire_at);  // in the past: deleted
    ctx.Notify(kGenericEvents, expire_at <= ctx.txn.now_ms() ? "del" : "expire", ctx.args[1]);
  } else if (persist && keyspace::types::CurrentExpireAt(ctx.txn, key) != 0) {
    keyspace::types::SetExpireAt(ctx.txn, key, 0);
    ctx.Notify(kGenericEvents, "persist", ctx.args[1]);
  }
  ctx.out.Bulk(value);
}

void SetNx(CommandContext& ctx) {
  std::string key = ctx.Key(ctx.args[1]);
  if (ctx.txn.Get(key)) return ctx.out.Integer(0);
  NotifyWrite(ctx, WriteString(ctx.txn, key, ctx.args[2]), "set", ctx.args[1]);
  ctx.out.Integer(1);
}

void GetSet(CommandContext& ctx) {
  std::string key = ctx.Key(ctx.args[1]);
  auto r = ReadString(ctx.txn, key);
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (r.missing()) {
    ctx.out.NullBulk();
  } else {
    ctx.out.Bulk(r.value);
  }
  NotifyWrite(ctx, WriteString(ctx.txn, key, ctx.args[2]), "set", ctx.args[1]);
}

void GetDel(CommandContext& ctx) {
  std::string key = ctx.Key(ctx.args[1]);
  auto r = ReadString(ctx.txn, key);
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (r.missing()) return ctx.out.NullBulk();
  ctx.out.Bulk(r.value);
  keyspace::types::DeleteKey(ctx.txn, key);
  NotifyDel(ctx, ctx.args[1]);
}

void MGet(CommandContext& ctx) {
  ctx.out.ArrayHeader(ctx.args.size() - 1);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    auto r = ReadString(ctx.txn, ctx.Key(ctx.args[i]));
    if (r.state == StringRead::State::kOk) {
      ctx.out.Bulk(r.value);
    } else {
      ctx.out.NullBulk();  // a missing key and a key of another type both read as nil
    }
  }
}

bool MSetArityOk(CommandContext& ctx, std::string_view name) {
  if (ctx.args.size() % 2 == 1) return true;
  ctx.out.Error(ErrWrongArgs(name));
  return false;
}

void MSet(CommandContext& ctx) {
  if (!MSetArityOk(ctx, "mset")) return;
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    NotifyWrite(ctx, WriteString(ctx.txn, ctx.Key(ctx.args[i]), ctx.args[i + 1]), "set",
                ctx.args[i]);
  }
  ctx.out.Ok();
}

void MSetNx(CommandContext& ctx) {
  if (!MSetArityOk(ctx, "msetnx")) return;
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    if (ctx.txn.Get(ctx.Key(ctx.args[i]))) return ctx.out.Integer(0);
  }
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    NotifyWrite(ctx, WriteString(ctx.txn, ctx.Key(ctx.args[i]), ctx.args[i + 1]), "set",
                ctx.args[i]);
  }
  ctx.out.Integer(1);
}

void IncrBy(CommandContext& ctx, int64_t by) {
  std::string key = ctx.Key(ctx.args[1]);
  auto r = ReadString(ctx.txn, key);
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  int64_t value = 0;
  if (!r.missing() && !ParseInt64(r.value, &value)) return ctx.out.Error(kErrNotInteger);
  int64_t result;
  if (__builtin_add_overflow(value, by, &result)) return ctx.out.Error(kErrOverflow);
  NotifyWrite(ctx, WriteString(ctx.txn, key, std::to_string(result), /*keep_ttl=*/true), "incrby",
              ctx.args[1]);
  ctx.out.Integer(result);
}

void Incr(CommandContext& ctx) { IncrBy(ctx, 1); }
void Decr(CommandContext& ctx) { IncrBy(ctx, -1); }

void IncrByCmd(CommandContext& ctx) {
  int64_t by;
  if (!ParseInt64(ctx.args[2], &by)) return ctx.out.Error(kErrNotInteger);
  IncrBy(ctx, by);
}

void DecrByCmd(CommandContext& ctx) {
  int64_t by;
  if (!ParseInt64(ctx.args[2], &by)) return ctx.out.Error(kErrNotInteger);
  if (by == std::numeric_limits<int64_t>::min()) {
    return ctx.out.Error(kErrDecrOverflow);
  }
  IncrBy(ctx, -by);
}


void IncrByFloat(CommandContext& ctx) {
  long double by;
  if (!ParseLongDouble(ctx.args[2], &by)) return ctx.out.Error(kErrNotFloat);
  std::string key = ctx.Key(ctx.args[1]);
  auto r = ReadString(ctx.txn, key);
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  long double value = 0;
  if (!r.missing() && !ParseLongDouble(r.value, &value)) return ctx.out.Error(kErrNotFloat);
  long double result = value + by;
  if (std::isnan(result) || std::isinf(result)) {
    return ctx.out.Error(kErrIncrNaNOrInfinity);
  }
  std::string s = FormatLongDouble(result);
  NotifyWrite(ctx, WriteString(ctx.txn, key, s, /*keep_ttl=*/true), "incrbyfloat", ctx.args[1]);
  ctx.out.Bulk(s);
}

void Append(CommandContext& ctx) {
  std::string key = ctx.Key(ctx.args[1]);
  auto r = ReadString(ctx.txn, key);
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  int64_t total = static_cast<int64_t>(r.value.size() + ctx.args[2].size());
  if (total > kMaxStringLen) {
    return ctx.out.Error(kErrStringTooLong);
  }
  std::string value(r.value);
  value.append(ctx.args[2]);
  NotifyWrite(ctx, WriteString(ctx.txn, key, value, /*keep_ttl=*/true), "append", ctx.args[1]);
  ctx.out.Integer(total);
}

void StrLen(CommandContext& ctx) {
  auto r = ReadString(ctx.txn, ctx.Key(ctx.args[1]));
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.Integer(static_cast<int64_t>(r.value.size()));
}

void GetRange(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseInt64(ctx.args[2], &start) || !ParseInt64(ctx.args[3], &end)) {
    return ctx.out.Error(kErrNotInteger);
  }
  auto r = ReadString(ctx.txn, ctx.Key(ctx.args[1]));
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  int64_t len = static_cast<int64_t>(r.value.size());
  if (start < 0 && end < 0 && start > end) return ctx.out.Bulk("");
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) return ctx.out.Bulk("");
  ctx.out.Bulk(r.value.substr(start, end - start + 1));
}

void SetRange(CommandContext& ctx) {
  int64_t offset;
  if (!ParseInt64(ctx.args[2], &offset)) return ctx.out.Error(kErrNotInteger);
  if (offset < 0) return ctx.out.Error(kErrOffsetOutOfRange);
  std::string key = ctx.Key(ctx.args[1]);
  auto r = ReadString(ctx.txn, key);
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  auto patch = ctx.args[3];
  if (patch.empty()) return ctx.out.Integer(static_cast<int64_t>(r.value.size()));
  if (offset > kMaxStringLen - static_cast<int64_t>(patch.size())) {  // no int64 overflow
    return ctx.out.Error(kErrStringTooLong);
  }
  std::string value(r.value);
  if (value.size() < offset + patch.size()) value.resize(offset + patch.size(), '\0');
  value.replace(offset, patch.size(), patch);
  NotifyWrite(ctx, WriteString(ctx.txn, key, value, /*keep_ttl=*/true), "setrange", ctx.args[1]);
  ctx.out.Integer(static_cast<int64_t>(value.size()));
}

}  // namespace

void RegisterStringFamily(CommandTable& t) {
  // SET's key flags depend on its GET option, as Redis's setGetKeys: RW + access with it,
  // OW without.
  constexpr KeysFunction kSetKeys = [](std::span<const std::string_view> args,
                                       std::vector<KeyRef>* out) {
    bool get = false;
    for (size_t i = 3; i < args.size(); ++i) get = get || EqualsIgnoreCase(args[i], "get");
    out->push_back({1, get ? kKeyRW | kKeyAccess | kKeyUpdate : kKeyOW | kKeyUpdate});
    return true;
  };
  t.Add({.name = "get",
         .arity = 2,
         .flags = kReadOnly | kFast,
         .acl = acl::kRead | acl::kString | acl::kFast,
         .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
         .handler = Get})
      .Add({.name = "set",
            .arity = -3,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kString | acl::kSlow,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags,
                           .begin = Index(1),
                           .find = Range(0, 1, 0),
                           .notes = "RW and ACCESS due to the optional `GET` argument"}},
            .handler = WithKeyEvents<Set>,
            .keys_function = kSetKeys})
      .Add(
          {.name = "setex",
           .arity = 4,
           .flags = kWrite | kDenyOom,
           .acl = acl::kWrite | acl::kString | acl::kSlow,
           .key_specs = {{.flags = kKeyOW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<SetEx>})
      .Add(
          {.name = "psetex",
           .arity = 4,
           .flags = kWrite | kDenyOom,
           .acl = acl::kWrite | acl::kString | acl::kSlow,
           .key_specs = {{.flags = kKeyOW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<PSetEx>})
      .Add({.name = "getex",
            .arity = -2,
            .flags = kWrite | kFast,
            .acl = acl::kWrite | acl::kString | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(0, 1, 0),
                           .notes = "RW and UPDATE because it changes the TTL"}},
            .handler = WithKeyEvents<GetEx>})
      .Add(
          {.name = "setnx",
           .arity = 3,
           .flags = kWrite | kDenyOom | kFast,
           .acl = acl::kWrite | acl::kString | acl::kFast,
           .key_specs = {{.flags = kKeyOW | kKeyInsert, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<SetNx>})
      .Add({.name = "getset",
            .arity = 3,
            .flags = kWrite | kDenyOom | kFast,
            .acl = acl::kWrite | acl::kString | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<GetSet>})
      .Add({.name = "getdel",
            .arity = 2,
            .flags = kWrite | kFast,
            .acl = acl::kWrite | acl::kString | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<GetDel>})
      .Add({.name = "mget",
            .arity = -2,
            .flags = kReadOnly | kFast,
            .acl = acl::kRead | acl::kString | acl::kFast,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Index(1),
                           .find = Range(-1, 1, 0)}},
            .tips = {"request_policy:multi_shard"},
            .handler = MGet})
      .Add({.name = "mset",
            .arity = -3,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kString | acl::kSlow,
            .key_specs = {{.flags = kKeyOW | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(-1, 2, 0)}},
            .tips = {"request_policy:multi_shard", "response_policy:all_succeeded"},
            .handler = WithKeyEvents<MSet>})
      .Add({.name = "msetnx",
            .arity = -3,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kString | acl::kSlow,
            .key_specs = {{.flags = kKeyOW | kKeyInsert,
                           .begin = Index(1),
                           .find = Range(-1, 2, 0)}},
            .tips = {"request_policy:multi_shard", "response_policy:agg_min"},
            .handler = WithKeyEvents<MSetNx>})
      .Add({.name = "incr",
            .arity = 2,
            .flags = kWrite | kDenyOom | kFast,
            .acl = acl::kWrite | acl::kString | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<Incr>})
      .Add({.name = "decr",
            .arity = 2,
            .flags = kWrite | kDenyOom | kFast,
            .acl = acl::kWrite | acl::kString | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<Decr>})
      .Add({.name = "incrby",
            .arity = 3,
            .flags = kWrite | kDenyOom | kFast,
            .acl = acl::kWrite | acl::kString | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<IncrByCmd>})
      .Add({.name = "decrby",
            .arity = 3,
            .flags = kWrite | kDenyOom | kFast,
            .acl = acl::kWrite | acl::kString | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<DecrByCmd>})
      .Add({.name = "incrbyfloat",
            .arity = 3,
            .flags = kWrite | kDenyOom | kFast,
            .acl = acl::kWrite | acl::kString | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<IncrByFloat>})
      .Add(
          {.name = "append",
           .arity = 3,
           .flags = kWrite | kDenyOom | kFast,
           .acl = acl::kWrite | acl::kString | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyInsert, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<Append>})
      .Add({.name = "strlen",
            .arity = 2,
            .flags = kReadOnly | kFast,
            .acl = acl::kRead | acl::kString | acl::kFast,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(0, 1, 0)}},
            .handler = StrLen})
      .Add(
          {.name = "getrange",
           .arity = 4,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kString | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = GetRange})
      .Add(
          {.name = "substr",
           .arity = 4,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kString | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = GetRange})
      .Add(
          {.name = "setrange",
           .arity = 4,
           .flags = kWrite | kDenyOom,
           .acl = acl::kWrite | acl::kString | acl::kSlow,
           .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<SetRange>});
}

}  // namespace petacore::commands
