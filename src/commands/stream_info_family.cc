// stream_info_family.cc — XINFO STREAM [FULL [COUNT n]] / GROUPS / CONSUMERS / HELP, with
// Redis 7.0's reply shapes (maps in RESP3, flat arrays in RESP2).
//
// Where PetaCore differs: "radix-tree-keys" and "radix-tree-nodes" describe Redis's memory
// layout, which PetaCore does not have; they are estimated as Redis would lay out the entries
// (one radix key per 100 entries, stream-node-max-entries' default) and are not meant to be
// compared. Everything else (length, IDs, counters, lag, PEL, consumers) is Redis's.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/key_access.h"
#include "commands/stream_util.h"
#include "commands/table.h"
#include "keyspace/types/stream.h"
#include "keyspace/types/stream_group.h"

namespace petacore::commands {
namespace {

using keyspace::ValueType;
namespace types = keyspace::types;
using types::StreamId;

void XInfoHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Prints this help."};
  ctx.out.ArrayHeader(std::size(kLines));
  for (auto line : kLines) ctx.out.Simple(line);
}

// The stream at args[2], or an error reply ("ERR no such key", WRONGTYPE).
std::optional<KeyRead> ReadInfoKey(CommandContext& ctx) {
  auto s = ReadKey(ctx, ctx.args[2], ValueType::kStream);
  if (s.missing()) {
    ctx.out.Error(kErrNoSuchKey);
    return std::nullopt;
  }
  if (s.wrong_type()) {
    ctx.out.Error(kErrWrongType);
    return std::nullopt;
  }
  return s;
}

void ReplyLag(CommandContext& ctx, const types::StreamMeta& m, StreamId first,
              const types::StreamGroup& g) {
  auto lag = types::GroupLag(m, first, g);
  if (lag) {
    ctx.out.Integer(*lag);
  } else {
    ctx.out.NullBulk();
  }
}

void ReplyEntriesRead(CommandContext& ctx, const types::StreamGroup& g) {
  if (g.entries_read != types::kInvalidEntriesRead) {
    ctx.out.Integer(g.entries_read);
  } else {
    ctx.out.NullBulk();
  }
}

void ReplyGroupFull(CommandContext& ctx, const std::string& meta_key, const types::StreamMeta& m,
                    StreamId first, const std::string& name, const types::StreamGroup& g,
                    int64_t count) {
  std::vector<types::StreamPending> pel;
  types::ScanPending(ctx.txn, meta_key, name, StreamId{}, StreamId::Max(),
                     [&](const types::StreamPending& p) {
                       pel.push_back(p);
                       return true;
                     });
  auto limited = [&](size_t n) { return count == 0 ? n : std::min<size_t>(n, count); };
  ctx.out.MapHeader(7);
  ctx.out.Bulk("name");
  ctx.out.Bulk(name);
  ctx.out.Bulk("last-delivered-id");
  ReplyId(ctx, g.last_id);
  ctx.out.Bulk("entries-read");
  ReplyEntriesRead(ctx, g);
  ctx.out.Bulk("lag");
  ReplyLag(ctx, m, first, g);
  ctx.out.Bulk("pel-count");
  ctx.out.Integer(static_cast<int64_t>(pel.size()));
  ctx.out.Bulk("pending");
  ctx.out.ArrayHeader(limited(pel.size()));
  for (size_t i = 0; i < limited(pel.size()); ++i) {
    ctx.out.ArrayHeader(4);
    ReplyId(ctx, pel[i].id);
    ctx.out.Bulk(pel[i].consumer);
    ctx.out.Integer(pel[i].delivery_ms);
    ctx.out.Integer(static_cast<int64_t>(pel[i].delivery_count));
  }
  auto consumers = types::AllConsumers(ctx.txn, meta_key, name);
  ctx.out.Bulk("consumers");
  ctx.out.ArrayHeader(consumers.size());
  for (const auto& [cname, seen] : consumers) {
    std::vector<const types::StreamPending*> mine;
    for (const auto& p : pel) {
      if (p.consumer == cname) mine.push_back(&p);
    }
    ctx.out.MapHeader(4);
    ctx.out.Bulk("name");
    ctx.out.Bulk(cname);
    ctx.out.Bulk("seen-time");
    ctx.out.Integer(seen);
    ctx.out.Bulk("pel-count");
    ctx.out.Integer(static_cast<int64_t>(mine.size()));
    ctx.out.Bulk("pending");
    ctx.out.ArrayHeader(limited(mine.size()));
    for (size_t i = 0; i < limited(mine.size()); ++i) {
      ctx.out.ArrayHeader(3);
      ReplyId(ctx, mine[i]->id);
      ctx.out.Integer(mine[i]->delivery_ms);
      ctx.out.Integer(static_cast<int64_t>(mine[i]->delivery_count));
    }
  }
}

// XINFO STREAM key [FULL [COUNT count]]
void XInfoStream(CommandContext& ctx) {
  auto& args = ctx.args;
  // The key first, then the options, as Redis's xinfoCommand.
  auto s = ReadInfoKey(ctx);
  if (!s) return;
  bool full = args.size() > 3;
  int64_t count = 10;
  if (full) {
    size_t optc = args.size() - 3;
    if ((optc != 1 && optc != 3) || !EqualsIgnoreCase(args[3], "full") ||
        (optc == 3 && !EqualsIgnoreCase(args[4], "count"))) {
      return ctx.out.Error(ErrSubcommandSyntax(args[1], "XINFO"));
    }
    if (optc == 3) {
      if (!ParseInt64(args[5], &count)) return ctx.out.Error(kErrNotInteger);
      if (count < 0) count = 10;
    }
  }
  types::StreamMeta m = types::StreamMetaOf(*s);
  StreamId first = types::StreamFirstId(ctx.txn, s->meta_key).value_or(StreamId{});
  int64_t radix_keys = static_cast<int64_t>((m.length + 99) / 100);
  ctx.out.MapHeader(full ? 9 : 10);
  ctx.out.Bulk("length");
  ctx.out.Integer(static_cast<int64_t>(m.length));
  ctx.out.Bulk("radix-tree-keys");
  ctx.out.Integer(radix_keys);
  ctx.out.Bulk("radix-tree-nodes");
  ctx.out.Integer(radix_keys + 1);
  ctx.out.Bulk("last-generated-id");
  ReplyId(ctx, m.last_id);
  ctx.out.Bulk("max-deleted-entry-id");
  ReplyId(ctx, m.max_deleted);
  ctx.out.Bulk("entries-added");
  ctx.out.Integer(static_cast<int64_t>(m.entries_added));
  ctx.out.Bulk("recorded-first-entry-id");
  ReplyId(ctx, first);
  auto groups = types::AllGroups(ctx.txn, s->meta_key);
  if (!full) {
    ctx.out.Bulk("groups");
    ctx.out.Integer(static_cast<int64_t>(groups.size()));
    for (bool rev : {false, true}) {
      ctx.out.Bulk(rev ? "last-entry" : "first-entry");
      auto e = types::StreamRange(ctx.txn, s->meta_key, StreamId{}, m.last_id, 1, rev);
      if (e.empty()) {
        ctx.out.NullBulk();
      } else {
        ReplyEntry(ctx, e.front());
      }
    }
    return;
  }
  ctx.out.Bulk("entries");
  auto entries = types::StreamRange(ctx.txn, s->meta_key, StreamId{}, StreamId::Max(),
                                    static_cast<uint64_t>(count), false);
  ctx.out.ArrayHeader(entries.size());
  for (const auto& e : entries) ReplyEntry(ctx, e);
  ctx.out.Bulk("groups");
  ctx.out.ArrayHeader(groups.size());
  for (const auto& [name, g] : groups) {
    ReplyGroupFull(ctx, s->meta_key, m, first, name, g, count);
  }
}

// XINFO GROUPS key
void XInfoGroups(CommandContext& ctx) {
  auto s = ReadInfoKey(ctx);
  if (!s) return;
  types::StreamMeta m = types::StreamMetaOf(*s);
  StreamId first = types::StreamFirstId(ctx.txn, s->meta_key).value_or(StreamId{});
  auto groups = types::AllGroups(ctx.txn, s->meta_key);
  ctx.out.ArrayHeader(groups.size());
  for (const auto& [name, g] : groups) {
    int64_t pending = 0;
    types::ScanPending(ctx.txn, s->meta_key, name, StreamId{}, StreamId::Max(),
                       [&](const types::StreamPending&) {
                         ++pending;
                         return true;
                       });
    ctx.out.MapHeader(6);
    ctx.out.Bulk("name");
    ctx.out.Bulk(name);
    ctx.out.Bulk("consumers");
    ctx.out.Integer(static_cast<int64_t>(types::AllConsumers(ctx.txn, s->meta_key, name).size()));
    ctx.out.Bulk("pending");
    ctx.out.Integer(pending);
    ctx.out.Bulk("last-delivered-id");
    ReplyId(ctx, g.last_id);
    ctx.out.Bulk("entries-read");
    ReplyEntriesRead(ctx, g);
    ctx.out.Bulk("lag");
    ReplyLag(ctx, m, first, g);
  }
}

// XINFO CONSUMERS key group
void XInfoConsumers(CommandContext& ctx) {
  auto s = ReadInfoKey(ctx);
  if (!s) return;
  std::string_view group = ctx.args[3];
  if (!types::GetGroup(ctx.txn, s->meta_key, group)) {
    return ctx.out.Error("-NOGROUP No such consumer group '" + std::string(group) +
                         "' for key name '" + std::string(ctx.args[2]) + "'");
  }
  std::map<std::string, int64_t, std::less<>> pending;
  types::ScanPending(ctx.txn, s->meta_key, group, StreamId{}, StreamId::Max(),
                     [&](const types::StreamPending& p) {
                       ++pending[p.consumer];
                       return true;
                     });
  auto consumers = types::AllConsumers(ctx.txn, s->meta_key, group);
  const int64_t now = ctx.txn.now_ms();
  ctx.out.ArrayHeader(consumers.size());
  for (const auto& [name, seen] : consumers) {
    auto it = pending.find(name);
    ctx.out.MapHeader(3);
    ctx.out.Bulk("name");
    ctx.out.Bulk(name);
    ctx.out.Bulk("pending");
    ctx.out.Integer(it == pending.end() ? 0 : it->second);
    ctx.out.Bulk("idle");
    ctx.out.Integer(std::max<int64_t>(now - seen, 0));
  }
}

}  // namespace

