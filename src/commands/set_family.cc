// set_family.cc — SADD, SPOP, SINTER, SSCAN…: Redis sets on the replicated key space, with
// Redis 7.0's replies and error texts.
//
// A set is its meta key (type 'S', payload = member count, see hash_set_common.h) plus one
// subkey per member: meta + 'm' + member -> "". Members are kept (and returned by SMEMBERS,
// SINTER, SUNION, SDIFF, SSCAN) in byte order. Every command that changes a set rewrites the
// meta key; missing keys read as empty sets.
#include <algorithm>
#include <span>

#include "commands/context.h"
#include "commands/hash_set_common.h"
#include "commands/key_access.h"
#include "commands/table.h"
#include "keyspace/encoding.h"

namespace petacore::commands {
namespace {

using keyspace::ValueType;
namespace coll = collection;

constexpr char kMemberTag = 'm';
constexpr ValueType kSet = ValueType::kSet;

std::string MemberKey(const std::string& meta_key, std::string_view member) {
  return keyspace::SubKey(meta_key, kMemberTag, member);
}

void ReplyMembers(CommandContext& ctx, const std::vector<std::string>& members) {
  ctx.out.ArrayHeader(members.size());
  for (const auto& m : members) ctx.out.Bulk(m);
}

std::vector<std::string> Members(CommandContext& ctx, const KeyRead& s) {
  std::vector<std::string> out;
  if (!s.ok()) return out;
  out.reserve(static_cast<size_t>(coll::Count(s)));
  ScanSubkeys(ctx, s.meta_key, kMemberTag, [&](std::string_view member, std::string_view) {
    out.emplace_back(member);
    return true;
  });
  return out;
}

void SAdd(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  int64_t added = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::string key = MemberKey(s.meta_key, ctx.args[i]);
    if (ctx.txn.Get(key)) continue;
    ctx.txn.Put(key, std::string());
    ++added;
  }
  if (added > 0) coll::SetCount(ctx, s, kSet, coll::Count(s) + added);
  ctx.out.Integer(added);
}

void SRem(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (s.missing()) return ctx.out.Integer(0);
  int64_t removed = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (ctx.txn.Delete(MemberKey(s.meta_key, ctx.args[i]))) ++removed;
  }
  if (removed > 0) coll::SetCount(ctx, s, kSet, coll::Count(s) - removed);
  ctx.out.Integer(removed);
}

void SMembers(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  ReplyMembers(ctx, Members(ctx, s));
}

void SIsMember(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.Integer(s.ok() && ctx.txn.Get(MemberKey(s.meta_key, ctx.args[2])) ? 1 : 0);
}

void SMIsMember(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.out.Integer(s.ok() && ctx.txn.Get(MemberKey(s.meta_key, ctx.args[i])) ? 1 : 0);
  }
}

void SCard(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.Integer(coll::Count(s));
}

// SPOP key [count]. Each popped member is read (and deleted) through the view, so its subkey
// is compared at commit besides the meta key: two nodes never pop the same member.
void SPop(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.out.Error(kErrSyntax);
  bool with_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (with_count && (!ParseInt64(ctx.args[2], &count) || count < 0)) {
    return ctx.out.Error("ERR value is out of range, must be positive");
  }
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (s.missing()) return with_count ? ctx.out.ArrayHeader(0) : ctx.out.NullBulk();
  if (count == 0) return ctx.out.ArrayHeader(0);
  int64_t size = coll::Count(s);
  std::vector<std::string> popped;
  if (count >= size) {
    popped = Members(ctx, s);
  } else {
    for (auto& [member, unused] : coll::RandomElements(ctx, s.meta_key, kMemberTag, size, count)) {
      popped.push_back(std::move(member));
    }
  }
  int64_t removed = 0;
  for (const auto& m : popped) {
    if (ctx.txn.Delete(MemberKey(s.meta_key, m))) ++removed;
  }
  coll::SetCount(ctx, s, kSet, size - removed);
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
    return ctx.out.Bulk(coll::RandomElement(ctx, s.meta_key, kMemberTag, coll::Count(s)).first);
  }
  int64_t count;
  if (!coll::ParseRandomCount(ctx, &count)) return;
  auto s = ReadKey(ctx, ctx.args[1], kSet);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (s.missing() || count == 0) return ctx.out.ArrayHeader(0);
  auto picked = coll::RandomElements(ctx, s.meta_key, kMemberTag, coll::Count(s), count);
  ctx.out.ArrayHeader(picked.size());
  for (const auto& [member, unused] : picked) ctx.out.Bulk(member);
}

