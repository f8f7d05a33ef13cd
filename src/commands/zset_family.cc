// zset_family.cc — ZADD, ZRANGE, ZPOPMIN, ZUNIONSTORE…: Redis sorted sets on the replicated
// key space, with Redis 7.0's replies, error texts and orders (the data operations and the
// layout are in src/keyspace/types/zset.h). Range commands over a lexicographic range walk
// the (score, member) order the way Redis's listpack encoding does, so even sets with mixed
// scores answer as Redis does for small sets.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/key_access.h"
#include "commands/notify.h"
#include "commands/scan_cursor.h"
#include "commands/table.h"
#include "commands/zset_setops.h"
#include "commands/zset_util.h"
#include "keyspace/encoding.h"
#include "keyspace/types/zset.h"

namespace petacore::commands {
namespace {

using keyspace::ValueType;
namespace types = keyspace::types;
using zset::Entry;
using zset::ReplyEntries;
using zset::SetOp;
using zset::SetOpGeneric;
constexpr int kZSetEvents = keyspace::notify::kZSet;

// ---- ZADD / ZINCRBY -----------------------------------------------------------------------

struct AddFlags {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
};

void AddGeneric(CommandContext& ctx, AddFlags f, size_t scoreidx) {
  size_t elements = ctx.args.size() - scoreidx;
  if (elements % 2 != 0 || elements == 0) return ctx.out.Error(kErrSyntax);
  size_t pairs = elements / 2;
  if (f.nx && f.xx) {
    return ctx.out.Error("ERR XX and NX options at the same time are not compatible");
  }
  if ((f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt)) {
    return ctx.out.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (f.incr && pairs > 1) {
    return ctx.out.Error("ERR INCR option supports a single increment-element pair");
  }
  std::vector<double> scores(pairs);
  for (size_t j = 0; j < pairs; ++j) {
    if (!zset::ParseScore(ctx.args[scoreidx + j * 2], &scores[j])) {
      return ctx.out.Error(kErrNotFloat);
    }
  }
  std::vector<std::string_view> members(pairs);
  for (size_t j = 0; j < pairs; ++j) members[j] = ctx.args[scoreidx + j * 2 + 1];
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  types::ZAddFlags flags{.nx = f.nx, .xx = f.xx, .gt = f.gt, .lt = f.lt, .incr = f.incr};
  auto r = types::ZSetAdd(ctx.txn, key, flags, scores, members);
  if (r.added + r.updated > 0) {  // as Redis's zaddGenericCommand
    if (key.missing()) NotifyNew(ctx, ctx.args[1]);
    ctx.Notify(kZSetEvents, f.incr ? "zincr" : "zadd", ctx.args[1]);
  }
  if (r.nan) return ctx.out.Error(kErrScoreNaN);
  if (f.incr) {
    if (r.processed > 0) return zset::ReplyScore(ctx, r.last_score);
    return ctx.out.NullBulk();
  }
  ctx.out.Integer(f.ch ? r.added + r.updated : r.added);
}

void ZAdd(CommandContext& ctx) {
  AddFlags f;
  size_t i = 2;
  for (; i < ctx.args.size(); ++i) {
    auto a = ctx.args[i];
    if (EqualsIgnoreCase(a, "nx")) {
      f.nx = true;
    } else if (EqualsIgnoreCase(a, "xx")) {
      f.xx = true;
    } else if (EqualsIgnoreCase(a, "ch")) {
      f.ch = true;
    } else if (EqualsIgnoreCase(a, "incr")) {
      f.incr = true;
    } else if (EqualsIgnoreCase(a, "gt")) {
      f.gt = true;
    } else if (EqualsIgnoreCase(a, "lt")) {
      f.lt = true;
    } else {
      break;
    }
  }
  AddGeneric(ctx, f, i);
}

void ZIncrBy(CommandContext& ctx) {
  AddFlags f;
  f.incr = true;
  AddGeneric(ctx, f, 2);
}

// ---- point reads and ZREM -----------------------------------------------------------------

void ZRem(CommandContext& ctx) {
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (key.missing()) return ctx.out.Integer(0);
  std::vector<Entry> entries;
  for (size_t i = 2; i < ctx.args.size(); ++i) entries.push_back({std::string(ctx.args[i]), 0});
  int64_t removed = types::ZSetRemoveEntries(ctx.txn, key, entries);
  if (removed > 0) {
    ctx.Notify(kZSetEvents, "zrem", ctx.args[1]);
    NotifyDelIfGone(ctx, ctx.args[1], key.meta_key);
  }
  ctx.out.Integer(removed);
}

void ZScore(CommandContext& ctx) {
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (key.missing()) return ctx.out.NullBulk();
  auto score = types::ZSetScore(ctx.txn, key.elements, ctx.args[2]);
  if (!score) return ctx.out.NullBulk();
  zset::ReplyScore(ctx, *score);
}

void ZMScore(CommandContext& ctx) {
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    auto score =
        key.missing() ? std::nullopt : types::ZSetScore(ctx.txn, key.elements, ctx.args[i]);
    if (score) {
      zset::ReplyScore(ctx, *score);
    } else {
      ctx.out.NullBulk();
    }
  }
}

void ZCard(CommandContext& ctx) {
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (key.missing()) return ctx.out.Integer(0);
  ctx.out.Integer(types::ZSetCard(ctx.txn, key));
}

void RankGeneric(CommandContext& ctx, bool reverse) {
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (key.missing()) return ctx.out.NullBulk();
  auto score = types::ZSetScore(ctx.txn, key.elements, ctx.args[2]);
  if (!score) return ctx.out.NullBulk();
  auto all = types::ZSetSorted(ctx.txn, key.elements);
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].member == ctx.args[2]) {
      return ctx.out.Integer(static_cast<int64_t>(reverse ? all.size() - 1 - i : i));
    }
  }
  ctx.out.NullBulk();
}

