// lcs_family.cc — LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the longest
// common subsequence of two strings, as Redis 7.0's lcsCommand (t_string.c): the same dynamic
// programming table, the same walk back from the end (so the same subsequence and the same
// match ranges, last match first), the same errors and the same transient-memory limit.
#include <cstdint>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/table.h"
#include "keyspace/types/string.h"

namespace petacore::commands {

namespace {

constexpr std::string_view kErrLcsType = "ERR The specified keys must contain string values";
constexpr std::string_view kErrLcsLenIdx =
    "ERR If you want both the length and indexes, please just use IDX.";
constexpr std::string_view kErrLcsMemory =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";

struct LcsMatch {
  uint32_t a_start, a_end, b_start, b_end;
};

// The LCS of `a` and `b`: its length, the subsequence and (when `ranges`) the matched ranges,
// walking back from the ends as Redis does.
struct LcsResult {
  uint32_t len = 0;
  std::string text;
  std::vector<LcsMatch> matches;
};

LcsResult ComputeLcs(std::string_view a, std::string_view b, bool compute, int64_t minmatchlen) {
  auto alen = static_cast<uint32_t>(a.size()), blen = static_cast<uint32_t>(b.size());
  std::vector<uint32_t> table(static_cast<size_t>(alen + 1) * (blen + 1), 0);
  auto at = [&](uint32_t i, uint32_t j) -> uint32_t& { return table[j + i * (blen + 1)]; };
  for (uint32_t i = 1; i <= alen; ++i) {
    for (uint32_t j = 1; j <= blen; ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  LcsResult r;
  r.len = at(alen, blen);
  if (!compute) return r;
  r.text.assign(r.len, '\0');
  uint32_t idx = r.len, i = alen, j = blen;
  uint32_t as = alen, ae = 0, bs = 0, be = 0;  // as == alen: no range open
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      r.text[idx - 1] = a[i - 1];
      if (as == alen) {
        as = ae = i - 1;
        bs = be = j - 1;
      } else if (as == i && bs == j) {
        --as;
        --bs;
      } else {
        emit = true;
      }
      if (as == 0 || bs == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (as != alen) emit = true;
    }
    if (emit) {
      uint32_t match_len = ae - as + 1;
      if (minmatchlen == 0 || match_len >= minmatchlen) r.matches.push_back({as, ae, bs, be});
      as = alen;
    }
  }
  return r;
}

void Lcs(CommandContext& ctx) {
  using keyspace::types::ReadString;
  auto ra = ReadString(ctx.txn, ctx.Key(ctx.args[1]));
  std::string a(ra.value);
  auto rb = ReadString(ctx.txn, ctx.Key(ctx.args[2]));
  if (ra.wrong_type() || rb.wrong_type()) return ctx.out.Error(kErrLcsType);
  std::string b(rb.value);
  bool getlen = false, getidx = false, withmatchlen = false;
  int64_t minmatchlen = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    auto opt = ctx.args[j];
    bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "idx")) {
      getidx = true;
    } else if (EqualsIgnoreCase(opt, "len")) {
      getlen = true;
    } else if (EqualsIgnoreCase(opt, "withmatchlen")) {
      withmatchlen = true;
    } else if (EqualsIgnoreCase(opt, "minmatchlen") && more) {
      if (!ParseInt64(ctx.args[++j], &minmatchlen)) return ctx.out.Error(kErrNotInteger);
      if (minmatchlen < 0) minmatchlen = 0;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  if (getlen && getidx) return ctx.out.Error(kErrLcsLenIdx);
  uint64_t cells = static_cast<uint64_t>(a.size() + 1) * (b.size() + 1);
  if (cells * sizeof(uint32_t) > ctx.server.Options().proto_max_bulk_len) {
    return ctx.out.Error(kErrLcsMemory);
  }
  auto r = ComputeLcs(a, b, getidx || !getlen, minmatchlen);
  if (getidx) {
    ctx.out.MapHeader(2);
    ctx.out.Bulk("matches");
    ctx.out.ArrayHeader(r.matches.size());
    for (const auto& m : r.matches) {
      ctx.out.ArrayHeader(withmatchlen ? 3 : 2);
      ctx.out.ArrayHeader(2);
      ctx.out.Integer(m.a_start);
      ctx.out.Integer(m.a_end);
      ctx.out.ArrayHeader(2);
      ctx.out.Integer(m.b_start);
      ctx.out.Integer(m.b_end);
      if (withmatchlen) ctx.out.Integer(m.a_end - m.a_start + 1);
    }
    ctx.out.Bulk("len");
    ctx.out.Integer(r.len);
  } else if (getlen) {
    ctx.out.Integer(r.len);
  } else {
    ctx.out.Bulk(r.text);
  }
}

}  // namespace

void RegisterLcsFamily(CommandTable& t) {
  t.Add({.name = "lcs",
         .arity = -3,
         .flags = kReadOnly,
         .acl = acl::kRead | acl::kString | acl::kSlow,
         .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(1, 1, 0)}},
         .handler = Lcs});
}

}  // namespace petacore::commands
