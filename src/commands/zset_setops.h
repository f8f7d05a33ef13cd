// src/commands/zset_setops.h — ZUNION[STORE], ZINTER[STORE], ZDIFF[STORE] as Redis 7.0's
// zunionInterDiffGenericCommand (header-only: zset_family.cc is its only user).
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "commands/context.h"
#include "commands/notify.h"
#include "commands/zset_util.h"

namespace petacore::commands::zset {

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

inline void AggregateInto(double* target, double val, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      *target = *target + val;
      if (std::isnan(*target)) *target = 0.0;  // inf + -inf: Redis's convention
      break;
    case Aggregate::kMin:
      *target = val < *target ? val : *target;
      break;
    case Aggregate::kMax:
      *target = val > *target ? val : *target;
      break;
  }
}

struct Source {
  std::vector<Entry> entries;
  std::map<std::string_view, double> index;  // member -> score
  double weight = 1.0;
};

inline std::vector<Entry> Combine(std::vector<Source>& src, SetOp op, Aggregate agg) {
  if (op != SetOp::kDiff) {  // smallest first, as Redis (which matters for float sums)
    std::stable_sort(src.begin(), src.end(), [](const Source& a, const Source& b) {
      return a.entries.size() < b.entries.size();
    });
  }
  std::map<std::string, double> acc;
  if (op == SetOp::kUnion) {
    for (auto& s : src) {
      for (const auto& e : s.entries) {
        double score = s.weight * e.score;
        if (std::isnan(score)) score = 0;
        auto [it, inserted] = acc.emplace(e.member, score);
        if (!inserted) AggregateInto(&it->second, score, agg);
      }
    }
  } else if (op == SetOp::kInter) {
    for (const auto& e : src[0].entries) {
      double score = src[0].weight * e.score;
      if (std::isnan(score)) score = 0;
      size_t j = 1;
      for (; j < src.size(); ++j) {
        auto it = src[j].index.find(e.member);
        if (it == src[j].index.end()) break;
        AggregateInto(&score, it->second * src[j].weight, agg);
      }
      if (j == src.size()) acc.emplace(e.member, score);
    }
  } else {
    for (const auto& e : src[0].entries) {
      bool elsewhere = false;
      for (size_t j = 1; j < src.size() && !elsewhere; ++j) {
        elsewhere = src[j].index.count(e.member) > 0;
      }
      if (!elsewhere) acc.emplace(e.member, e.score);
    }
  }
  std::vector<Entry> out;
  out.reserve(acc.size());
  for (auto& [member, score] : acc) out.push_back({member, score});
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    return a.score != b.score ? a.score < b.score : a.member < b.member;
  });
  return out;
}

/// Redis 7.0's zunionInterDiffGenericCommand. `numkeys_index` is where numkeys sits; with
/// `store`, args[1] is the destination.
inline void SetOpGeneric(CommandContext& ctx, size_t numkeys_index, bool store, SetOp op,
                         std::string_view name) {
  int64_t setnum = 0;
  if (!ParseInt64(ctx.args[numkeys_index], &setnum)) return ctx.out.Error(kErrNotInteger);
  if (setnum < 1) {
    return ctx.out.Error("ERR at least 1 input key is needed for '" + std::string(name) +
                         "' command");
  }
  if (setnum > static_cast<int64_t>(ctx.args.size() - numkeys_index - 1)) {
    return ctx.out.Error(kErrSyntax);
  }
  std::vector<Source> src(setnum);
  size_t j = numkeys_index + 1;
  for (int64_t i = 0; i < setnum; ++i, ++j) {
    if (!keyspace::types::ZSetLoadSource(ctx.txn, ctx.Key(ctx.args[j]), &src[i].entries)) {
      return ctx.out.Error(kErrWrongType);
    }
    for (const auto& e : src[i].entries) src[i].index.emplace(e.member, e.score);
  }
  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  while (j < ctx.args.size()) {
    size_t remaining = ctx.args.size() - j;
    auto a = ctx.args[j];
    if (op != SetOp::kDiff && remaining >= static_cast<size_t>(setnum) + 1 &&
        EqualsIgnoreCase(a, "weights")) {
      ++j;
      for (int64_t i = 0; i < setnum; ++i, ++j) {
        if (!ParseScore(ctx.args[j], &src[i].weight)) {
          return ctx.out.Error("ERR weight value is not a float");
        }
      }
    } else if (op != SetOp::kDiff && remaining >= 2 && EqualsIgnoreCase(a, "aggregate")) {
      auto v = ctx.args[j + 1];
      if (EqualsIgnoreCase(v, "sum")) {
        agg = Aggregate::kSum;
      } else if (EqualsIgnoreCase(v, "min")) {
        agg = Aggregate::kMin;
      } else if (EqualsIgnoreCase(v, "max")) {
        agg = Aggregate::kMax;
      } else {
        return ctx.out.Error(kErrSyntax);
      }
      j += 2;
    } else if (!store && EqualsIgnoreCase(a, "withscores")) {
      withscores = true;
      ++j;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  auto result = Combine(src, op, agg);
  if (!store) return ReplyEntries(ctx, result, withscores);
  std::string dst = ctx.Key(ctx.args[1]);
  bool existed = ctx.txn.Get(dst).has_value();
  keyspace::types::ZSetStore(ctx.txn, dst, result);
  // Redis's event names: "zunionstore", "zinterstore", "zdiffstore" (the command's name).
  NotifyStore(ctx, keyspace::notify::kZSet, name, ctx.args[1], existed, !result.empty());
  ctx.out.Integer(static_cast<int64_t>(result.size()));
}

}  // namespace petacore::commands::zset
