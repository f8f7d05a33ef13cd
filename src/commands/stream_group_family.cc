// stream_group_family.cc — XGROUP, XREADGROUP, XACK: consumer groups of Redis streams, with
// Redis 7.0's replies and error texts. XPENDING / XCLAIM / XAUTOCLAIM are in
// stream_pending_family.cc, XINFO in stream_info_family.cc.
//
// A group, its PEL and its consumers are subkeys of the stream (keyspace/types/
// stream_group.h). XREADGROUP `>` writes the group's new last-delivered ID, the PEL entries
// and the consumer in one commit that compares the group subkey as read, so two nodes serving
// the same group concurrently conflict and one re-runs on the newer snapshot: an entry is
// handed out once. XREADGROUP and XACK are the exception to "every change rewrites the meta
// key" (stream.h): they leave it alone (as Redis, they do not invalidate a WATCH of the
// stream), so producers and consumers of one stream do not conflict. A blocked XREADGROUP parks
// like BLPOP and re-runs when the stream changes on any node.
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

void XGroupHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Prints this help."};
  ctx.out.ArrayHeader(std::size(kLines));
  for (auto line : kLines) ctx.out.Simple(line);
}

// XGROUP CREATE / SETID / DESTROY / CREATECONSUMER / DELCONSUMER, as Redis's xgroupCommand:
// options first, then the key, then the group. The stream's meta key is read (compared) but
// rewritten only when MKSTREAM creates the stream: the group subkeys changed here are what
// XREADGROUP / XCLAIM compare, and, as in Redis, these do not invalidate a WATCH.
void XGroup(CommandContext& ctx) {
  auto& args = ctx.args;
  std::string_view sub = args[1];
  const bool create = EqualsIgnoreCase(sub, "create");
  const bool setid = EqualsIgnoreCase(sub, "setid");
  bool mkstream = false;
  int64_t entries_read = types::kInvalidEntriesRead;
  for (size_t i = 5; i < args.size();) {
    if (create && EqualsIgnoreCase(args[i], "mkstream")) {
      mkstream = true;
      ++i;
    } else if ((create || setid) && EqualsIgnoreCase(args[i], "entriesread") &&
               i + 1 < args.size()) {
      if (!ParseInt64(args[i + 1], &entries_read)) return ctx.out.Error(kErrNotInteger);
      if (entries_read < 0 && entries_read != types::kInvalidEntriesRead) {
        return ctx.out.Error("ERR value for ENTRIESREAD must be positive or -1");
      }
      i += 2;
    } else {
      return ctx.out.Error(ErrSubcommandSyntax(sub, "XGROUP"));
    }
  }
  auto s = ReadKey(ctx, args[2], ValueType::kStream);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  std::string_view group = args[3];
  std::optional<types::StreamGroup> g;
  if (!mkstream) {
    if (s.missing()) {
      return ctx.out.Error(
          "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
          "want to use the MKSTREAM option to create an empty stream automatically.");
    }
    g = types::GetGroup(ctx.txn, s.meta_key, group);
    if (!g && !create && !EqualsIgnoreCase(sub, "destroy")) {
      return ctx.out.Error("-NOGROUP No such consumer group '" + std::string(group) +
                           "' for key name '" + std::string(args[2]) + "'");
    }
  } else {
    g = types::GetGroup(ctx.txn, s.meta_key, group);
  }
  types::StreamMeta meta = types::StreamMetaOf(s);
  if (create && args.size() >= 5 && args.size() <= 8) {
    StreamId id;
    if (args[4] == "$") {
      id = meta.last_id;
    } else if (!ParseIdOrReply(ctx, args[4], {.strict = true}, &id)) {
      return;
    }
    if (g) return ctx.out.Error("-BUSYGROUP Consumer Group name already exists");
    if (s.missing()) {
      NotifyNew(ctx, args[2]);
      types::WriteStreamMeta(ctx.txn, s.meta_key, meta);  // MKSTREAM: a new, empty stream
    }
    types::PutGroup(ctx.txn, s.meta_key, group, {id, entries_read});
    ctx.out.Ok();
    ctx.Notify(kStreamClass, "xgroup-create", args[2]);
  } else if (setid && (args.size() == 5 || args.size() == 7)) {
    StreamId id;
    if (args[4] == "$") {
      id = meta.last_id;
    } else if (!ParseIdOrReply(ctx, args[4], {}, &id)) {
      return;
    }
    types::PutGroup(ctx.txn, s.meta_key, group, {id, entries_read});
    ctx.out.Ok();
    ctx.Notify(kStreamClass, "xgroup-setid", args[2]);
  } else if (EqualsIgnoreCase(sub, "destroy") && args.size() == 4) {
    if (!g) return ctx.out.Integer(0);
    types::DeleteGroup(ctx.txn, s.meta_key, group);
    ctx.out.Integer(1);
    ctx.Notify(kStreamClass, "xgroup-destroy", args[2]);
  } else if (EqualsIgnoreCase(sub, "createconsumer") && args.size() == 5) {
    if (types::GetConsumer(ctx.txn, s.meta_key, group, args[4])) return ctx.out.Integer(0);
    types::PutConsumer(ctx.txn, s.meta_key, group, args[4], ctx.txn.now_ms());
    ctx.out.Integer(1);
    ctx.Notify(kStreamClass, "xgroup-createconsumer", args[2]);
  } else if (EqualsIgnoreCase(sub, "delconsumer") && args.size() == 5) {
    auto pending = types::DeleteConsumer(ctx.txn, s.meta_key, group, args[4]);
    if (pending) ctx.Notify(kStreamClass, "xgroup-delconsumer", args[2]);
    ctx.out.Integer(pending.value_or(0));
  } else {
    ctx.out.Error(ErrSubcommandSyntax(sub, "XGROUP"));
  }
}