void ZRank(CommandContext& ctx) { RankGeneric(ctx, false); }
void ZRevRank(CommandContext& ctx) { RankGeneric(ctx, true); }

// ---- range selection ----------------------------------------------------------------------

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

/// A parsed range request: which entries of the sorted members to take.
struct RangeSpec {
  RangeType type = RangeType::kRank;
  bool reverse = false;
  int64_t start = 0, end = 0;  // kRank
  zset::ScoreRange score;      // kScore
  zset::LexRange lex;          // kLex
  int64_t offset = 0, limit = -1;
};

std::vector<Entry> SelectRank(std::vector<Entry>& all, const RangeSpec& s) {
  int64_t llen = static_cast<int64_t>(all.size());
  int64_t start = s.start, end = s.end;
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return {};
  if (end >= llen) end = llen - 1;
  std::vector<Entry> out;
  for (int64_t i = start; i <= end; ++i) {
    out.push_back(std::move(all[s.reverse ? llen - 1 - i : i]));
  }
  return out;
}

/// The score and lex walks of Redis's listpack encoding: find the first entry in range from
/// the walk's start, skip `offset` entries, then take entries while the far bound holds.
std::vector<Entry> SelectWalk(std::vector<Entry>& all, const RangeSpec& s) {
  int64_t n = static_cast<int64_t>(all.size());
  if (n == 0) return {};
  auto gte_min = [&](const Entry& e) {
    return s.type == RangeType::kScore ? s.score.GteMin(e.score) : s.lex.GteMin(e.member);
  };
  auto lte_max = [&](const Entry& e) {
    return s.type == RangeType::kScore ? s.score.LteMax(e.score) : s.lex.LteMax(e.member);
  };
  bool empty = s.type == RangeType::kScore ? s.score.Empty() : s.lex.Empty();
  if (empty || !gte_min(all[n - 1]) || !lte_max(all[0])) return {};
  int64_t step = s.reverse ? -1 : 1;
  int64_t i = s.reverse ? n - 1 : 0;
  // The first entry past the near bound, which must also be within the far one.
  for (; i >= 0 && i < n; i += step) {
    if (s.reverse ? lte_max(all[i]) : gte_min(all[i])) break;
  }
  if (i < 0 || i >= n || !(s.reverse ? gte_min(all[i]) : lte_max(all[i]))) return {};
  if (s.offset < 0) return {};  // Redis's "while (offset--)" skips everything
  i += step * s.offset;
  std::vector<Entry> out;
  for (int64_t limit = s.limit; i >= 0 && i < n && limit != 0; i += step, --limit) {
    if (!(s.reverse ? gte_min(all[i]) : lte_max(all[i]))) break;
    out.push_back(std::move(all[i]));
  }
  return out;
}

