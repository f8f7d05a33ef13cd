// zset_sample_family.cc — ZRANDMEMBER and ZINTERCARD, as Redis 7.0 (t_zset.c:
// zrandmemberCommand, zinterCardCommand). Kept apart from zset_family.cc (which is near its
// size limit); the sampling is keyspace::types::RandomElements, the inputs ZSetLoadSource.
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/random_count.h"
#include "commands/table.h"
#include "commands/zset_util.h"
#include "keyspace/encoding.h"
#include "keyspace/types/zset.h"

namespace petacore::commands {

namespace {

namespace types = keyspace::types;

// ZRANDMEMBER key [count [WITHSCORES]]
void ZRandMember(CommandContext& ctx) {
  constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();
  if (ctx.args.size() == 2) {
    auto z = types::ReadZSet(ctx.txn, ctx.Key(ctx.args[1]));
    if (z.wrong_type()) return ctx.out.Error(kErrWrongType);
    if (!z.ok()) return ctx.out.NullBulk();
    int64_t size = types::ZSetCard(ctx.txn, z);
    return ctx.out.Bulk(
        types::RandomElement(ctx.txn, z.elements, keyspace::kZSetMemberTag, size).first);
  }
  int64_t count;
  if (!ParseRandomCount(ctx, &count)) return;
  bool withscores = false;
  if (ctx.args.size() > 4 ||
      (ctx.args.size() == 4 && !EqualsIgnoreCase(ctx.args[3], "withscores"))) {
    return ctx.out.Error(kErrSyntax);
  }
  if (ctx.args.size() == 4) {
    withscores = true;
    if (count < -kLongMax / 2 || count > kLongMax / 2) return ctx.out.Error(kErrOutOfRange);
  }
  auto z = types::ReadZSet(ctx.txn, ctx.Key(ctx.args[1]));
  if (z.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (!z.ok() || count == 0) return ctx.out.ArrayHeader(0);
  int64_t size = types::ZSetCard(ctx.txn, z);
  auto picked = types::RandomElements(ctx.txn, z.elements, keyspace::kZSetMemberTag, size, count);
  bool nested = withscores && ctx.out.protocol() >= 3;  // RESP3: an array of [member, score]
  ctx.out.ArrayHeader(withscores && !nested ? picked.size() * 2 : picked.size());
  for (const auto& [member, score] : picked) {
    if (nested) ctx.out.ArrayHeader(2);
    ctx.out.Bulk(member);
    if (withscores) zset::ReplyScore(ctx, keyspace::DecodeSortableDouble(score));
  }
}

// ZINTERCARD numkeys key [key ...] [LIMIT limit] — the size of the intersection (sorted sets,
// or sets whose members count as members), stopping at LIMIT (0: no limit).
void ZInterCard(CommandContext& ctx) {
  int64_t setnum = 0;
  if (!ParseInt64(ctx.args[1], &setnum)) return ctx.out.Error(kErrNotInteger);
  if (setnum < 1) {
    return ctx.out.Error("ERR at least 1 input key is needed for 'zintercard' command");
  }
  if (setnum > static_cast<int64_t>(ctx.args.size() - 2)) return ctx.out.Error(kErrSyntax);
  std::vector<std::vector<types::ZEntry>> src(setnum);
  size_t j = 2;
  for (int64_t i = 0; i < setnum; ++i, ++j) {
    if (!types::ZSetLoadSource(ctx.txn, ctx.Key(ctx.args[j]), &src[i])) {
      return ctx.out.Error(kErrWrongType);
    }
  }
  int64_t limit = 0;
  while (j < ctx.args.size()) {
    if (ctx.args.size() - j >= 2 && EqualsIgnoreCase(ctx.args[j], "limit")) {
      if (!ParseInt64(ctx.args[j + 1], &limit) || limit < 0) {
        return ctx.out.Error("ERR LIMIT can't be negative");
      }
      j += 2;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  std::map<std::string_view, int64_t> seen;  // member -> in how many inputs
  size_t smallest = 0;
  for (size_t i = 1; i < src.size(); ++i) {
    if (src[i].size() < src[smallest].size()) smallest = i;
  }
  for (const auto& e : src[smallest]) seen.emplace(e.member, 0);
  for (const auto& s : src) {
    for (const auto& e : s) {
      auto it = seen.find(e.member);
      if (it != seen.end()) ++it->second;
    }
  }
  int64_t card = 0;
  for (const auto& [member, n] : seen) {
    if (n == setnum) ++card;
  }
  if (limit > 0 && card > limit) card = limit;
  ctx.out.Integer(card);
}

}  // namespace

void RegisterZSetSampleFamily(CommandTable& t) {
  t.Add({.name = "zrandmember",
         .arity = -2,
         .flags = kReadOnly,
         .acl = acl::kRead | acl::kSortedSet | acl::kSlow,
         .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
         .tips = {"nondeterministic_output"},
         .handler = ZRandMember})
      .Add({.name = "zintercard",
            .arity = -3,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kSortedSet | acl::kSlow,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Index(1),
                           .find = KeyNum(0, 1, 1)}},
            .handler = ZInterCard});
}

}  // namespace petacore::commands
