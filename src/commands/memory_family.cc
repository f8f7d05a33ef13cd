// memory_family.cc — MEMORY USAGE / STATS / DOCTOR / PURGE / MALLOC-STATS / HELP, as Redis 7.0's
// object.c memoryCommand, with figures from this node's MVCC replica (docs/operations.md
// "Observability" gives MEMORY USAGE's formula).

#include <cstdio>
#include <cstdlib>
#include <string>

#include "commands/context.h"
#include "commands/scan_cursor.h"
#include "commands/table.h"
#include "keyspace/encoding.h"
#include "keyspace/incarnation.h"
#include "keyspace/types/key.h"
#include "mvcc/process_memory.h"

namespace petacore::commands {
namespace {

// Redis-like overhead added to the stored bytes: per key, a dict entry, an object header and
// the key's sds header (Redis 7.0: 24 + 16 + ~8); per element row of a collection, what a
// hashtable/skiplist encoding spends per element beyond its bytes (a dict entry and two sds
// headers, or a skiplist node, ~ 16 on average over the compact and the large encodings).
constexpr int64_t kKeyOverhead = 48;
constexpr int64_t kElementOverhead = 16;

// MEMORY USAGE key [SAMPLES count]: the bytes of the key's rows in the replica (meta key and
// value, each element key and value) plus the overhead above; with SAMPLES n (default 5, 0 =
// all) the element rows past the first n are estimated from their average, as Redis samples.
void MemoryUsage(CommandContext& ctx) {
  int64_t samples = 5;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    if (EqualsIgnoreCase(ctx.args[j], "samples") && j + 1 < ctx.args.size()) {
      if (!ParseInt64(ctx.args[j + 1], &samples)) return ctx.out.Error(kErrNotInteger);
      if (samples < 0) return ctx.out.Error(kErrSyntax);
      if (samples == 0) samples = INT64_MAX;
      ++j;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  const std::string key = ctx.Key(ctx.args[2]);
  auto meta = ctx.txn.Get(key);
  if (!meta) return ctx.out.NullBulk();
  int64_t usage = static_cast<int64_t>(key.size() + meta->size()) + kKeyOverhead;
  int64_t elements = 0, sampled = 0, sampled_bytes = 0;
  // A collection's subkeys: in its own range, or under its incarnation (incarnation.h).
  const std::string base = keyspace::types::ElementsOf(ctx.txn, key);
  const std::string end = base == key ? keyspace::KeyEnd(key) : keyspace::ElementsEnd(base);
  ctx.txn.Range(base, end, [&](std::string_view k, std::string_view v) {
    if (k == key || k.size() < base.size() + 1) return true;
    if (base != key && keyspace::IsIncarnationMarker(k, base.size())) return true;
    if (elements++ < samples) {
      ++sampled;
      sampled_bytes += static_cast<int64_t>(k.size() + v.size()) + kElementOverhead;
    }
    return true;
  });
  if (sampled > 0) usage += sampled_bytes * elements / sampled;
  ctx.out.Integer(usage);
}

// MEMORY STATS: Redis 7.0's fields. Real: total.allocated / allocator.* (the replica's bytes),
// keys.count, dataset.bytes, the RSS figures, clients.normal; the rest are Redis's neutral
// values (no replication backlog, AOF, cluster links or per-db hash tables here).
void MemoryStats(CommandContext& ctx) {
  const ServerStats st = ctx.server.Stats();
  const auto allocated = static_cast<int64_t>(st.store.bytes);
  const int64_t rss = mvcc::ResidentBytes();
  int64_t keys = 0;
  std::vector<std::pair<int, int64_t>> dbs;
  for (int db = 0; db < keyspace::kNumDatabases; ++db) {
    int64_t n = 0;
    ForEachKey(ctx.txn, keyspace::DbStart(db), keyspace::DbEnd(db),
               [&](std::string_view, std::string_view) { return ++n, true; });
    if (n > 0) dbs.emplace_back(db, n);
    keys += n;
  }
  const int64_t overhead = keys * kKeyOverhead;
  const int64_t dataset = std::max<int64_t>(allocated - overhead, 0);
  auto ratio = [](int64_t a, int64_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / b; };
  ctx.out.MapHeader(27 + dbs.size());
  auto num = [&](std::string_view name, int64_t v) { ctx.out.Bulk(name), ctx.out.Integer(v); };
  auto dbl = [&](std::string_view name, double v) { ctx.out.Bulk(name), ctx.out.Double(v); };
  num("peak.allocated", allocated);
  num("total.allocated", allocated);
  num("startup.allocated", 0);
  num("replication.backlog", 0);
  num("clients.slaves", 0);
  num("clients.normal", 0);
  num("cluster.links", 0);
  num("aof.buffer", 0);
  num("lua.caches", 0);
  num("functions.caches", 0);
  for (auto [db, n] : dbs) {
    ctx.out.Bulk("db." + std::to_string(db));
    ctx.out.MapHeader(3);
    num("overhead.hashtable.main", n * kKeyOverhead);
    num("overhead.hashtable.expires", 0);
    num("overhead.hashtable.slot-to-keys", 0);
  }
  num("overhead.total", overhead);
  num("keys.count", keys);
  num("keys.bytes-per-key", keys == 0 ? 0 : allocated / keys);
  num("dataset.bytes", dataset);
  dbl("dataset.percentage", 100.0 * ratio(dataset, allocated));
  dbl("peak.percentage", 100.0);
  num("allocator.allocated", allocated);
  num("allocator.active", allocated);
  num("allocator.resident", rss);
  dbl("allocator-fragmentation.ratio", 1.0);
  num("allocator-fragmentation.bytes", 0);
  dbl("allocator-rss.ratio", ratio(rss, allocated));
  num("allocator-rss.bytes", rss - allocated);
  dbl("rss-overhead.ratio", 1.0);
  num("rss-overhead.bytes", 0);
  dbl("fragmentation", ratio(rss, allocated));
  num("fragmentation.bytes", rss - allocated);
}

// MEMORY DOCTOR: Redis's empty-instance answer under 5 MB of data, else PetaCore's report.
void MemoryDoctor(CommandContext& ctx) {
  const ServerStats st = ctx.server.Stats();
  std::string r;
  if (st.store.bytes < 5 * 1024 * 1024) {
    r = "Hi Sam, this instance is empty or is using very little memory, my issues detector "
        "can't be used in these conditions. Please, leave for your mission on Earth and fill "
        "it with some data. The new Sam and I will be back to our programming as soon as I "
        "finished rebooting.\n";
  } else if (st.store.versions > 2 * st.store.live_keys + 1000) {
    r = "Sam, this node's replica holds " + std::to_string(st.store.versions) +
        " versions for " + std::to_string(st.store.live_keys) +
        " live keys: old versions wait for etcd's compaction (or for readers still holding "
        "snapshots). Check etcd's auto-compaction settings.\n";
  } else {
    r = "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
        "occurs on this base.\n";
  }
  ctx.out.Verbatim("txt", r);
}

void MemoryPurge(CommandContext& ctx) {
  mvcc::TrimAllocator();  // counted in INFO petacore allocator_trim*
  ctx.out.Ok();
}

// MEMORY MALLOC-STATS: the allocator's statistics (jemalloc's malloc_stats_print, as Redis;
// glibc's malloc_info XML in a build without jemalloc).
void MemoryMallocStats(CommandContext& ctx) { ctx.out.Verbatim("txt", mvcc::AllocatorStatsText()); }

void MemoryHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return memory problems reports.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
      "HELP",
      "    Prints this help."};
  ctx.out.ArrayHeader(std::size(kLines));
  for (auto line : kLines) ctx.out.Simple(line);
}

CommandSpec Sub(std::string_view name, Handler handler, std::vector<std::string_view> tips) {
  return {.name = name, .arity = 2, .flags = 0, .acl = acl::kSlow, .tips = std::move(tips),
          .handler = handler};
}

}  // namespace

void RegisterMemoryFamily(CommandTable& t) {
  const std::vector<std::string_view> special = {
      "nondeterministic_output", "request_policy:all_shards", "response_policy:special"};
  t.Add({.name = "memory",
         .arity = -2,
         .flags = 0,
         .acl = acl::kSlow,
         .subcommands = {
             Sub("doctor", MemoryDoctor, special),
             {.name = "help",
              .arity = 2,
              .flags = kLoading | kStale,
              .acl = acl::kSlow,
              .handler = MemoryHelp},
             Sub("malloc-stats", MemoryMallocStats, special),
             Sub("purge", MemoryPurge,
                 {"request_policy:all_shards", "response_policy:all_succeeded"}),
             Sub("stats", MemoryStats, special),
             {.name = "usage",
              .arity = -3,
              .flags = kReadOnly,
              .acl = acl::kRead | acl::kSlow,
              .key_specs = {{.flags = kKeyRO, .begin = Index(2), .find = Range(0, 1, 0)}},
              .handler = MemoryUsage}}});
}

}  // namespace petacore::commands