std::vector<Entry> Select(std::vector<Entry> all, const RangeSpec& s) {
  if (s.type == RangeType::kRank) return SelectRank(all, s);
  return SelectWalk(all, s);
}

/// Parses the range arguments at args[minidx] and args[maxidx]; replies the error on failure.
bool ParseRangeArgs(CommandContext& ctx, size_t minidx, size_t maxidx, RangeSpec* s) {
  switch (s->type) {
    case RangeType::kScore:
      if (!zset::ParseScoreRange(ctx.args[minidx], ctx.args[maxidx], &s->score)) {
        ctx.out.Error(kErrMinMaxNotFloat);
        return false;
      }
      return true;
    case RangeType::kLex:
      if (!zset::ParseLexRange(ctx.args[minidx], ctx.args[maxidx], &s->lex)) {
        ctx.out.Error(kErrMinMaxNotLex);
        return false;
      }
      return true;
    default:
      if (!ParseInt64(ctx.args[minidx], &s->start) || !ParseInt64(ctx.args[maxidx], &s->end)) {
        ctx.out.Error(kErrNotInteger);
        return false;
      }
      return true;
  }
}

/// Redis 7.0's zrangeGenericCommand: ZRANGE, ZRANGESTORE and the older range commands.
/// `src` is the index of the source key; with `store`, args[1] is the destination.
void RangeGeneric(CommandContext& ctx, size_t src, bool store, RangeType type, Direction dir) {
  bool withscores = false;
  RangeSpec spec;
  for (size_t j = src + 3; j < ctx.args.size(); ++j) {
    size_t left = ctx.args.size() - j - 1;
    auto a = ctx.args[j];
    if (!store && EqualsIgnoreCase(a, "withscores")) {
      withscores = true;
    } else if (EqualsIgnoreCase(a, "limit") && left >= 2) {
      if (!ParseInt64(ctx.args[j + 1], &spec.offset) || !ParseInt64(ctx.args[j + 2], &spec.limit)) {
        return ctx.out.Error(kErrNotInteger);
      }
      j += 2;
    } else if (dir == Direction::kAuto && EqualsIgnoreCase(a, "rev")) {
      dir = Direction::kReverse;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(a, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(a, "byscore")) {
      type = RangeType::kScore;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  if (dir == Direction::kAuto) dir = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  if (spec.limit != -1 && type == RangeType::kRank) {
    return ctx.out.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
        "BYLEX");
  }
  if (withscores && type == RangeType::kLex) {
    return ctx.out.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  spec.type = type;
  spec.reverse = dir == Direction::kReverse;
  size_t minidx = src + 1, maxidx = src + 2;
  if (spec.reverse && type != RangeType::kRank) std::swap(minidx, maxidx);  // [max, min]
  if (!ParseRangeArgs(ctx, minidx, maxidx, &spec)) return;

  auto key = ReadKey(ctx, ctx.args[src], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  std::vector<Entry> result;
  if (!key.missing()) {
    std::vector<Entry> all;
    if (store) {
      types::ZSetLoadSource(ctx.txn, key.meta_key, &all);  // reads every member: compared
    } else {
      all = types::ZSetSorted(ctx.txn, key.elements);
    }
    result = Select(std::move(all), spec);
  }
  if (!store) return ReplyEntries(ctx, result, withscores);
  std::string dst = ctx.Key(ctx.args[1]);
  bool existed = ctx.txn.Get(dst).has_value();
  types::ZSetStore(ctx.txn, dst, result);
  NotifyStore(ctx, kZSetEvents, "zrangestore", ctx.args[1], existed, !result.empty());
  ctx.out.Integer(static_cast<int64_t>(result.size()));
}

void ZRange(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kAuto, Direction::kAuto);
}
void ZRangeStore(CommandContext& ctx) {
  RangeGeneric(ctx, 2, true, RangeType::kAuto, Direction::kAuto);
}
void ZRevRange(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kRank, Direction::kReverse);
}
void ZRangeByScore(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kForward);
}
void ZRevRangeByScore(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kReverse);
}
void ZRangeByLex(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kForward);
}
void ZRevRangeByLex(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kReverse);
}

