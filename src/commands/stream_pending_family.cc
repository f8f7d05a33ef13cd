// stream_pending_family.cc — XPENDING, XCLAIM, XAUTOCLAIM: a consumer group's pending entries
// list, with Redis 7.0's replies and error texts. The PEL is subkeys of the stream
// (keyspace/types/stream_group.h), so XCLAIM / XAUTOCLAIM on any node see and change the same
// PEL. Like XREADGROUP they peek at the stream's meta key without comparing it and compare
// the PEL entries they rewrite (and XCLAIM the group), so claimers are ordered against each
// other, XACK and XREADGROUP, but not against producers.
// Idle times are the view's clock minus the stored delivery time (Unix ms): nodes with skewed
// clocks see different idle times for the same entry.
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/key_access.h"
#include "commands/notify.h"
#include "commands/stream_util.h"
#include "commands/table.h"
#include "keyspace/types/stream.h"
#include "keyspace/types/stream_group.h"

namespace petacore::commands {
namespace {

using keyspace::ValueType;
namespace types = keyspace::types;
using types::StreamId;
constexpr int kStreamClass = keyspace::notify::kStream;

bool ParseStart(CommandContext& ctx, std::string_view arg, StreamId* id) {
  bool ex = arg.size() > 1 && arg[0] == '(';
  if (ex) arg.remove_prefix(1);
  if (!ParseIdOrReply(ctx, arg, {.missing_seq = 0, .strict = ex}, id)) return false;
  if (ex) {
    auto next = types::NextStreamId(*id);
    if (!next) {
      ctx.out.Error("ERR invalid start ID for the interval");
      return false;
    }
    *id = *next;
  }
  return true;
}

bool ParseEnd(CommandContext& ctx, std::string_view arg, StreamId* id) {
  bool ex = arg.size() > 1 && arg[0] == '(';
  if (ex) arg.remove_prefix(1);
  if (!ParseIdOrReply(ctx, arg, {.missing_seq = UINT64_MAX, .strict = ex}, id)) return false;
  if (ex) {
    auto prev = types::PrevStreamId(*id);
    if (!prev) {
      ctx.out.Error("ERR invalid end ID for the interval");
      return false;
    }
    *id = *prev;
  }
  return true;
}

// XPENDING key group [[IDLE min-idle] start end count [consumer]]
void XPending(CommandContext& ctx) {
  auto& args = ctx.args;
  const bool summary = args.size() == 3;
  if (!summary && (args.size() < 6 || args.size() > 9)) return ctx.out.Error(kErrSyntax);
  int64_t count = 0, min_idle = 0;
  StreamId start, end;
  std::optional<std::string_view> consumer;
  if (!summary) {
    size_t at = 3;
    if (EqualsIgnoreCase(args[3], "idle")) {
      if (!ParseInt64(args[4], &min_idle)) return ctx.out.Error(kErrNotInteger);
      if (args.size() < 8) return ctx.out.Error(kErrSyntax);
      at += 2;
    }
    if (!ParseInt64(args[at + 2], &count)) return ctx.out.Error(kErrNotInteger);
    if (count < 0) count = 0;
    if (!ParseStart(ctx, args[at], &start) || !ParseEnd(ctx, args[at + 1], &end)) return;
    if (at + 3 < args.size()) consumer = args[at + 3];
  }
  auto s = ReadKey(ctx, args[1], ValueType::kStream);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (s.missing() || !types::GetGroup(ctx.txn, s.meta_key, args[2])) {
    return ctx.out.Error(ErrNoGroup(args[1], args[2]));
  }
  if (summary) {
    std::vector<types::StreamPending> all;
    types::ScanPending(ctx.txn, s.meta_key, args[2], StreamId{}, StreamId::Max(),
                       [&](const types::StreamPending& p) {
                         all.push_back(p);
                         return true;
                       });
    ctx.out.ArrayHeader(4);
    ctx.out.Integer(static_cast<int64_t>(all.size()));
    if (all.empty()) {
      ctx.out.NullBulk();
      ctx.out.NullBulk();
      ctx.out.NullArray();
      return;
    }
    ReplyId(ctx, all.front().id);
    ReplyId(ctx, all.back().id);
    std::vector<std::pair<std::string, int64_t>> per;  // consumers in name order
    for (const auto& [name, seen] : types::AllConsumers(ctx.txn, s.meta_key, args[2])) {
      int64_t n = 0;
      for (const auto& p : all) n += p.consumer == name;
      if (n > 0) per.emplace_back(name, n);
    }
    ctx.out.ArrayHeader(per.size());
    for (const auto& [name, n] : per) {
      ctx.out.ArrayHeader(2);
      ctx.out.Bulk(name);
      ctx.out.Bulk(std::to_string(n));
    }
    return;
  }
  if (consumer && !types::GetConsumer(ctx.txn, s.meta_key, args[2], *consumer)) {
    return ctx.out.ArrayHeader(0);
  }
  const int64_t now = ctx.txn.now_ms();
  std::vector<types::StreamPending> out;
  if (count > 0) {
    types::ScanPending(ctx.txn, s.meta_key, args[2], start, end,
                       [&](const types::StreamPending& p) {
                         if (consumer && p.consumer != *consumer) return true;
                         if (min_idle && now - p.delivery_ms < min_idle) return true;
                         out.push_back(p);
                         return static_cast<int64_t>(out.size()) < count;
                       });
  }
  ctx.out.ArrayHeader(out.size());
  for (const auto& p : out) {
    ctx.out.ArrayHeader(4);
    ReplyId(ctx, p.id);
    ctx.out.Bulk(p.consumer);
    ctx.out.Integer(std::max<int64_t>(now - p.delivery_ms, 0));
    ctx.out.Integer(static_cast<int64_t>(p.delivery_count));
  }
}

// Creates the claiming consumer if missing (with its event), refreshing its seen-time.
void TouchConsumer(CommandContext& ctx, const std::string& meta_key, std::string_view group,
                   std::string_view consumer, bool* touched) {
  if (*touched) return;
  *touched = true;
  if (!types::GetConsumer(ctx.txn, meta_key, group, consumer)) {
    ctx.Notify(kStreamClass, "xgroup-createconsumer", ctx.args[1]);
  }
  types::PutConsumer(ctx.txn, meta_key, group, consumer, ctx.txn.now_ms());
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-ms]
//        [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
void XClaim(CommandContext& ctx) {
  auto& args = ctx.args;
  const std::string meta_key = ctx.Key(args[1]);
  auto peek = types::PeekStream(ctx.txn, meta_key);
  if (peek.wrong_type()) return ctx.out.Error(kErrWrongType);
  // The group is read (compared) even without LASTID: a FORCE claim creates subkeys, which
  // must not outlive a DEL or XGROUP DESTROY committed meanwhile.
  std::optional<types::StreamGroup> group;
  if (peek.ok()) group = types::GetGroup(ctx.txn, meta_key, args[2]);
  if (!group) return ctx.out.Error(ErrNoGroup(args[1], args[2]));
  int64_t min_idle;
  if (!ParseInt64(args[4], &min_idle)) {
    return ctx.out.Error("ERR Invalid min-idle-time argument for XCLAIM");
  }
  if (min_idle < 0) min_idle = 0;
  std::vector<StreamId> ids;
  size_t j = 5;
  for (; j < args.size(); ++j) {
    auto p = types::ParseStreamId(args[j], {.strict = true});
    if (!p) break;
    ids.push_back(p->id);
  }
  const int64_t now = ctx.txn.now_ms();
  int64_t retry = -1, delivery = -1;
  bool force = false, justid = false;
  StreamId last_id;
  for (; j < args.size(); ++j) {
    bool more = j + 1 < args.size();
    std::string_view opt = args[j];
    if (EqualsIgnoreCase(opt, "force")) {
      force = true;
    } else if (EqualsIgnoreCase(opt, "justid")) {
      justid = true;
    } else if (EqualsIgnoreCase(opt, "idle") && more) {
      if (!ParseInt64(args[++j], &delivery)) {
        return ctx.out.Error("ERR Invalid IDLE option argument for XCLAIM");
      }
      delivery = now - delivery;
    } else if (EqualsIgnoreCase(opt, "time") && more) {
      if (!ParseInt64(args[++j], &delivery)) {
        return ctx.out.Error("ERR Invalid TIME option argument for XCLAIM");
      }
    } else if (EqualsIgnoreCase(opt, "retrycount") && more) {
      if (!ParseInt64(args[++j], &retry)) {
        return ctx.out.Error("ERR Invalid RETRYCOUNT option argument for XCLAIM");
      }
    } else if (EqualsIgnoreCase(opt, "lastid") && more) {
      if (!ParseIdOrReply(ctx, args[++j], {.strict = true}, &last_id)) return;
    } else {
      return ctx.out.Error("ERR Unrecognized XCLAIM option '" + std::string(opt) + "'");
    }
  }
  if (last_id > group->last_id) {
    group->last_id = last_id;
    types::PutGroup(ctx.txn, meta_key, args[2], *group);
  }
  if (delivery != -1) {
    if (delivery < 0 || delivery > now) delivery = now;
  } else {
    delivery = now;
  }
  bool touched = false;
  std::vector<std::pair<StreamId, std::optional<types::StreamEntry>>> claimed;
  for (StreamId id : ids) {
    auto p = types::GetPending(ctx.txn, meta_key, args[2], id);
    auto entry = types::StreamGetEntry(ctx.txn, meta_key, id);
    if (!entry) {
      if (p) {
        types::DeletePending(ctx.txn, meta_key, args[2], id);
      }
      continue;
    }
    bool created = false;
    if (force && !p) {
      p = types::StreamPending{id, std::string(), now, 1};  // Redis's streamCreateNACK
      created = true;
    }
    if (!p) continue;
    if (!created && min_idle && now - p->delivery_ms < min_idle) continue;
    TouchConsumer(ctx, meta_key, args[2], args[3], &touched);
    p->consumer = std::string(args[3]);
    p->delivery_ms = delivery;
    if (retry >= 0) {
      p->delivery_count = static_cast<uint64_t>(retry);
    } else if (!justid) {
      p->delivery_count++;
    }
    types::PutPending(ctx.txn, meta_key, args[2], *p);
    claimed.emplace_back(id, justid ? std::nullopt : std::move(entry));
  }
  ctx.out.ArrayHeader(claimed.size());
  for (const auto& [id, e] : claimed) {
    if (e) {
      ReplyEntry(ctx, *e);
    } else {
      ReplyId(ctx, id);
    }
  }
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
void XAutoClaim(CommandContext& ctx) {
  auto& args = ctx.args;
  int64_t min_idle;
  if (!ParseInt64(args[4], &min_idle)) {
    return ctx.out.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM");
  }
  if (min_idle < 0) min_idle = 0;
  StreamId start;
  if (!ParseStart(ctx, args[5], &start)) return;
  int64_t count = 100;
  bool justid = false;
  constexpr int64_t kMaxCount = std::numeric_limits<int64_t>::max() / 16;
  for (size_t j = 6; j < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "count") && j + 1 < args.size()) {
      if (!ParseInt64(args[j + 1], &count) || count < 1 || count > kMaxCount) {
        return ctx.out.Error("ERR COUNT must be > 0");
      }
      ++j;
    } else if (EqualsIgnoreCase(args[j], "justid")) {
      justid = true;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  const std::string meta_key = ctx.Key(args[1]);
  auto peek = types::PeekStream(ctx.txn, meta_key);
  if (peek.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (peek.missing() ||
      !types::HasSubkey(ctx.txn, keyspace::SubKey(meta_key, keyspace::kStreamGroupTag, args[2]))) {
    return ctx.out.Error(ErrNoGroup(args[1], args[2]));
  }
  const int64_t now = ctx.txn.now_ms();
  int64_t attempts = count * 10;
  // Walk the PEL from `start` (a copy: the walk changes it).
  std::vector<types::StreamPending> pel;
  types::ScanPending(ctx.txn, meta_key, args[2], start, StreamId::Max(),
                     [&](const types::StreamPending& p) {
                       pel.push_back(p);
                       return static_cast<int64_t>(pel.size()) <= attempts;
                     });
  bool touched = false;
  std::vector<std::pair<StreamId, std::optional<types::StreamEntry>>> claimed;
  std::vector<StreamId> deleted;
  size_t i = 0;
  for (; i < pel.size() && attempts-- > 0 && count > 0; ++i) {
    auto& p = pel[i];
    auto entry = types::StreamGetEntry(ctx.txn, meta_key, p.id);
    if (!entry) {
      types::DeletePending(ctx.txn, meta_key, args[2], p.id);
      deleted.push_back(p.id);
      --count;
      continue;
    }
    if (min_idle && now - p.delivery_ms < min_idle) continue;
    // Read (compared) before the rewrite: an XACK or a claim committed meanwhile re-runs us.
    types::GetPending(ctx.txn, meta_key, args[2], p.id);
    TouchConsumer(ctx, meta_key, args[2], args[3], &touched);
    p.consumer = std::string(args[3]);
    p.delivery_ms = now;
    if (!justid) p.delivery_count++;
    types::PutPending(ctx.txn, meta_key, args[2], p);
    claimed.emplace_back(p.id, justid ? std::nullopt : std::move(entry));
    --count;
  }
  // The cursor: the PEL entry after the last one looked at (0-0 at the end).
  StreamId next = i < pel.size() ? pel[i].id : StreamId{};
  ctx.out.ArrayHeader(3);
  ReplyId(ctx, next);
  ctx.out.ArrayHeader(claimed.size());
  for (const auto& [id, e] : claimed) {
    if (e) {
      ReplyEntry(ctx, *e);
    } else {
      ReplyId(ctx, id);
    }
  }
  ctx.out.ArrayHeader(deleted.size());
  for (StreamId id : deleted) ReplyId(ctx, id);
}

}  // namespace

void AddStreamPendingCommands(CommandTable& t) {
  t.Add({.name = "xpending",
         .arity = -3,
         .flags = kReadOnly,
         .acl = acl::kRead | acl::kStream | acl::kSlow,
         .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
         .tips = {"nondeterministic_output"},
         .handler = XPending})
      .Add(
          {.name = "xclaim",
           .arity = -6,
           .flags = kWrite | kFast,
           .acl = acl::kWrite | acl::kStream | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output"},
           .handler = WithKeyEvents<XClaim>})
      .Add(
          {.name = "xautoclaim",
           .arity = -6,
           .flags = kWrite | kFast,
           .acl = acl::kWrite | acl::kStream | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyDelete, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output"},
           .handler = WithKeyEvents<XAutoClaim>});
}

}  // namespace petacore::commands
