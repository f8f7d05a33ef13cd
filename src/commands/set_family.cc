// set_family.cc — SADD, SPOP, SINTER, SSCAN…: Redis sets on the replicated key space, with
// Redis 7.0's replies and error texts.
//
// The data operations and the layout are keyspace/types/set.h: members are kept (and returned
// by SMEMBERS, SINTER, SUNION, SDIFF, SSCAN) in byte order; every change rewrites the meta key;
// missing keys read as empty sets.
#include <algorithm>
#include <span>

#include "commands/context.h"
#include "commands/key_access.h"
#include "commands/notify.h"
#include "commands/random_count.h"
#include "commands/scan_cursor.h"
#include "commands/table.h"
#include "keyspace/encoding.h"
#include "keyspace/types/set.h"

namespace petacore::commands {
namespace {

using keyspace::ValueType;
namespace types = keyspace::types;

constexpr char kMemberTag = keyspace::kSetMemberTag;
constexpr ValueType kSet = ValueType::kSet;
constexpr int kSetEvents = keyspace::notify::kSet;

// A set reply (SMEMBERS, SINTER, SUNION, SDIFF, SPOP with a count): "~" in RESP3, as Redis.
void ReplyMembers(CommandContext& ctx, const std::vector<std::string>& members) {
  ctx.out.SetHeader(members.size());
  for (const auto& m : members) ctx.out.Bulk(m);
}

void SAdd(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  int64_t added = types::SetAdd(ctx.txn, s, ctx.args.subspan(2));
  if (added > 0) {
    if (s.missing()) NotifyNew(ctx, ctx.args[1]);
    ctx.Notify(kSetEvents, "sadd", ctx.args[1]);
  }
  ctx.out.Integer(added);
}

void SRem(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  int64_t removed = types::SetRemove(ctx.txn, s, ctx.args.subspan(2));
  if (removed > 0) {
    ctx.Notify(kSetEvents, "srem", ctx.args[1]);
    NotifyDelIfGone(ctx, ctx.args[1], s.meta_key);
  }
  ctx.out.Integer(removed);
}

void SMembers(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  ReplyMembers(ctx, types::SetMembers(ctx.txn, s));
}

void SIsMember(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.Integer(types::SetIsMember(ctx.txn, s, ctx.args[2]) ? 1 : 0);
}

void SMIsMember(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.out.Integer(types::SetIsMember(ctx.txn, s, ctx.args[i]) ? 1 : 0);
  }
}

void SCard(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.Integer(types::SetCard(ctx.txn, s));
}

// SPOP key [count]. Each popped member is read (and deleted) through the view, so its subkey
// is compared at commit besides the meta key: two nodes never pop the same member.
void SPop(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.out.Error(kErrSyntax);
  bool with_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (with_count && (!ParseInt64(ctx.args[2], &count) || count < 0)) {
    return ctx.out.Error(kErrNotPositive);
  }
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (s.missing()) return with_count ? ctx.out.SetHeader(0) : ctx.out.NullBulk();
  if (count == 0) return ctx.out.SetHeader(0);
  auto popped = types::SetPop(ctx.txn, s, count);
  ctx.Notify(kSetEvents, "spop", ctx.args[1]);
  NotifyDelIfGone(ctx, ctx.args[1], s.meta_key);
  if (!with_count) return ctx.out.Bulk(popped.empty() ? std::string() : popped.front());
  ReplyMembers(ctx, popped);
}

// SRANDMEMBER key [count] — as Redis 7.0: the count is checked before the key.
void SRandMember(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.out.Error(kErrSyntax);
  if (ctx.args.size() == 2) {
    auto s = ReadKey(ctx, ctx.args[1], kSet);
    if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
    if (s.missing()) return ctx.out.NullBulk();
    int64_t size = types::SetCard(ctx.txn, s);
    return ctx.out.Bulk(types::RandomElement(ctx.txn, s.elements, kMemberTag, size).first);
  }
  int64_t count;
  if (!ParseRandomCount(ctx, &count)) return;
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (s.missing() || count == 0) return ctx.out.ArrayHeader(0);
  int64_t size = types::SetCard(ctx.txn, s);
  auto picked = types::RandomElements(ctx.txn, s.elements, kMemberTag, size, count);
  ctx.out.ArrayHeader(picked.size());
  for (const auto& [member, unused] : picked) ctx.out.Bulk(member);
}

void SMove(CommandContext& ctx) {
  auto src = ReadKey(ctx, ctx.args[1], kSet);
  auto dst = ReadKey(ctx, ctx.args[2], kSet);
  std::string_view member = ctx.args[3];
  if (src.missing()) return ctx.out.Integer(0);
  if (src.wrong_type() || dst.wrong_type()) return ctx.out.Error(kErrWrongType);
  bool same = src.meta_key == dst.meta_key;
  bool in_dst = Notifying(ctx) && !same && dst.ok() && types::SetIsMember(ctx.txn, dst, member);
  bool moved = types::SetMove(ctx.txn, src, dst, member);
  if (moved && !same) {  // as Redis's smoveCommand: srem, del, new, sadd
    ctx.Notify(kSetEvents, "srem", ctx.args[1]);
    NotifyDelIfGone(ctx, ctx.args[1], src.meta_key);
    if (dst.missing()) NotifyNew(ctx, ctx.args[2]);
    if (!in_dst) ctx.Notify(kSetEvents, "sadd", ctx.args[2]);
  }
  ctx.out.Integer(moved ? 1 : 0);
}

// --- SINTER, SUNION, SDIFF and their STORE / CARD forms ---------------------------------

/// Opens every key of `keys` as a set; replies WRONGTYPE and returns false if one is not.
/// Missing keys are kept (as empty sets).
bool OpenSets(CommandContext& ctx, std::span<const std::string_view> keys,
              std::vector<KeyRead>* sets) {
  for (auto key : keys) {
    sets->push_back(ReadKey(ctx, key, kSet));
    if (sets->back().wrong_type()) {
      ctx.out.Error(kErrWrongType);
      return false;
    }
  }
  return true;
}

enum class SetOp { kInter, kUnion, kDiff };

std::vector<std::string> Compute(CommandContext& ctx, SetOp op, const std::vector<KeyRead>& sets) {
  switch (op) {
    case SetOp::kInter:
      return types::SetInter(ctx.txn, sets, 0);
    case SetOp::kUnion:
      return types::SetUnion(ctx.txn, sets);
    case SetOp::kDiff:
      return types::SetDiff(ctx.txn, sets);
  }
  return {};
}

// SINTER / SUNION / SDIFF key [key ...]
void SetOpCommand(CommandContext& ctx, SetOp op) {
  std::vector<KeyRead> sets;
  if (!OpenSets(ctx, ctx.args.subspan(1), &sets)) return;
  ReplyMembers(ctx, Compute(ctx, op, sets));
}

// SINTERSTORE / SUNIONSTORE / SDIFFSTORE destination key [key ...]: the destination, whatever
// it held, is replaced by the result; an empty result deletes it.
void SetOpStore(CommandContext& ctx, SetOp op) {
  std::vector<KeyRead> sets;
  if (!OpenSets(ctx, ctx.args.subspan(2), &sets)) return;
  auto result = Compute(ctx, op, sets);
  std::string dst = ctx.Key(ctx.args[1]);
  bool existed = ctx.txn.Get(dst).has_value();
  types::SetStore(ctx.txn, dst, result);
  static constexpr std::string_view kEvents[] = {"sinterstore", "sunionstore", "sdiffstore"};
  NotifyStore(ctx, kSetEvents, kEvents[static_cast<int>(op)], ctx.args[1], existed,
              !result.empty());
  ctx.out.Integer(static_cast<int64_t>(result.size()));
}

void SInter(CommandContext& ctx) { SetOpCommand(ctx, SetOp::kInter); }
void SUnion(CommandContext& ctx) { SetOpCommand(ctx, SetOp::kUnion); }
void SDiff(CommandContext& ctx) { SetOpCommand(ctx, SetOp::kDiff); }
void SInterStore(CommandContext& ctx) { SetOpStore(ctx, SetOp::kInter); }
void SUnionStore(CommandContext& ctx) { SetOpStore(ctx, SetOp::kUnion); }
void SDiffStore(CommandContext& ctx) { SetOpStore(ctx, SetOp::kDiff); }

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void SInterCard(CommandContext& ctx) {
  int64_t numkeys;
  if (!ParseInt64(ctx.args[1], &numkeys) || numkeys < 1) {
    return ctx.out.Error("ERR numkeys should be greater than 0");
  }
  if (numkeys > static_cast<int64_t>(ctx.args.size()) - 2) {
    return ctx.out.Error("ERR Number of keys can't be greater than number of args");
  }
  int64_t limit = 0;
  for (size_t i = 2 + numkeys; i < ctx.args.size(); ++i) {
    if (EqualsIgnoreCase(ctx.args[i], "limit") && i + 1 < ctx.args.size()) {
      ++i;
      if (!ParseInt64(ctx.args[i], &limit) || limit < 0) {
        return ctx.out.Error("ERR LIMIT can't be negative");
      }
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  std::vector<KeyRead> sets;
  if (!OpenSets(ctx, ctx.args.subspan(2, numkeys), &sets)) return;
  ctx.out.Integer(static_cast<int64_t>(types::SetInter(ctx.txn, sets, limit).size()));
}

// SSCAN key cursor [MATCH pattern] [COUNT count] — see scan_cursor.h for what a cursor is.
void SScan(CommandContext& ctx) { ScanCollection(ctx, kSet, kMemberTag, nullptr); }

}  // namespace

void RegisterSetFamily(CommandTable& t) {
  t.Add({.name = "sadd",
         .arity = -3,
         .flags = kWrite | kDenyOom | kFast,
         .acl = acl::kWrite | acl::kSet | acl::kFast,
         .key_specs = {{.flags = kKeyRW | kKeyInsert, .begin = Index(1), .find = Range(0, 1, 0)}},
         .handler = WithKeyEvents<SAdd>})
      .Add(
          {.name = "srem",
           .arity = -3,
           .flags = kWrite | kFast,
           .acl = acl::kWrite | acl::kSet | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyDelete, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<SRem>})
      .Add(
          {.name = "smembers",
           .arity = 2,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output_order"},
           .handler = SMembers})
      .Add({.name = "sismember",
            .arity = 3,
            .flags = kReadOnly | kFast,
            .acl = acl::kRead | acl::kSet | acl::kFast,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(0, 1, 0)}},
            .handler = SIsMember})
      .Add(
          {.name = "smismember",
           .arity = -3,
           .flags = kReadOnly | kFast,
           .acl = acl::kRead | acl::kSet | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = SMIsMember})
      .Add({.name = "scard",
            .arity = 2,
            .flags = kReadOnly | kFast,
            .acl = acl::kRead | acl::kSet | acl::kFast,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(0, 1, 0)}},
            .handler = SCard})
      .Add({.name = "spop",
            .arity = -2,
            .flags = kWrite | kFast,
            .acl = acl::kWrite | acl::kSet | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .tips = {"nondeterministic_output"},
            .handler = WithKeyEvents<SPop>})
      .Add(
          {.name = "srandmember",
           .arity = -2,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output"},
           .handler = SRandMember})
      .Add(
          {.name = "smove",
           .arity = 4,
           .flags = kWrite | kFast,
           .acl = acl::kWrite | acl::kSet | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                          .begin = Index(1),
                          .find = Range(0, 1, 0)},
                         {.flags = kKeyRW | kKeyInsert, .begin = Index(2), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<SMove>})
      .Add({.name = "sinter",
            .arity = -2,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kSet | acl::kSlow,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Index(1),
                           .find = Range(-1, 1, 0)}},
            .tips = {"nondeterministic_output_order"},
            .handler = SInter})
      .Add({.name = "sintercard",
            .arity = -3,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kSet | acl::kSlow,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Index(1),
                           .find = KeyNum(0, 1, 1)}},
            .handler = SInterCard})
      .Add({.name = "sunion",
            .arity = -2,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kSet | acl::kSlow,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Index(1),
                           .find = Range(-1, 1, 0)}},
            .tips = {"nondeterministic_output_order"},
            .handler = SUnion})
      .Add({.name = "sdiff",
            .arity = -2,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kSet | acl::kSlow,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Index(1),
                           .find = Range(-1, 1, 0)}},
            .tips = {"nondeterministic_output_order"},
            .handler = SDiff})
      .Add({.name = "sinterstore",
            .arity = -3,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kSet | acl::kSlow,
            .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)},
                          {.flags = kKeyRO | kKeyAccess,
                           .begin = Index(2),
                           .find = Range(-1, 1, 0)}},
            .handler = WithKeyEvents<SInterStore>})
      .Add({.name = "sunionstore",
            .arity = -3,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kSet | acl::kSlow,
            .key_specs = {{.flags = kKeyOW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)},
                          {.flags = kKeyRO | kKeyAccess,
                           .begin = Index(2),
                           .find = Range(-1, 1, 0)}},
            .handler = WithKeyEvents<SUnionStore>})
      .Add({.name = "sdiffstore",
            .arity = -3,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kSet | acl::kSlow,
            .key_specs = {{.flags = kKeyOW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)},
                          {.flags = kKeyRO | kKeyAccess,
                           .begin = Index(2),
                           .find = Range(-1, 1, 0)}},
            .handler = WithKeyEvents<SDiffStore>})
      .Add(
          {.name = "sscan",
           .arity = -3,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output"},
           .handler = SScan});
}

}  // namespace petacore::commands