/// ZCOUNT / ZLEXCOUNT: the range first, then the key.
void CountGeneric(CommandContext& ctx, RangeType type) {
  RangeSpec spec;
  spec.type = type;
  if (!ParseRangeArgs(ctx, 2, 3, &spec)) return;
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (key.missing()) return ctx.out.Integer(0);
  auto selected = Select(types::ZSetSorted(ctx.txn, key.elements), spec);
  ctx.out.Integer(static_cast<int64_t>(selected.size()));
}

void ZCount(CommandContext& ctx) { CountGeneric(ctx, RangeType::kScore); }
void ZLexCount(CommandContext& ctx) { CountGeneric(ctx, RangeType::kLex); }

/// ZREMRANGEBYRANK / BYSCORE / BYLEX.
void RemRangeGeneric(CommandContext& ctx, RangeType type) {
  RangeSpec spec;
  spec.type = type;
  if (!ParseRangeArgs(ctx, 2, 3, &spec)) return;
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (key.missing()) return ctx.out.Integer(0);
  auto selected = Select(types::ZSetSorted(ctx.txn, key.elements), spec);
  int64_t removed = types::ZSetRemoveEntries(ctx.txn, key, selected);
  if (removed > 0) {
    std::string_view event = type == RangeType::kRank    ? "zremrangebyrank"
                             : type == RangeType::kScore ? "zremrangebyscore"
                                                         : "zremrangebylex";
    ctx.Notify(kZSetEvents, event, ctx.args[1]);
    NotifyDelIfGone(ctx, ctx.args[1], key.meta_key);
  }
  ctx.out.Integer(removed);
}

void ZRemRangeByRank(CommandContext& ctx) { RemRangeGeneric(ctx, RangeType::kRank); }
void ZRemRangeByScore(CommandContext& ctx) { RemRangeGeneric(ctx, RangeType::kScore); }
void ZRemRangeByLex(CommandContext& ctx) { RemRangeGeneric(ctx, RangeType::kLex); }

// ---- pops ---------------------------------------------------------------------------------

void PopGeneric(CommandContext& ctx, bool max) {
  if (ctx.args.size() > 3) return ctx.out.Error(kErrSyntax);
  int64_t count = -1;  // no count: one member, flat reply
  if (ctx.args.size() == 3 && (!ParseInt64(ctx.args[2], &count) || count < 0)) {
    return ctx.out.Error(kErrNotPositive);
  }
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (key.missing() || count == 0) return ctx.out.ArrayHeader(0);
  auto taken = types::ZSetPop(ctx.txn, key, max, count < 0 ? 1 : count);
  if (!taken.empty()) {
    ctx.Notify(kZSetEvents, max ? "zpopmax" : "zpopmin", ctx.args[1]);
    NotifyDelIfGone(ctx, ctx.args[1], key.meta_key);
  }
  bool nested = ctx.out.protocol() >= 3 && count != -1;
  ctx.out.ArrayHeader(nested ? taken.size() : taken.size() * 2);
  for (const auto& e : taken) {
    if (nested) ctx.out.ArrayHeader(2);
    ctx.out.Bulk(e.member);
    zset::ReplyScore(ctx, e.score);
  }
}

void ZPopMin(CommandContext& ctx) { PopGeneric(ctx, false); }
void ZPopMax(CommandContext& ctx) { PopGeneric(ctx, true); }

/// BZPOPMIN / BZPOPMAX key [key ...] timeout: the first non-empty key, else park (outside
/// MULTI) or a null array (inside MULTI, as Redis).
void BlockingPopGeneric(CommandContext& ctx, bool max) {
  int64_t timeout_ms = 0;
  if (!zset::ParseBlockTimeout(ctx, ctx.args.back(), &timeout_ms)) return;
  std::vector<std::string> metas;
  for (size_t i = 1; i + 1 < ctx.args.size(); ++i) {
    auto key = ReadKey(ctx, ctx.args[i], ValueType::kZSet);
    if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
    if (key.ok()) {
      auto taken = types::ZSetPop(ctx.txn, key, max, 1);
      if (!taken.empty()) {
        ctx.Notify(kZSetEvents, max ? "zpopmax" : "zpopmin", ctx.args[i]);
        NotifyDelIfGone(ctx, ctx.args[i], key.meta_key);
        ctx.out.ArrayHeader(3);
        ctx.out.Bulk(ctx.args[i]);
        ctx.out.Bulk(taken[0].member);
        zset::ReplyScore(ctx, taken[0].score);
        return;
      }
    }
    metas.push_back(key.meta_key);
  }
  if (ctx.block == nullptr) return ctx.out.NullArray();
  ctx.block->requested = true;
  ctx.block->keys = std::move(metas);
  ctx.block->timeout_ms = timeout_ms;
}

