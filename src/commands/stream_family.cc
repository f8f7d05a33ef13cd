// stream_family.cc — XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID, XREAD: Redis streams
// on the replicated key space, with Redis 7.0's replies and error texts. Consumer groups are
// in stream_group_family.cc.
//
// The data operations and the layout are keyspace/types/stream.h (entries as subkeys in ID
// order) and stream_trim.h; every change rewrites the meta key once. XREAD BLOCK parks like
// BLPOP (the Driver re-runs it when the stream's key range changes, on any node); `$` is
// resolved on the first run and kept in BlockRequest::resume_state, so a re-run waits for
// entries after the ID the client meant, not after the newest one.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/key_access.h"
#include "commands/notify.h"
#include "commands/stream_util.h"
#include "commands/table.h"
#include "keyspace/types/stream.h"
#include "keyspace/types/stream_trim.h"

namespace petacore::commands {
namespace {

using keyspace::ValueType;
namespace types = keyspace::types;
using types::StreamId;
using types::StreamTrimArgs;
constexpr int kStreamClass = keyspace::notify::kStream;

// MAXLEN / MINID / LIMIT (and for XADD: NOMKSTREAM and the ID), as Redis's
// streamParseAddOrTrimArgsOrReply. For XADD, *id_pos is the position of the ID argument.
struct AddArgs {
  StreamTrimArgs trim;
  bool no_mkstream = false;
  std::optional<types::ParsedStreamId> id;  // nullopt: "*"
};

bool ParseAddOrTrimArgs(CommandContext& ctx, bool xadd, AddArgs* out, size_t* id_pos) {
  using Strategy = StreamTrimArgs::Strategy;
  auto& args = ctx.args;
  bool limit_given = false;
  size_t i = 2;
  for (; i < args.size(); ++i) {
    size_t more = args.size() - 1 - i;
    std::string_view opt = args[i];
    if (xadd && opt == "*") break;
    bool maxlen = EqualsIgnoreCase(opt, "maxlen");
    if ((maxlen || EqualsIgnoreCase(opt, "minid")) && more) {
      if (out->trim.strategy != Strategy::kNone) {
        ctx.out.Error(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return false;
      }
      out->trim.approx = false;
      std::string_view next = args[i + 1];
      if (more >= 2 && next == "~") {
        out->trim.approx = true;
        ++i;
      } else if (more >= 2 && next == "=") {
        ++i;
      }
      if (maxlen) {
        if (!ParseInt64(args[i + 1], &out->trim.maxlen)) {
          ctx.out.Error(kErrNotInteger);
          return false;
        }
        if (out->trim.maxlen < 0) {
          ctx.out.Error("ERR The MAXLEN argument must be >= 0.");
          return false;
        }
        out->trim.strategy = Strategy::kMaxLen;
      } else {
        if (!ParseIdOrReply(ctx, args[i + 1], {.strict = true}, &out->trim.minid)) return false;
        out->trim.strategy = Strategy::kMinId;
      }
      ++i;
    } else if (EqualsIgnoreCase(opt, "limit") && more) {
      if (!ParseInt64(args[i + 1], &out->trim.limit)) {
        ctx.out.Error(kErrNotInteger);
        return false;
      }
      if (out->trim.limit < 0) {
        ctx.out.Error("ERR The LIMIT argument must be >= 0.");
        return false;
      }
      limit_given = true;
      ++i;
    } else if (xadd && EqualsIgnoreCase(opt, "nomkstream")) {
      out->no_mkstream = true;
    } else if (xadd) {
      out->id = types::ParseStreamId(opt, {.strict = true, .allow_seq_star = true});
      if (!out->id) {
        ctx.out.Error(kErrInvalidStreamId);
        return false;
      }
      break;
    } else {
      ctx.out.Error(kErrSyntax);
      return false;
    }
  }
  *id_pos = i;
  if (out->trim.limit && out->trim.strategy == Strategy::kNone) {
    ctx.out.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return false;
  }
  if (!xadd && out->trim.strategy == Strategy::kNone) {
    ctx.out.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return false;
  }
  if (limit_given) {
    if (!out->trim.approx) {
      ctx.out.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return false;
    }
  } else if (out->trim.approx) {
    out->trim.limit = types::kStreamDefaultTrimLimit;
  } else {
    out->trim.limit = 0;
  }
  return true;
}

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...
void XAdd(CommandContext& ctx) {
  AddArgs a;
  size_t id_pos;
  if (!ParseAddOrTrimArgs(ctx, true, &a, &id_pos)) return;
  size_t field_pos = id_pos + 1;
  if (field_pos > ctx.args.size() || ctx.args.size() - field_pos < 2 ||
      (ctx.args.size() - field_pos) % 2 == 1) {
    return ctx.out.Error(ErrWrongArgs("xadd"));
  }
  if (a.id && a.id->seq_given && a.id->id.IsZero()) return ctx.out.Error(kErrXAddZero);
  auto s = ReadKey(ctx, ctx.args[1], ValueType::kStream);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (s.missing() && a.no_mkstream) return ctx.out.NullBulk();
  types::StreamMeta meta = types::StreamMetaOf(s);
  if (meta.last_id == StreamId::Max()) return ctx.out.Error(kErrXAddExhausted);
  auto id = types::NextAddId(meta, ctx.txn.now_ms(), a.id);
  if (!id) return ctx.out.Error(kErrXAddTooSmall);
  types::StreamPutEntry(ctx.txn, s.meta_key, *id, ctx.args.subspan(field_pos));
  meta.length++;
  meta.entries_added++;
  meta.last_id = *id;
  if (s.missing()) NotifyNew(ctx, ctx.args[1]);
  ctx.Notify(kStreamClass, "xadd", ctx.args[1]);
  if (types::StreamTrim(ctx.txn, s.meta_key, &meta, a.trim) > 0) {
    ctx.Notify(kStreamClass, "xtrim", ctx.args[1]);
  }
  types::WriteStreamMeta(ctx.txn, s.meta_key, meta);
  ReplyId(ctx, *id);
}

void XLen(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], ValueType::kStream);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.Integer(static_cast<int64_t>(types::StreamMetaOf(s).length));
}

// An interval bound of XRANGE / XREVRANGE / XPENDING / XAUTOCLAIM, as Redis's
// streamParseIntervalIDOrReply: "(" makes it exclusive (and strict: "(-" is invalid).
bool ParseIntervalId(CommandContext& ctx, std::string_view arg, uint64_t missing_seq, StreamId* id,
                     bool* exclusive) {
  *exclusive = arg.size() > 1 && arg[0] == '(';
  if (*exclusive) arg.remove_prefix(1);
  return ParseIdOrReply(ctx, arg, {.missing_seq = missing_seq, .strict = *exclusive}, id);
}

// XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n].
void XRangeImpl(CommandContext& ctx, bool rev) {
  std::string_view start_arg = rev ? ctx.args[3] : ctx.args[2];
  std::string_view end_arg = rev ? ctx.args[2] : ctx.args[3];
  StreamId start, end;
  bool start_ex, end_ex;
  if (!ParseIntervalId(ctx, start_arg, 0, &start, &start_ex)) return;
  if (start_ex) {
    auto next = types::NextStreamId(start);
    if (!next) return ctx.out.Error("ERR invalid start ID for the interval");
    start = *next;
  }
  if (!ParseIntervalId(ctx, end_arg, UINT64_MAX, &end, &end_ex)) return;
  if (end_ex) {
    auto prev = types::PrevStreamId(end);
    if (!prev) return ctx.out.Error("ERR invalid end ID for the interval");
    end = *prev;
  }
  int64_t count = -1;
  for (size_t j = 4; j < ctx.args.size(); ++j) {
    if (EqualsIgnoreCase(ctx.args[j], "count") && j + 1 < ctx.args.size()) {
      if (!ParseInt64(ctx.args[j + 1], &count)) return ctx.out.Error(kErrNotInteger);
      if (count < 0) count = 0;
      ++j;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  auto s = ReadKey(ctx, ctx.args[1], ValueType::kStream);
  if (s.missing()) return ctx.out.ArrayHeader(0);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (count == 0) return ctx.out.NullArray();
  end = std::min(end, types::StreamMetaOf(s).last_id);  // no entry lies above the last ID
  auto entries = types::StreamRange(ctx.txn, s.meta_key, start, end,
                                    count < 0 ? 0 : static_cast<uint64_t>(count), rev);
  ctx.out.ArrayHeader(entries.size());
  for (const auto& e : entries) ReplyEntry(ctx, e);
}

void XRange(CommandContext& ctx) { XRangeImpl(ctx, false); }
void XRevRange(CommandContext& ctx) { XRangeImpl(ctx, true); }

// XDEL key id [id ...]: the key is looked up before the IDs are checked, as Redis.
void XDel(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[1], ValueType::kStream);
  if (s.missing()) return ctx.out.Integer(0);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  std::vector<StreamId> ids(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    if (!ParseIdOrReply(ctx, ctx.args[j], {.strict = true}, &ids[j - 2])) return;
  }
  types::StreamMeta meta = types::StreamMetaOf(s);
  int64_t deleted = 0;
  for (StreamId id : ids) {
    if (!types::StreamDeleteEntry(ctx.txn, s.meta_key, id)) continue;
    if (id > meta.max_deleted) meta.max_deleted = id;
    meta.length--;
    ++deleted;
  }
  if (deleted > 0) {
    types::WriteStreamMeta(ctx.txn, s.meta_key, meta);
    ctx.Notify(kStreamClass, "xdel", ctx.args[1]);
  }
  ctx.out.Integer(deleted);
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
void XTrim(CommandContext& ctx) {
  AddArgs a;
  size_t unused;
  if (!ParseAddOrTrimArgs(ctx, false, &a, &unused)) return;
  auto s = ReadKey(ctx, ctx.args[1], ValueType::kStream);
  if (s.missing()) return ctx.out.Integer(0);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  types::StreamMeta meta = types::StreamMetaOf(s);
  int64_t deleted = types::StreamTrim(ctx.txn, s.meta_key, &meta, a.trim);
  if (deleted > 0) {
    types::WriteStreamMeta(ctx.txn, s.meta_key, meta);
    ctx.Notify(kStreamClass, "xtrim", ctx.args[1]);
  }
  ctx.out.Integer(deleted);
}

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
void XSetId(CommandContext& ctx) {
  StreamId id, max_deleted;
  int64_t entries_added = -1;
  if (!ParseIdOrReply(ctx, ctx.args[2], {.strict = true}, &id)) return;
  for (size_t i = 3; i < ctx.args.size(); i += 2) {
    bool more = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(ctx.args[i], "entriesadded") && more) {
      if (!ParseInt64(ctx.args[i + 1], &entries_added)) return ctx.out.Error(kErrNotInteger);
      if (entries_added < 0) return ctx.out.Error("ERR entries_added must be positive");
    } else if (EqualsIgnoreCase(ctx.args[i], "maxdeletedid") && more) {
      if (!ParseIdOrReply(ctx, ctx.args[i + 1], {.strict = true}, &max_deleted)) return;
      if (id < max_deleted) {
        return ctx.out.Error(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
      }
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  auto s = ReadKey(ctx, ctx.args[1], ValueType::kStream);
  if (s.missing()) return ctx.out.Error(kErrNoSuchKey);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  types::StreamMeta meta = types::StreamMetaOf(s);
  if (meta.length > 0) {
    auto top = types::StreamLastId(ctx.txn, s.meta_key, meta.last_id);
    if (top && id < *top) {
      return ctx.out.Error(
          "ERR The ID specified in XSETID is smaller than the target stream top item");
    }
    if (entries_added != -1 && meta.length > static_cast<uint64_t>(entries_added)) {
      return ctx.out.Error(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  meta.last_id = id;
  if (entries_added != -1) meta.entries_added = static_cast<uint64_t>(entries_added);
  if (!max_deleted.IsZero()) meta.max_deleted = max_deleted;
  types::WriteStreamMeta(ctx.txn, s.meta_key, meta);
  ctx.out.Ok();
  ctx.Notify(kStreamClass, "xsetid", ctx.args[1]);
}

// XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...]
void XRead(CommandContext& ctx) {
  auto& args = ctx.args;
  XReadOptions opts;
  if (!ParseXReadOptions(ctx, /*xreadgroup=*/false, &opts)) return;
  const int64_t timeout = opts.timeout_ms;
  int64_t count = opts.count;
  const size_t streams_arg = opts.streams_arg, n = opts.n;
  // A re-run of a parked XREAD keeps the IDs its first run resolved (`$`).
  const std::string resumed = ctx.block ? ctx.block->resume_state : std::string();
  std::vector<KeyRead> streams;
  std::vector<StreamId> after(n);
  for (size_t k = 0; k < n; ++k) {
    streams.push_back(ReadKey(ctx, args[streams_arg + k], ValueType::kStream));
    // A key that stopped being a stream while we waited is waited on, as Redis does (only
    // the first run answers WRONGTYPE).
    if (streams.back().wrong_type() && resumed.size() != 16 * n) {
      return ctx.out.Error(kErrWrongType);
    }
    std::string_view id_arg = args[streams_arg + n + k];
    if (resumed.size() == 16 * n) {
      after[k] = types::DecodeStreamId(std::string_view(resumed).substr(16 * k));
    } else if (id_arg == "$") {
      after[k] = types::StreamMetaOf(streams.back()).last_id;
    } else if (id_arg == ">") {
      return ctx.out.Error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
          "<consumer> option.");
    } else if (!ParseIdOrReply(ctx, id_arg, {.strict = true}, &after[k])) {
      return;
    }
  }
  // Woken from BLOCK without COUNT: at most 1,000 entries per stream, as Redis's
  // XREAD_BLOCKED_DEFAULT_COUNT.
  if (resumed.size() == 16 * n && n > 0 && count == 0) count = 1000;
  std::vector<std::pair<size_t, std::vector<types::StreamEntry>>> found;
  for (size_t k = 0; k < n; ++k) {
    if (!streams[k].ok() || types::StreamMetaOf(streams[k]).length == 0) continue;
    auto start = types::NextStreamId(after[k]);
    if (!start) continue;
    auto entries = types::StreamRange(ctx.txn, streams[k].meta_key, *start, StreamId::Max(),
                                      static_cast<uint64_t>(count), false);
    if (!entries.empty()) found.emplace_back(k, std::move(entries));
  }
  if (!found.empty()) {
    if (ctx.out.protocol() >= 3) {
      ctx.out.MapHeader(found.size());
    } else {
      ctx.out.ArrayHeader(found.size());
    }
    for (const auto& [k, entries] : found) {
      if (ctx.out.protocol() < 3) ctx.out.ArrayHeader(2);
      ctx.out.Bulk(args[streams_arg + k]);
      ctx.out.ArrayHeader(entries.size());
      for (const auto& e : entries) ReplyEntry(ctx, e);
    }
    return;
  }
  if (timeout == -1 || ctx.block == nullptr) return ctx.out.NullArray();
  ctx.block->requested = true;
  ctx.block->timeout_ms = timeout;
  ctx.block->keys.clear();
  for (const auto& s : streams) ctx.block->keys.push_back(s.meta_key);
  ctx.block->resume_state.clear();
  for (StreamId id : after) types::AppendStreamId(id, &ctx.block->resume_state);
}

}  // namespace

void RegisterStreamFamily(CommandTable& t) {
  t.Add({.name = "xadd",
         .arity = -5,
         .flags = kWrite | kDenyOom | kFast,
         .acl = acl::kWrite | acl::kStream | acl::kFast,
         .key_specs = {{.flags = kKeyRW | kKeyUpdate,
                        .begin = Index(1),
                        .find = Range(0, 1, 0),
                        .notes = "UPDATE instead of INSERT because of the optional trimming "
                                 "feature"}},
         .tips = {"nondeterministic_output"},
         .handler = WithKeyEvents<XAdd>})
      .Add({.name = "xlen",
            .arity = 2,
            .flags = kReadOnly | kFast,
            .acl = acl::kRead | acl::kStream | acl::kFast,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(0, 1, 0)}},
            .handler = XLen})
      .Add(
          {.name = "xrange",
           .arity = -4,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kStream | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = XRange})
      .Add(
          {.name = "xrevrange",
           .arity = -4,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kStream | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = XRevRange})
      .Add(
          {.name = "xdel",
           .arity = -3,
           .flags = kWrite | kFast,
           .acl = acl::kWrite | acl::kStream | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyDelete, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<XDel>})
      .Add(
          {.name = "xtrim",
           .arity = -4,
           .flags = kWrite,
           .acl = acl::kWrite | acl::kStream | acl::kSlow,
           .key_specs = {{.flags = kKeyRW | kKeyDelete, .begin = Index(1), .find = Range(0, 1, 0)}},
           .tips = {"nondeterministic_output"},
           .handler = WithKeyEvents<XTrim>})
      .Add(
          {.name = "xsetid",
           .arity = -3,
           .flags = kWrite | kDenyOom | kFast,
           .acl = acl::kWrite | acl::kStream | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<XSetId>})
      .Add({.name = "xread",
            .arity = -4,
            .flags = kReadOnly | kBlocking,
            .acl = acl::kRead | acl::kStream | acl::kSlow | acl::kBlocking,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Keyword("STREAMS", 1),
                           .find = Range(-1, 1, 2)}},
            .handler = XRead});
}

}  // namespace petacore::commands
