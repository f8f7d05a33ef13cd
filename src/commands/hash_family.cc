// hash_family.cc — HSET, HGET, HINCRBY, HSCAN…: Redis hashes on the replicated key space, with
// Redis 7.0's replies and error texts.
//
// The data operations and the layout are keyspace/types/hash.h: fields are kept (and returned
// by HGETALL, HKEYS, HVALS, HSCAN) in byte order; every change rewrites the meta key.
#include <cmath>
#include <cstdio>
#include <limits>

#include "commands/context.h"
#include "commands/key_access.h"
#include "commands/notify.h"
#include "commands/random_count.h"
#include "commands/scan_cursor.h"
#include "commands/table.h"
#include "keyspace/encoding.h"
#include "keyspace/types/hash.h"
#include "keyspace/types/string.h"

namespace petacore::commands {
namespace {

using keyspace::ValueType;
namespace types = keyspace::types;

constexpr char kFieldTag = keyspace::kHashFieldTag;
constexpr ValueType kHash = ValueType::kHash;

// HSET key field value [field value ...] / HMSET: the pairs are written in order (a field
// named twice keeps its last value); HSET answers how many fields are new, HMSET answers OK.
void HSetImpl(CommandContext& ctx, std::string_view name, bool reply_ok) {
  if (ctx.args.size() % 2 != 0) {
    return ctx.out.Error(ErrWrongArgs(name));
  }
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  int64_t added = types::HashSet(ctx.txn, h, ctx.args.subspan(2));
  if (h.missing()) NotifyNew(ctx, ctx.args[1]);
  ctx.Notify(keyspace::notify::kHash, "hset", ctx.args[1]);
  if (reply_ok) return ctx.out.Ok();
  ctx.out.Integer(added);
}

void HSet(CommandContext& ctx) { HSetImpl(ctx, "hset", false); }
void HMSet(CommandContext& ctx) { HSetImpl(ctx, "hmset", true); }

void HSetNx(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  bool set = types::HashSetNx(ctx.txn, h, ctx.args[2], ctx.args[3]);
  if (set) {
    if (h.missing()) NotifyNew(ctx, ctx.args[1]);
    ctx.Notify(keyspace::notify::kHash, "hset", ctx.args[1]);
  }
  ctx.out.Integer(set ? 1 : 0);
}

void HGet(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  auto v = types::HashGet(ctx.txn, h, ctx.args[2]);
  if (!v) return ctx.out.NullBulk();
  ctx.out.Bulk(*v);
}

void HMGet(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    auto v = types::HashGet(ctx.txn, h, ctx.args[i]);
    if (v) {
      ctx.out.Bulk(*v);
    } else {
      ctx.out.NullBulk();
    }
  }
}

// HGETALL, HKEYS, HVALS: the fields and/or values in field byte order.
void ReplyAll(CommandContext& ctx, bool fields, bool values) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  auto all = types::HashGetAll(ctx.txn, h);
  if (fields && values) {
    ctx.out.MapHeader(all.size());
  } else {
    ctx.out.ArrayHeader(all.size());
  }
  for (const auto& [field, value] : all) {
    if (fields) ctx.out.Bulk(field);
    if (values) ctx.out.Bulk(value);
  }
}

void HGetAll(CommandContext& ctx) { ReplyAll(ctx, true, true); }
void HKeys(CommandContext& ctx) { ReplyAll(ctx, true, false); }
void HVals(CommandContext& ctx) { ReplyAll(ctx, false, true); }

void HDel(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  int64_t deleted = types::HashDelete(ctx.txn, h, ctx.args.subspan(2));
  if (deleted > 0) {
    ctx.Notify(keyspace::notify::kHash, "hdel", ctx.args[1]);
    NotifyDelIfGone(ctx, ctx.args[1], h.meta_key);
  }
  ctx.out.Integer(deleted);
}

void HExists(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.Integer(types::HashGet(ctx.txn, h, ctx.args[2]) ? 1 : 0);
}

void HLen(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.Integer(types::HashLen(ctx.txn, h));
}

void HStrLen(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  auto v = types::HashGet(ctx.txn, h, ctx.args[2]);
  ctx.out.Integer(v ? static_cast<int64_t>(v->size()) : 0);
}

void HIncrBy(CommandContext& ctx) {
  int64_t by;
  if (!ParseInt64(ctx.args[3], &by)) return ctx.out.Error(kErrNotInteger);
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  auto old = types::HashGet(ctx.txn, h, ctx.args[2]);
  int64_t value = 0;
  if (old && !ParseInt64(*old, &value)) return ctx.out.Error(kErrHashNotInteger);
  int64_t result;
  if (__builtin_add_overflow(value, by, &result)) return ctx.out.Error(kErrOverflow);
  std::string s = std::to_string(result);
  std::string_view pair[] = {ctx.args[2], s};
  types::HashSet(ctx.txn, h, pair);
  if (h.missing()) NotifyNew(ctx, ctx.args[1]);
  ctx.Notify(keyspace::notify::kHash, "hincrby", ctx.args[1]);
  ctx.out.Integer(result);
}