void AddStreamInfoCommands(CommandTable& t) {
  const KeySpec key2_ro = {.flags = kKeyRO | kKeyAccess, .begin = Index(2), .find = Range(0, 1, 0)};
  t.Add({.name = "xinfo",
         .arity = -2,
         .flags = 0,
         .acl = acl::kSlow,
         .subcommands = {{.name = "consumers",
                          .arity = 4,
                          .flags = kReadOnly,
                          .acl = acl::kRead | acl::kStream | acl::kSlow,
                          .key_specs = {key2_ro},
                          .tips = {"nondeterministic_output"},
                          .handler = XInfoConsumers},
                         {.name = "groups",
                          .arity = 3,
                          .flags = kReadOnly,
                          .acl = acl::kRead | acl::kStream | acl::kSlow,
                          .key_specs = {key2_ro},
                          .handler = XInfoGroups},
                         {.name = "help",
                          .arity = 2,
                          .flags = kLoading | kStale,
                          .acl = acl::kStream | acl::kSlow,
                          .handler = XInfoHelp},
                         {.name = "stream",
                          .arity = -3,
                          .flags = kReadOnly,
                          .acl = acl::kRead | acl::kStream | acl::kSlow,
                          .key_specs = {key2_ro},
                          .handler = XInfoStream}}});
}

}  // namespace petacore::commands