void BZPopMin(CommandContext& ctx) { BlockingPopGeneric(ctx, false); }
void BZPopMax(CommandContext& ctx) { BlockingPopGeneric(ctx, true); }

void ZUnionStore(CommandContext& ctx) { SetOpGeneric(ctx, 2, true, SetOp::kUnion, "zunionstore"); }
void ZInterStore(CommandContext& ctx) { SetOpGeneric(ctx, 2, true, SetOp::kInter, "zinterstore"); }
void ZDiffStore(CommandContext& ctx) { SetOpGeneric(ctx, 2, true, SetOp::kDiff, "zdiffstore"); }
void ZUnion(CommandContext& ctx) { SetOpGeneric(ctx, 1, false, SetOp::kUnion, "zunion"); }
void ZInter(CommandContext& ctx) { SetOpGeneric(ctx, 1, false, SetOp::kInter, "zinter"); }
void ZDiff(CommandContext& ctx) { SetOpGeneric(ctx, 1, false, SetOp::kDiff, "zdiff"); }

// ---- ZSCAN --------------------------------------------------------------------------------

/// ZSCAN key cursor [MATCH p] [COUNT n]: walks members in byte order (Redis walks its own
/// order; clients must not rely on it) with the one cursor implementation (scan_cursor.h).
void ZScan(CommandContext& ctx) {
  ScanCollection(ctx, ValueType::kZSet, keyspace::kZSetMemberTag, [](std::string_view v) {
    return zset::FormatScore(v.size() == 8 ? keyspace::DecodeSortableDouble(v) : 0);
  });
}

}  // namespace