void HIncrByFloat(CommandContext& ctx) {
  long double by;
  if (!ParseLongDouble(ctx.args[3], &by)) return ctx.out.Error(kErrNotFloat);
  if (std::isnan(by) || std::isinf(by)) return ctx.out.Error(kErrNaNOrInfinity);
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  auto old = types::HashGet(ctx.txn, h, ctx.args[2]);
  long double value = 0;
  if (old && !ParseLongDouble(*old, &value)) return ctx.out.Error(kErrHashNotFloat);
  long double result = value + by;
  if (std::isnan(result) || std::isinf(result)) return ctx.out.Error(kErrIncrNaNOrInfinity);
  std::string s = types::FormatLongDouble(result);
  std::string_view pair[] = {ctx.args[2], s};
  types::HashSet(ctx.txn, h, pair);
  if (h.missing()) NotifyNew(ctx, ctx.args[1]);
  ctx.Notify(keyspace::notify::kHash, "hincrbyfloat", ctx.args[1]);
  ctx.out.Bulk(s);
}

// HRANDFIELD key [count [WITHVALUES]] — as Redis 7.0: the count is checked before the key.
void HRandField(CommandContext& ctx) {
  constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();
  if (ctx.args.size() == 2) {
    auto h = ReadKey(ctx, ctx.args[1], kHash);
    if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
    if (h.missing()) return ctx.out.NullBulk();
    int64_t size = types::HashLen(ctx.txn, h);
    return ctx.out.Bulk(types::RandomElement(ctx.txn, h.elements, kFieldTag, size).first);
  }
  int64_t count;
  if (!ParseRandomCount(ctx, &count)) return;
  bool with_values = false;
  if (ctx.args.size() > 4 ||
      (ctx.args.size() == 4 && !EqualsIgnoreCase(ctx.args[3], "withvalues"))) {
    return ctx.out.Error(kErrSyntax);
  }
  if (ctx.args.size() == 4) {
    with_values = true;
    if (count < -kLongMax / 2 || count > kLongMax / 2) {
      return ctx.out.Error(kErrOutOfRange);
    }
  }
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (h.missing() || count == 0) return ctx.out.ArrayHeader(0);
  int64_t size = types::HashLen(ctx.txn, h);
  auto picked = types::RandomElements(ctx.txn, h.elements, kFieldTag, size, count);
  bool pairs = with_values && ctx.out.protocol() >= 3;  // RESP3: an array of [field, value]
  ctx.out.ArrayHeader(with_values && !pairs ? picked.size() * 2 : picked.size());
  for (const auto& [field, value] : picked) {
    if (pairs) ctx.out.ArrayHeader(2);
    ctx.out.Bulk(field);
    if (with_values) ctx.out.Bulk(value);
  }
}

// HSCAN key cursor [MATCH pattern] [COUNT count] — see scan_cursor.h for what a cursor is.
void HScan(CommandContext& ctx) {
  ScanCollection(ctx, kHash, kFieldTag, [](std::string_view v) { return std::string(v); });
}

}  // namespace

void RegisterHashFamily(CommandTable& t) {
  t.Add({.name = "hset",
         .arity = -4,
         .flags = kWrite | kDenyOom | kFast,
         .acl = acl::kWrite | acl::kHash | acl::kFast,
         .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
         .handler = WithKeyEvents<HSet>})
      .Add(
          {.name = "hmset",
           .arity = -4,
           .flags = kWrite | kDenyOom | kFast,
           .acl = acl::kWrite | acl::kHash | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<HMSet>})
      .Add(
          {.name = "hsetnx",
           .arity = 4,
           .flags = kWrite | kDenyOom | kFast,
           .acl = acl::kWrite | acl::kHash | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyInsert, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<HSetNx>})
      .Add(
          {.name = "hget",
           .arity = 3,
           .flags = kReadOnly | kFast,
           .acl = acl::kRead | acl::kHash | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = HGet})
      .Add(
          {.name = "hmget",
           .arity = -3,
           .flags = kReadOnly | kFast,
           .acl = acl::kRead | acl::kHash | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = HMGet})
      .Add(
          {.name = "hgetall",
           .arity = 2,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kHash | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output_order"},
           .handler = HGetAll})
      .Add(
          {.name = "hkeys",
           .arity = 2,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kHash | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output_order"},
           .handler = HKeys})
      .Add(
          {.name = "hvals",
           .arity = 2,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kHash | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output_order"},
           .handler = HVals})
      .Add(
          {.name = "hdel",
           .arity = -3,
           .flags = kWrite | kFast,
           .acl = acl::kWrite | acl::kHash | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyDelete, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<HDel>})
      .Add({.name = "hexists",
            .arity = 3,
            .flags = kReadOnly | kFast,
            .acl = acl::kRead | acl::kHash | acl::kFast,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(0, 1, 0)}},
            .handler = HExists})
      .Add({.name = "hlen",
            .arity = 2,
            .flags = kReadOnly | kFast,
            .acl = acl::kRead | acl::kHash | acl::kFast,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(0, 1, 0)}},
            .handler = HLen})
      .Add({.name = "hstrlen",
            .arity = 3,
            .flags = kReadOnly | kFast,
            .acl = acl::kRead | acl::kHash | acl::kFast,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(0, 1, 0)}},
            .handler = HStrLen})
      .Add({.name = "hincrby",
            .arity = 4,
            .flags = kWrite | kDenyOom | kFast,
            .acl = acl::kWrite | acl::kHash | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<HIncrBy>})
      .Add({.name = "hincrbyfloat",
            .arity = 4,
            .flags = kWrite | kDenyOom | kFast,
            .acl = acl::kWrite | acl::kHash | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<HIncrByFloat>})
      .Add(
          {.name = "hrandfield",
           .arity = -2,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kHash | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output"},
           .handler = HRandField})
      .Add(
          {.name = "hscan",
           .arity = -3,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kHash | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output"},
           .handler = HScan});
}

}  // namespace petacore::commands
