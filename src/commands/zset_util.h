// src/commands/zset_util.h — sorted-set argument parsing and score formatting, as Redis 7.0's
// t_zset.c and util.c do it (header-only: used by zset_family.cc alone).
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "commands/context.h"
#include "keyspace/types/zset.h"

namespace petacore::commands::zset {

using Entry = keyspace::types::ZEntry;

/// Redis's getDoubleFromObject: strtod over the whole (binary) string, non-empty, no leading
/// space, no overflow or underflow to zero, not NaN. Unlike ParseLongDouble, "1e400" fails.
inline bool ParseScore(std::string_view s, double* out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string copy(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || std::isnan(v)) return false;
  if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || std::fpclassify(v) == FP_ZERO)) {
    return false;
  }
  *out = v;
  return true;
}

/// Redis formats scores with "%.17g" (7.0's addReplyDouble and d2string); ±inf as "inf".
/// For replies use ReplyScore (ReplyWriter::Double writes the same text); this is for
/// scores stored or compared as text.
inline std::string FormatScore(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, n);
}

/// A score reply: a bulk string in RESP2, a RESP3 double (",1.5") otherwise, as Redis 7.0.15's
/// addReplyDouble (ZSCORE, ZMSCORE, ZINCRBY, ZADD INCR, WITHSCORES, ZPOP*, BZPOP*).
inline void ReplyScore(CommandContext& ctx, double d) { ctx.out.Double(d); }

/// ZRANGE-style reply: members, or member/score pairs (flat in RESP2, nested in RESP3).
inline void ReplyEntries(CommandContext& ctx, const std::vector<Entry>& entries, bool withscores) {
  bool nested = withscores && ctx.out.protocol() >= 3;
  ctx.out.ArrayHeader(withscores && !nested ? entries.size() * 2 : entries.size());
  for (const auto& e : entries) {
    if (nested) ctx.out.ArrayHeader(2);
    ctx.out.Bulk(e.member);
    if (withscores) ReplyScore(ctx, e.score);
  }
}

/// A score interval (zrangespec).
struct ScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
  bool GteMin(double v) const { return minex ? v > min : v >= min; }
  bool LteMax(double v) const { return maxex ? v < max : v <= max; }
  bool Contains(double v) const { return GteMin(v) && LteMax(v); }
  /// Ranges that can hold nothing (zslIsInRange's first test).
  bool Empty() const { return min > max || (min == max && (minex || maxex)); }
};

/// One bound as zslParseRange reads it: C strtod up to the first NUL byte, "(" = exclusive.
/// As in Redis, "" and "(" parse as 0 and leading spaces are accepted.
inline bool ParseScoreBound(std::string_view s, double* val, bool* ex) {
  std::string copy(s);  // c_str(): Redis sees the bytes up to the first NUL
  const char* p = copy.c_str();
  *ex = false;
  if (p[0] == '(') {
    *ex = true;
    ++p;
  }
  char* end = nullptr;
  double v = std::strtod(p, &end);
  if (*end != '\0' || std::isnan(v)) return false;
  *val = v;
  return true;
}

inline bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r) {
  return ParseScoreBound(min, &r->min, &r->minex) && ParseScoreBound(max, &r->max, &r->maxex);
}

/// A lexicographic interval (zlexrangespec); "-" and "+" are the infinite bounds.
struct LexRange {
  enum class Kind { kValue, kMinusInf, kPlusInf };
  struct Bound {
    Kind kind = Kind::kValue;
    std::string value;
    bool ex = false;
  };
  Bound min, max;

  /// sdscmplex: -inf < every string < +inf.
  static int Compare(const Bound& a, std::string_view b) {
    if (a.kind == Kind::kMinusInf) return -1;
    if (a.kind == Kind::kPlusInf) return 1;
    int c = std::string_view(a.value).compare(b);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  bool GteMin(std::string_view v) const {
    int c = -Compare(min, v);
    return min.ex ? c > 0 : c >= 0;
  }
  bool LteMax(std::string_view v) const {
    int c = -Compare(max, v);
    return max.ex ? c < 0 : c <= 0;
  }
  /// zzlIsInLexRange's first test: min > max, or min == max with an exclusive end.
  bool Empty() const {
    int c;
    if (min.kind == max.kind && min.kind != Kind::kValue) {
      c = 0;
    } else if (min.kind == Kind::kMinusInf || max.kind == Kind::kPlusInf) {
      c = -1;
    } else if (min.kind == Kind::kPlusInf || max.kind == Kind::kMinusInf) {
      c = 1;
    } else {
      c = min.value.compare(max.value);
    }
    return c > 0 || (c == 0 && (min.ex || max.ex));
  }
};

/// zslParseLexRangeItem: "+" / "-" (the next byte must be the end or NUL, as in C), "(x"
/// exclusive, "[x" inclusive; anything else is an error.
inline bool ParseLexBound(std::string_view s, LexRange::Bound* b) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '+':
    case '-':
      if (s.size() > 1 && s[1] != '\0') return false;
      b->kind = s[0] == '+' ? LexRange::Kind::kPlusInf : LexRange::Kind::kMinusInf;
      b->ex = true;
      return true;
    case '(':
    case '[':
      b->kind = LexRange::Kind::kValue;
      b->ex = s[0] == '(';
      b->value = std::string(s.substr(1));
      return true;
    default:
      return false;
  }
}

inline bool ParseLexRange(std::string_view min, std::string_view max, LexRange* r) {
  return ParseLexBound(min, &r->min) && ParseLexBound(max, &r->max);
}

/// Redis's getTimeoutFromObjectOrReply in seconds: a long double, times 1000, truncated to
/// milliseconds (an out-of-range product becomes LLONG_MIN on x86, hence "negative").
/// Replies the error and returns false on failure; 0 means wait forever.
inline bool ParseBlockTimeout(CommandContext& ctx, std::string_view arg, int64_t* ms) {
  long double seconds = 0;
  if (!ParseLongDouble(arg, &seconds)) {
    ctx.out.Error(kErrTimeoutNotFloat);
    return false;
  }
  long double product = seconds * 1000.0L;
  int64_t v = INT64_MIN;
  if (product > -9.2233720368547758e18L && product < 9.2233720368547758e18L) {
    v = static_cast<int64_t>(product);
  }
  if (v < 0) {
    ctx.out.Error(kErrTimeoutNegative);
    return false;
  }
  *ms = v;
  return true;
}

}  // namespace petacore::commands::zset
