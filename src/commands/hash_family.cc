// hash_family.cc — HSET, HGET, HINCRBY, HSCAN…: Redis hashes on the replicated key space, with
// Redis 7.0's replies and error texts.
//
// A hash is its meta key (type 'h', payload = field count, see hash_set_common.h) plus one
// subkey per field: meta + 'f' + field -> value. Fields are kept (and returned by HGETALL,
// HKEYS, HVALS, HSCAN) in byte order. Every command that changes a hash rewrites the meta key.
#include <cmath>
#include <cstdio>
#include <limits>

#include "commands/context.h"
#include "commands/hash_set_common.h"
#include "commands/key_access.h"
#include "commands/string_value.h"
#include "commands/table.h"
#include "keyspace/encoding.h"

namespace petacore::commands {
namespace {

using keyspace::ValueType;
namespace coll = collection;

constexpr char kFieldTag = 'f';
constexpr ValueType kHash = ValueType::kHash;

std::string FieldKey(const KeyRead& h, std::string_view field) {
  return keyspace::SubKey(h.meta_key, kFieldTag, field);
}

// HSET key field value [field value ...] / HMSET: the pairs are written in order (a field
// named twice keeps its last value); HSET answers how many fields are new, HMSET answers OK.
void HSetImpl(CommandContext& ctx, std::string_view name, bool reply_ok) {
  if (ctx.args.size() % 2 != 0) {
    return ctx.out.Error("ERR wrong number of arguments for '" + std::string(name) + "' command");
  }
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  int64_t added = 0;
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
    std::string key = FieldKey(h, ctx.args[i]);
    if (!ctx.txn.Get(key)) ++added;
    ctx.txn.Put(key, std::string(ctx.args[i + 1]));
  }
  coll::SetCount(ctx, h, kHash, coll::Count(h) + added);
  if (reply_ok) return ctx.out.Ok();
  ctx.out.Integer(added);
}

void HSet(CommandContext& ctx) { HSetImpl(ctx, "hset", false); }
void HMSet(CommandContext& ctx) { HSetImpl(ctx, "hmset", true); }

void HSetNx(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  std::string key = FieldKey(h, ctx.args[2]);
  if (ctx.txn.Get(key)) return ctx.out.Integer(0);
  ctx.txn.Put(key, std::string(ctx.args[3]));
  coll::SetCount(ctx, h, kHash, coll::Count(h) + 1);
  ctx.out.Integer(1);
}

void HGet(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (h.missing()) return ctx.out.NullBulk();
  auto v = ctx.txn.Get(FieldKey(h, ctx.args[2]));
  if (!v) return ctx.out.NullBulk();
  ctx.out.Bulk(*v);
}

void HMGet(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    auto v = h.ok() ? ctx.txn.Get(FieldKey(h, ctx.args[i])) : std::nullopt;
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
  auto all = h.ok() ? coll::All(ctx, h.meta_key, kFieldTag)
                    : std::vector<std::pair<std::string, std::string>>{};
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
  if (h.missing()) return ctx.out.Integer(0);
  int64_t removed = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (ctx.txn.Delete(FieldKey(h, ctx.args[i]))) ++removed;
  }
  if (removed > 0) coll::SetCount(ctx, h, kHash, coll::Count(h) - removed);
  ctx.out.Integer(removed);
}

void HExists(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.Integer(h.ok() && ctx.txn.Get(FieldKey(h, ctx.args[2])) ? 1 : 0);
}

void HLen(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.Integer(coll::Count(h));
}

void HStrLen(CommandContext& ctx) {
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  auto v = h.ok() ? ctx.txn.Get(FieldKey(h, ctx.args[2])) : std::nullopt;
  ctx.out.Integer(v ? static_cast<int64_t>(v->size()) : 0);
}

void HIncrBy(CommandContext& ctx) {
  int64_t by;
  if (!ParseInt64(ctx.args[3], &by)) return ctx.out.Error(kErrNotInteger);
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  std::string key = FieldKey(h, ctx.args[2]);
  auto old = ctx.txn.Get(key);
  int64_t value = 0;
  if (old && !ParseInt64(*old, &value)) return ctx.out.Error("ERR hash value is not an integer");
  int64_t result;
  if (__builtin_add_overflow(value, by, &result)) return ctx.out.Error(kErrOverflow);
  bool added = !old;
  ctx.txn.Put(key, std::to_string(result));
  coll::SetCount(ctx, h, kHash, coll::Count(h) + (added ? 1 : 0));
  ctx.out.Integer(result);
}