void RegisterZSetFamily(CommandTable& t) {
  t.Add({.name = "zadd",
         .arity = -4,
         .flags = kWrite | kDenyOom | kFast,
         .acl = acl::kWrite | acl::kSortedSet | acl::kFast,
         .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
         .handler = WithKeyEvents<ZAdd>})
      .Add({.name = "zincrby",
            .arity = 4,
            .flags = kWrite | kDenyOom | kFast,
            .acl = acl::kWrite | acl::kSortedSet | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<ZIncrBy>})
      .Add(
          {.name = "zrem",
           .arity = -3,
           .flags = kWrite | kFast,
           .acl = acl::kWrite | acl::kSortedSet | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyDelete, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<ZRem>})
      .Add(
          {.name = "zscore",
           .arity = 3,
           .flags = kReadOnly | kFast,
           .acl = acl::kRead | acl::kSortedSet | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ZScore})
      .Add(
          {.name = "zmscore",
           .arity = -3,
           .flags = kReadOnly | kFast,
           .acl = acl::kRead | acl::kSortedSet | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ZMScore})
      .Add({.name = "zcard",
            .arity = 2,
            .flags = kReadOnly | kFast,
            .acl = acl::kRead | acl::kSortedSet | acl::kFast,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(0, 1, 0)}},
            .handler = ZCard})
      .Add(
          {.name = "zcount",
           .arity = 4,
           .flags = kReadOnly | kFast,
           .acl = acl::kRead | acl::kSortedSet | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ZCount})
      .Add(
          {.name = "zlexcount",
           .arity = 4,
           .flags = kReadOnly | kFast,
           .acl = acl::kRead | acl::kSortedSet | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ZLexCount})
      .Add(
          {.name = "zrank",
           .arity = 3,
           .flags = kReadOnly | kFast,
           .acl = acl::kRead | acl::kSortedSet | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ZRank})
      .Add(
          {.name = "zrevrank",
           .arity = 3,
           .flags = kReadOnly | kFast,
           .acl = acl::kRead | acl::kSortedSet | acl::kFast,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ZRevRank})
      .Add(
          {.name = "zrange",
           .arity = -4,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kSortedSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ZRange})
      .Add(
          {.name = "zrangestore",
           .arity = -5,
           .flags = kWrite | kDenyOom,
           .acl = acl::kWrite | acl::kSortedSet | acl::kSlow,
           .key_specs = {{.flags = kKeyOW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)},
                         {.flags = kKeyRO | kKeyAccess, .begin = Index(2), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<ZRangeStore>})
      .Add(
          {.name = "zrevrange",
           .arity = -4,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kSortedSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ZRevRange})
      .Add(
          {.name = "zrangebyscore",
           .arity = -4,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kSortedSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ZRangeByScore})
      .Add(
          {.name = "zrevrangebyscore",
           .arity = -4,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kSortedSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ZRevRangeByScore})
      .Add(
          {.name = "zrangebylex",
           .arity = -4,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kSortedSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ZRangeByLex})
      .Add(
          {.name = "zrevrangebylex",
           .arity = -4,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kSortedSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = ZRevRangeByLex})
      .Add(
          {.name = "zremrangebyrank",
           .arity = 4,
           .flags = kWrite,
           .acl = acl::kWrite | acl::kSortedSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRW | kKeyDelete, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<ZRemRangeByRank>})
      .Add(
          {.name = "zremrangebyscore",
           .arity = 4,
           .flags = kWrite,
           .acl = acl::kWrite | acl::kSortedSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRW | kKeyDelete, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<ZRemRangeByScore>})
      .Add(
          {.name = "zremrangebylex",
           .arity = 4,
           .flags = kWrite,
           .acl = acl::kWrite | acl::kSortedSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRW | kKeyDelete, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<ZRemRangeByLex>})
      .Add({.name = "zpopmin",
            .arity = -2,
            .flags = kWrite | kFast,
            .acl = acl::kWrite | acl::kSortedSet | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<ZPopMin>})
      .Add({.name = "zpopmax",
            .arity = -2,
            .flags = kWrite | kFast,
            .acl = acl::kWrite | acl::kSortedSet | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<ZPopMax>})
      .Add({.name = "bzpopmin",
            .arity = -3,
            .flags = kWrite | kNoScript | kBlocking | kFast,
            .acl = acl::kWrite | acl::kSortedSet | acl::kFast | acl::kBlocking,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                           .begin = Index(1),
                           .find = Range(-2, 1, 0)}},
            .handler = WithKeyEvents<BZPopMin>})
      .Add({.name = "bzpopmax",
            .arity = -3,
            .flags = kWrite | kNoScript | kBlocking | kFast,
            .acl = acl::kWrite | acl::kSortedSet | acl::kFast | acl::kBlocking,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                           .begin = Index(1),
                           .find = Range(-2, 1, 0)}},
            .handler = WithKeyEvents<BZPopMax>})
      .Add({.name = "zunionstore",
            .arity = -4,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kSortedSet | acl::kSlow,
            .key_specs = {{.flags = kKeyOW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)},
                          {.flags = kKeyRO | kKeyAccess,
                           .begin = Index(2),
                           .find = KeyNum(0, 1, 1)}},
            .handler = WithKeyEvents<ZUnionStore>})
      .Add({.name = "zinterstore",
            .arity = -4,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kSortedSet | acl::kSlow,
            .key_specs = {{.flags = kKeyOW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)},
                          {.flags = kKeyRO | kKeyAccess,
                           .begin = Index(2),
                           .find = KeyNum(0, 1, 1)}},
            .handler = WithKeyEvents<ZInterStore>})
      .Add({.name = "zdiffstore",
            .arity = -4,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kSortedSet | acl::kSlow,
            .key_specs = {{.flags = kKeyOW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)},
                          {.flags = kKeyRO | kKeyAccess,
                           .begin = Index(2),
                           .find = KeyNum(0, 1, 1)}},
            .handler = WithKeyEvents<ZDiffStore>})
      .Add({.name = "zunion",
            .arity = -3,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kSortedSet | acl::kSlow,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Index(1),
                           .find = KeyNum(0, 1, 1)}},
            .handler = ZUnion})
      .Add({.name = "zinter",
            .arity = -3,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kSortedSet | acl::kSlow,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Index(1),
                           .find = KeyNum(0, 1, 1)}},
            .handler = ZInter})
      .Add({.name = "zdiff",
            .arity = -3,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kSortedSet | acl::kSlow,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Index(1),
                           .find = KeyNum(0, 1, 1)}},
            .handler = ZDiff})
      .Add(
          {.name = "zscan",
           .arity = -3,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kSortedSet | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output"},
           .handler = ZScan});
}

}  // namespace petacore::commands
