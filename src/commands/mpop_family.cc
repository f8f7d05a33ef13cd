// mpop_family.cc — LMPOP, BLMPOP, ZMPOP, BZMPOP: pop up to COUNT elements from the first
// non-empty of several lists / sorted sets, as Redis 7.0's lmpopGenericCommand (t_list.c) and
// zmpopGenericCommand (t_zset.c): the same argument checks in the same order, the same
// [key, elements] replies, the same events ("lpop"/"rpop"/"zpopmin"/"zpopmax", then "del"
// when the key is emptied). The blocking forms park like BLPOP / BZPOPMIN (BlockRequest): the
// Driver re-runs them when one of the keys changes, on any node.
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/notify.h"
#include "commands/table.h"
#include "commands/zset_util.h"
#include "keyspace/types/list.h"
#include "keyspace/types/zset.h"

namespace petacore::commands {

namespace {

namespace types = keyspace::types;
using types::ListEnd;
using types::ListHandle;

constexpr std::string_view kErrNumKeys = "ERR numkeys should be greater than 0";
constexpr std::string_view kErrCount = "ERR count should be greater than 0";

// The arguments after the command name (and BLMPOP/BZMPOP's timeout): numkeys key... WHERE
// [COUNT count].
struct MpopArgs {
  std::span<const std::string_view> keys;
  std::string_view where;
  int64_t count = 1;
};

// Redis's getRangeLongFromObjectOrReply(1, LONG_MAX, msg): `msg` for a non-integer too.
bool PositiveOrReply(CommandContext& ctx, std::string_view arg, std::string_view msg,
                     int64_t* out) {
  if (!ParseInt64(arg, out) || *out < 1) {
    ctx.out.Error(msg);
    return false;
  }
  return true;
}

// Parses from args[numkeys_idx]; `where_ok` checks the LEFT/RIGHT or MIN/MAX word. Replies
// the error and returns false.
template <class WhereOk>
bool ParseMpop(CommandContext& ctx, size_t numkeys_idx, WhereOk where_ok, MpopArgs* out) {
  int64_t numkeys;
  if (!PositiveOrReply(ctx, ctx.args[numkeys_idx], kErrNumKeys, &numkeys)) return false;
  auto argc = static_cast<int64_t>(ctx.args.size());
  if (numkeys >= argc - static_cast<int64_t>(numkeys_idx) - 1) {  // where_idx >= argc
    ctx.out.Error(kErrSyntax);
    return false;
  }
  size_t where_idx = numkeys_idx + static_cast<size_t>(numkeys) + 1;
  out->keys = ctx.args.subspan(numkeys_idx + 1, static_cast<size_t>(numkeys));
  out->where = ctx.args[where_idx];
  if (!where_ok(out->where)) {
    ctx.out.Error(kErrSyntax);
    return false;
  }
  bool counted = false;
  for (size_t j = where_idx + 1; j < ctx.args.size(); ++j) {
    bool more = j + 1 < ctx.args.size();
    if (!counted && EqualsIgnoreCase(ctx.args[j], "count") && more) {
      if (!PositiveOrReply(ctx, ctx.args[++j], kErrCount, &out->count)) return false;
      counted = true;
    } else {
      ctx.out.Error(kErrSyntax);
      return false;
    }
  }
  return true;
}

bool IsListEnd(std::string_view w) {
  return EqualsIgnoreCase(w, "left") || EqualsIgnoreCase(w, "right");
}
bool IsMinMax(std::string_view w) {
  return EqualsIgnoreCase(w, "min") || EqualsIgnoreCase(w, "max");
}

// Parks the command on `keys` (outside MULTI and scripts) or answers a null array.
void BlockOn(CommandContext& ctx, std::span<const std::string_view> keys, int64_t timeout_ms) {
  if (ctx.block == nullptr) return ctx.out.NullArray();
  ctx.block->requested = true;
  ctx.block->timeout_ms = timeout_ms;
  ctx.block->keys.clear();
  for (auto k : keys) ctx.block->keys.push_back(ctx.Key(k));
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]; BLMPOP timeout numkeys ... (`block`).
void ListMpop(CommandContext& ctx, bool block) {
  MpopArgs a;
  if (!ParseMpop(ctx, block ? 2 : 1, IsListEnd, &a)) return;
  int64_t timeout_ms = 0;
  if (block && !zset::ParseBlockTimeout(ctx, ctx.args[1], &timeout_ms)) return;
  ListEnd end = EqualsIgnoreCase(a.where, "left") ? ListEnd::kHead : ListEnd::kTail;
  for (auto key : a.keys) {
    ListHandle list(ctx.txn, ctx.Key(key));
    if (list.wrong_type()) return ctx.out.Error(kErrWrongType);
    if (!list.exists() || list.size() == 0) continue;
    auto popped = list.Pop(end, a.count);
    list.Flush();
    ctx.Notify(keyspace::notify::kList, end == ListEnd::kHead ? "lpop" : "rpop", key);
    if (!list.exists()) NotifyDel(ctx, key);
    ctx.out.ArrayHeader(2);
    ctx.out.Bulk(key);
    ctx.out.ArrayHeader(popped.size());
    for (const auto& e : popped) ctx.out.Bulk(e);
    return;
  }
  if (!block) return ctx.out.NullArray();
  BlockOn(ctx, a.keys, timeout_ms);
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]; BZMPOP timeout numkeys ... (`block`).
void ZSetMpop(CommandContext& ctx, bool block) {
  MpopArgs a;
  if (!ParseMpop(ctx, block ? 2 : 1, IsMinMax, &a)) return;
  int64_t timeout_ms = 0;
  if (block && !zset::ParseBlockTimeout(ctx, ctx.args[1], &timeout_ms)) return;
  bool max = EqualsIgnoreCase(a.where, "max");
  for (auto key : a.keys) {
    auto z = types::ReadZSet(ctx.txn, ctx.Key(key));
    if (z.wrong_type()) return ctx.out.Error(kErrWrongType);
    if (!z.ok()) continue;
    auto taken = types::ZSetPop(ctx.txn, z, max, a.count);
    if (taken.empty()) continue;
    ctx.Notify(keyspace::notify::kZSet, max ? "zpopmax" : "zpopmin", key);
    NotifyDelIfGone(ctx, key, z.meta_key);
    ctx.out.ArrayHeader(2);
    ctx.out.Bulk(key);
    ctx.out.ArrayHeader(taken.size());
    for (const auto& e : taken) {
      ctx.out.ArrayHeader(2);
      ctx.out.Bulk(e.member);
      zset::ReplyScore(ctx, e.score);
    }
    return;
  }
  if (!block) return ctx.out.NullArray();
  BlockOn(ctx, a.keys, timeout_ms);
}

void LMpop(CommandContext& ctx) { ListMpop(ctx, false); }
void BLMpop(CommandContext& ctx) { ListMpop(ctx, true); }
void ZMpop(CommandContext& ctx) { ZSetMpop(ctx, false); }
void BZMpop(CommandContext& ctx) { ZSetMpop(ctx, true); }

}  // namespace

void RegisterMpopFamily(CommandTable& t) {
  constexpr auto kKeys = [](int begin) {
    return KeySpec{
        .flags = kKeyRW | kKeyAccess | kKeyDelete, .begin = Index(begin), .find = KeyNum(0, 1, 1)};
  };
  t.Add({.name = "lmpop",
         .arity = -4,
         .flags = kWrite,
         .acl = acl::kWrite | acl::kList | acl::kSlow,
         .key_specs = {kKeys(1)},
         .handler = WithKeyEvents<LMpop>})
      .Add({.name = "blmpop",
            .arity = -5,
            .flags = kWrite | kBlocking,
            .acl = acl::kWrite | acl::kList | acl::kSlow | acl::kBlocking,
            .key_specs = {kKeys(2)},
            .handler = WithKeyEvents<BLMpop>})
      .Add({.name = "zmpop",
            .arity = -4,
            .flags = kWrite,
            .acl = acl::kWrite | acl::kSortedSet | acl::kSlow,
            .key_specs = {kKeys(1)},
            .handler = WithKeyEvents<ZMpop>})
      .Add({.name = "bzmpop",
            .arity = -5,
            .flags = kWrite | kBlocking,
            .acl = acl::kWrite | acl::kSortedSet | acl::kSlow | acl::kBlocking,
            .key_specs = {kKeys(2)},
            .handler = WithKeyEvents<BZMpop>});
}

}  // namespace petacore::commands