// The reply of one stream of XREADGROUP: [id, fields] per entry, [id, nil] for a pending
// entry whose message was deleted.
struct Served {
  size_t index;
  std::vector<std::pair<StreamId, std::optional<types::StreamEntry>>> entries;
};

// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key ... id ...
void XReadGroup(CommandContext& ctx) {
  auto& args = ctx.args;
  XReadOptions opts;
  if (!ParseXReadOptions(ctx, /*xreadgroup=*/true, &opts)) return;
  const int64_t timeout = opts.timeout_ms;
  int64_t count = opts.count;
  const size_t streams_arg = opts.streams_arg, n = opts.n;
  const bool noack = opts.noack;
  const std::optional<std::string_view> group = opts.group, consumer = opts.consumer;
  if (!group) return ctx.out.Error("ERR Missing GROUP option for XREADGROUP");
  // The stream's meta key is peeked, not compared (stream.h PeekStream): deliveries are
  // ordered by the group subkey (read, compared, rewritten), so concurrent readers of one
  // group conflict there while producers do not conflict with them.
  std::vector<std::string> keys;
  std::vector<types::StreamPeek> streams;
  std::vector<types::StreamGroup> groups;
  std::vector<std::optional<StreamId>> after(n);  // nullopt: ">"
  // A re-run of a parked XREADGROUP (woken by a change of one of its streams): as Redis, a
  // stream or group that went away while it waited is an error, not a wait for a new one.
  const bool woken = ctx.block != nullptr && !ctx.block->resume_state.empty();
  for (size_t k = 0; k < n; ++k) {
    std::string_view key = args[streams_arg + k];
    keys.push_back(ctx.Key(key));
    streams.push_back(types::PeekStream(ctx.txn, keys.back()));
    if (streams.back().wrong_type()) return ctx.out.Error(kErrWrongType);
    if (woken && streams.back().missing()) {
      return ctx.out.Error("-UNBLOCKED the stream key no longer exists");
    }
    std::optional<types::StreamGroup> g;
    if (streams.back().ok()) g = types::GetGroup(ctx.txn, keys.back(), *group);
    if (!g && woken) {
      return ctx.out.Error(
          "-NOGROUP the consumer group this client was blocked on no longer exists");
    }
    if (!g) {
      return ctx.out.Error("-NOGROUP No such key '" + std::string(key) + "' or consumer group '" +
                           std::string(*group) + "' in XREADGROUP with GROUP option");
    }
    groups.push_back(*g);
    std::string_view id_arg = args[streams_arg + n + k];
    if (id_arg == "$") {
      return ctx.out.Error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
          "history of this consumer by specifying a proper ID, or use the > ID to get new "
          "messages. The $ ID would just return an empty result set.");
    }
    if (id_arg == ">") continue;
    StreamId id;
    if (!ParseIdOrReply(ctx, id_arg, {.strict = true}, &id)) return;
    after[k] = id;
  }
  if (woken && count == 0) count = 1000;  // Redis's XREAD_BLOCKED_DEFAULT_COUNT
  const int64_t now = ctx.txn.now_ms();
  std::vector<Served> served;
  for (size_t k = 0; k < n; ++k) {
    const std::string& meta_key = keys[k];
    const types::StreamMeta& meta = streams[k].meta;
    types::StreamGroup& g = groups[k];
    Served out{k, {}};
    if (after[k]) {
      // History: this consumer's own pending entries after the ID.
      auto start = types::NextStreamId(*after[k]);
      std::vector<types::StreamPending> mine;
      if (start) {
        types::ScanPending(ctx.txn, meta_key, *group, *start, StreamId::Max(),
                           [&](const types::StreamPending& p) {
                             if (p.consumer == *consumer) mine.push_back(p);
                             return count == 0 || mine.size() < static_cast<size_t>(count);
                           });
      }
      for (auto& p : mine) {
        auto e = types::StreamGetEntry(ctx.txn, meta_key, p.id);
        if (e) {
          // Read (compared) before the rewrite, so an XACK committed meanwhile is not undone.
          types::GetPending(ctx.txn, meta_key, *group, p.id);
          p.delivery_ms = now;
          p.delivery_count++;
          types::PutPending(ctx.txn, meta_key, *group, p);
        }
        out.entries.emplace_back(p.id, std::move(e));
      }
    } else {
      if (meta.length == 0) continue;
      auto top = types::StreamLastId(ctx.txn, meta_key, meta.last_id);
      if (!top || *top <= g.last_id) continue;
      auto start = types::NextStreamId(g.last_id);
      auto entries = types::StreamRange(ctx.txn, meta_key, *start, StreamId::Max(),
                                        static_cast<uint64_t>(count), false);
      StreamId first = types::StreamFirstId(ctx.txn, meta_key).value_or(StreamId{});
      for (auto& e : entries) {
        if (e.id > g.last_id) types::AdvanceGroup(meta, first, e.id, &g);
        if (!noack) {
          types::PutPending(ctx.txn, meta_key, *group, {e.id, std::string(*consumer), now, 1});
        }
        out.entries.emplace_back(e.id, std::move(e));
      }
      types::PutGroup(ctx.txn, meta_key, *group, g);
    }
    // The consumer is looked up (its seen-time refreshed) or created when served.
    if (!types::GetConsumer(ctx.txn, meta_key, *group, *consumer)) {
      ctx.Notify(kStreamClass, "xgroup-createconsumer", args[streams_arg + k]);
    }
    types::PutConsumer(ctx.txn, meta_key, *group, *consumer, now);
    served.push_back(std::move(out));
  }
  if (!served.empty()) {
    if (ctx.out.protocol() >= 3) {
      ctx.out.MapHeader(served.size());
    } else {
      ctx.out.ArrayHeader(served.size());
    }
    for (const auto& s : served) {
      if (ctx.out.protocol() < 3) ctx.out.ArrayHeader(2);
      ctx.out.Bulk(args[streams_arg + s.index]);
      ctx.out.ArrayHeader(s.entries.size());
      for (const auto& [id, e] : s.entries) {
        if (e) {
          ReplyEntry(ctx, *e);
        } else {
          ctx.out.ArrayHeader(2);
          ReplyId(ctx, id);
          ctx.out.NullArray();
        }
      }
    }
    return;
  }
  if (timeout == -1 || ctx.block == nullptr) return ctx.out.NullArray();
  ctx.block->requested = true;
  ctx.block->timeout_ms = timeout;
  ctx.block->keys.clear();
  ctx.block->keys = std::move(keys);
  ctx.block->resume_state = "parked";  // marks the re-runs (see `woken`)
}