void HIncrByFloat(CommandContext& ctx) {
  long double by;
  if (!ParseLongDouble(ctx.args[3], &by)) return ctx.out.Error(kErrNotFloat);
  if (std::isnan(by) || std::isinf(by)) return ctx.out.Error("ERR value is NaN or Infinity");
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  std::string key = FieldKey(h, ctx.args[2]);
  auto old = ctx.txn.Get(key);
  long double value = 0;
  if (old && !ParseLongDouble(*old, &value)) {
    return ctx.out.Error("ERR hash value is not a float");
  }
  long double result = value + by;
  if (std::isnan(result) || std::isinf(result)) {
    return ctx.out.Error("ERR increment would produce NaN or Infinity");
  }
  bool added = !old;
  std::string s = FormatLongDouble(result);
  ctx.txn.Put(key, s);
  coll::SetCount(ctx, h, kHash, coll::Count(h) + (added ? 1 : 0));
  ctx.out.Bulk(s);
}

// HRANDFIELD key [count [WITHVALUES]] — as Redis 7.0: the count is checked before the key.
void HRandField(CommandContext& ctx) {
  constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();
  if (ctx.args.size() == 2) {
    auto h = ReadKey(ctx, ctx.args[1], kHash);
    if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
    if (h.missing()) return ctx.out.NullBulk();
    return ctx.out.Bulk(coll::RandomElement(ctx, h.meta_key, kFieldTag, coll::Count(h)).first);
  }
  int64_t count;
  if (!coll::ParseRandomCount(ctx, &count)) return;
  bool with_values = false;
  if (ctx.args.size() > 4 ||
      (ctx.args.size() == 4 && !EqualsIgnoreCase(ctx.args[3], "withvalues"))) {
    return ctx.out.Error(kErrSyntax);
  }
  if (ctx.args.size() == 4) {
    with_values = true;
    if (count < -kLongMax / 2 || count > kLongMax / 2) {
      return ctx.out.Error("ERR value is out of range");
    }
  }
  auto h = ReadKey(ctx, ctx.args[1], kHash);
  if (h.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (h.missing() || count == 0) return ctx.out.ArrayHeader(0);
  auto picked = coll::RandomElements(ctx, h.meta_key, kFieldTag, coll::Count(h), count);
  bool pairs = with_values && ctx.out.protocol() >= 3;  // RESP3: an array of [field, value]
  ctx.out.ArrayHeader(with_values && !pairs ? picked.size() * 2 : picked.size());
  for (const auto& [field, value] : picked) {
    if (pairs) ctx.out.ArrayHeader(2);
    ctx.out.Bulk(field);
    if (with_values) ctx.out.Bulk(value);
  }
}

// HSCAN key cursor [MATCH pattern] [COUNT count] — see scan_cursor.h for what a cursor is.
void HScan(CommandContext& ctx) { coll::ScanCommand(ctx, kHash, kFieldTag, true); }

}  // namespace

void RegisterHashFamily(CommandTable& t) {
  t.Add({.name = "hset",
         .arity = -4,
         .flags = kWrite | kDenyOom | kFast,
         .acl = acl::kWrite | acl::kHash | acl::kFast,
         .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
         .handler = HSet})
      .Add(
          {.name = "hmset",
           .arity = -4,
           .flags = kWrite | kDenyOom | kFast,
           .acl = acl::kWrite | acl::kHash | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = HMSet})
      .Add(
          {.name = "hsetnx",
           .arity = 4,
           .flags = kWrite | kDenyOom | kFast,
           .acl = acl::kWrite | acl::kHash | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyInsert, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = HSetNx})
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
           .handler = HDel})
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
            .handler = HIncrBy})
      .Add({.name = "hincrbyfloat",
            .arity = 4,
            .flags = kWrite | kDenyOom | kFast,
            .acl = acl::kWrite | acl::kHash | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = HIncrByFloat})
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