void SMove(CommandContext& ctx) {
  auto src = ReadKey(ctx, ctx.args[1], kSet);
  auto dst = ReadKey(ctx, ctx.args[2], kSet);
  std::string_view member = ctx.args[3];
  if (src.missing()) return ctx.out.Integer(0);
  if (src.wrong_type() || dst.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (src.meta_key == dst.meta_key) {
    return ctx.out.Integer(ctx.txn.Get(MemberKey(src.meta_key, member)) ? 1 : 0);
  }
  if (!ctx.txn.Delete(MemberKey(src.meta_key, member))) return ctx.out.Integer(0);
  coll::SetCount(ctx, src, kSet, coll::Count(src) - 1);
  std::string key = MemberKey(dst.meta_key, member);
  if (!ctx.txn.Get(key)) {
    ctx.txn.Put(key, std::string());
    coll::SetCount(ctx, dst, kSet, coll::Count(dst) + 1);
  }
  ctx.out.Integer(1);
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

/// The intersection, in byte order; stops at `limit` members (0 = no limit). Walks the
/// smallest set and probes the others.
std::vector<std::string> Inter(CommandContext& ctx, std::vector<KeyRead> sets, int64_t limit) {
  std::vector<std::string> out;
  for (const auto& s : sets) {
    if (!s.ok()) return out;
  }
  std::sort(sets.begin(), sets.end(),
            [](const KeyRead& a, const KeyRead& b) { return coll::Count(a) < coll::Count(b); });
  ScanSubkeys(ctx, sets[0].meta_key, kMemberTag, [&](std::string_view member, std::string_view) {
    for (size_t i = 1; i < sets.size(); ++i) {
      if (sets[i].meta_key == sets[0].meta_key) continue;
      if (!coll::HasSubkey(ctx, MemberKey(sets[i].meta_key, member))) return true;
    }
    out.emplace_back(member);
    return limit == 0 || static_cast<int64_t>(out.size()) < limit;
  });
  return out;
}

std::vector<std::string> Union(CommandContext& ctx, const std::vector<KeyRead>& sets) {
  std::vector<std::string> out;
  for (const auto& s : sets) {
    auto members = Members(ctx, s);
    out.insert(out.end(), std::make_move_iterator(members.begin()),
               std::make_move_iterator(members.end()));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// The members of the first set in none of the others.
std::vector<std::string> Diff(CommandContext& ctx, const std::vector<KeyRead>& sets) {
  std::vector<std::string> out;
  if (!sets[0].ok()) return out;
  ScanSubkeys(ctx, sets[0].meta_key, kMemberTag, [&](std::string_view member, std::string_view) {
    for (size_t i = 1; i < sets.size(); ++i) {
      if (!sets[i].ok()) continue;
      if (sets[i].meta_key == sets[0].meta_key) return true;
      if (coll::HasSubkey(ctx, MemberKey(sets[i].meta_key, member))) return true;
    }
    out.emplace_back(member);
    return true;
  });
  return out;
}

enum class SetOp { kInter, kUnion, kDiff };

std::vector<std::string> Compute(CommandContext& ctx, SetOp op, const std::vector<KeyRead>& sets) {
  switch (op) {
    case SetOp::kInter:
      return Inter(ctx, sets, 0);
    case SetOp::kUnion:
      return Union(ctx, sets);
    case SetOp::kDiff:
      return Diff(ctx, sets);
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
  DeleteKey(ctx, dst);
  for (const auto& m : result) ctx.txn.Put(MemberKey(dst, m), std::string());
  if (!result.empty()) WriteMeta(ctx, dst, kSet, std::to_string(result.size()));
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
  ctx.out.Integer(static_cast<int64_t>(Inter(ctx, sets, limit).size()));
}

// SSCAN key cursor [MATCH pattern] [COUNT count] — see scan_cursor.h for what a cursor is.
void SScan(CommandContext& ctx) { coll::ScanCommand(ctx, kSet, kMemberTag, false); }

}  // namespace

void RegisterSetFamily(CommandTable& t) {
  t.Add({.name = "sadd",
         .arity = -3,
         .flags = kWrite | kDenyOom | kFast,
         .acl = acl::kWrite | acl::kSet | acl::kFast,
         .key_specs = {{.flags = kKeyRW | kKeyInsert, .begin = Index(1), .find = Range(0, 1, 0)}},
         .handler = SAdd})
      .Add(
          {.name = "srem",
           .arity = -3,
           .flags = kWrite | kFast,
           .acl = acl::kWrite | acl::kSet | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyDelete, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = SRem})
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
            .handler = SPop})
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
           .handler = SMove})
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
            .handler = SInterStore})
      .Add({.name = "sunionstore",
            .arity = -3,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kSet | acl::kSlow,
            .key_specs = {{.flags = kKeyOW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)},
                          {.flags = kKeyRO | kKeyAccess,
                           .begin = Index(2),
                           .find = Range(-1, 1, 0)}},
            .handler = SUnionStore})
      .Add({.name = "sdiffstore",
            .arity = -3,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kSet | acl::kSlow,
            .key_specs = {{.flags = kKeyOW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)},
                          {.flags = kKeyRO | kKeyAccess,
                           .begin = Index(2),
                           .find = Range(-1, 1, 0)}},
            .handler = SDiffStore})
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