// XACK key group id [id ...]
// Like XREADGROUP it peeks at the stream and the group without comparing them: an XACK
// compares only the PEL entries it deletes, so acks of different entries never conflict.
void XAck(CommandContext& ctx) {
  std::string meta_key = ctx.Key(ctx.args[1]);
  auto s = types::PeekStream(ctx.txn, meta_key);
  if (s.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (s.missing() ||
      !types::HasSubkey(ctx.txn,
                        keyspace::SubKey(meta_key, keyspace::kStreamGroupTag, ctx.args[2]))) {
    return ctx.out.Integer(0);
  }
  std::vector<StreamId> ids(ctx.args.size() - 3);
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    if (!ParseIdOrReply(ctx, ctx.args[j], {.strict = true}, &ids[j - 3])) return;
  }
  int64_t acked = 0;
  for (StreamId id : ids) {
    if (types::DeletePending(ctx.txn, meta_key, ctx.args[2], id)) ++acked;
  }
  ctx.out.Integer(acked);
}

}  // namespace

void RegisterStreamGroupFamily(CommandTable& t) {
  const KeySpec key2_rw_insert = {
      .flags = kKeyRW | kKeyInsert, .begin = Index(2), .find = Range(0, 1, 0)};
  t.Add({.name = "xgroup",
         .arity = -2,
         .flags = 0,
         .acl = acl::kSlow,
         .subcommands = {{.name = "create",
                          .arity = -5,
                          .flags = kWrite | kDenyOom,
                          .acl = acl::kWrite | acl::kStream | acl::kSlow,
                          .key_specs = {key2_rw_insert},
                          .handler = WithKeyEvents<XGroup>},
                         {.name = "createconsumer",
                          .arity = 5,
                          .flags = kWrite | kDenyOom,
                          .acl = acl::kWrite | acl::kStream | acl::kSlow,
                          .key_specs = {key2_rw_insert},
                          .handler = WithKeyEvents<XGroup>},
                         {.name = "delconsumer",
                          .arity = 5,
                          .flags = kWrite,
                          .acl = acl::kWrite | acl::kStream | acl::kSlow,
                          .key_specs = {{.flags = kKeyRW | kKeyDelete,
                                         .begin = Index(2),
                                         .find = Range(0, 1, 0)}},
                          .handler = WithKeyEvents<XGroup>},
                         {.name = "destroy",
                          .arity = 4,
                          .flags = kWrite,
                          .acl = acl::kWrite | acl::kStream | acl::kSlow,
                          .key_specs = {{.flags = kKeyRW | kKeyDelete,
                                         .begin = Index(2),
                                         .find = Range(0, 1, 0)}},
                          .handler = WithKeyEvents<XGroup>},
                         {.name = "help",
                          .arity = 2,
                          .flags = kLoading | kStale,
                          .acl = acl::kStream | acl::kSlow,
                          .handler = XGroupHelp},
                         {.name = "setid",
                          .arity = -5,
                          .flags = kWrite,
                          .acl = acl::kWrite | acl::kStream | acl::kSlow,
                          .key_specs = {{.flags = kKeyRW | kKeyUpdate,
                                         .begin = Index(2),
                                         .find = Range(0, 1, 0)}},
                          .handler = WithKeyEvents<XGroup>}}})
      .Add({.name = "xreadgroup",
            .arity = -7,
            .flags = kWrite | kBlocking,
            .acl = acl::kWrite | acl::kStream | acl::kSlow | acl::kBlocking,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Keyword("STREAMS", 4),
                           .find = Range(-1, 1, 2)}},
            .handler = WithKeyEvents<XReadGroup>})
      .Add(
          {.name = "xack",
           .arity = -4,
           .flags = kWrite | kFast,
           .acl = acl::kWrite | acl::kStream | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<XAck>});
  AddStreamPendingCommands(t);
  AddStreamInfoCommands(t);
}

}  // namespace petacore::commands
