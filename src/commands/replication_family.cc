// replication_family.cc — WAIT, ROLE, REPLICAOF/SLAVEOF, PSYNC, SYNC, REPLCONF, FAILOVER, and
// INFO's replication section. PetaCore nodes replicate through etcd, each one a master: WAIT
// counts the other nodes that have applied this client's last write, ROLE and INFO list the
// other live nodes as replicas, from the node registry (keyspace/node_record.h,
// server/node_registry.h). The commands of Redis's own replication protocol answer what a
// Redis 7.0 master without replicas answers, or a documented error (docs/consistency.md
// "WAIT", "ROLE").
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/replication.h"
#include "commands/table.h"
#include "keyspace/encoding.h"
#include "keyspace/node_record.h"

namespace petacore::commands {

std::vector<keyspace::NodeRecord> OtherNodes(CommandContext& ctx) {
  std::vector<keyspace::NodeRecord> nodes;
  if (ctx.server.Options().standalone()) return nodes;
  const uint64_t self = ctx.server.PubSubProcess();
  ctx.txn.Range(keyspace::kNodeRecordPrefix, keyspace::kNodeRecordEnd,
                [&](std::string_view key, std::string_view value) {
                  auto record = keyspace::DecodeNodeRecord(key, value);
                  if (record && record->process != self) nodes.push_back(std::move(*record));
                  return true;
                });
  return nodes;
}

std::string ReplicationInfoLines(CommandContext& ctx) {
  const int64_t offset = ctx.server.Stats().applied_revision;
  const int64_t now = keyspace::NowMs();
  auto nodes = OtherNodes(ctx);
  std::string s;
  auto line = [&s](std::string_view name, const std::string& value) {
    s.append(name).append(":").append(value).append("\r\n");
  };
  line("role", "master");
  line("connected_slaves", std::to_string(nodes.size()));
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto [host, port] = keyspace::SplitHostPort(nodes[i].addr);
    int64_t lag = std::max<int64_t>(0, (now - nodes[i].published_ms) / 1000);
    line("slave" + std::to_string(i),
         "ip=" + std::string(host) + ",port=" + std::string(port) + ",state=online,offset=" +
             std::to_string(nodes[i].applied) + ",lag=" + std::to_string(lag));
  }
  line("master_failover_state", "no-failover");
  // A replication id of this process (Redis makes a new one at each start too).
  char replid[41];
  std::snprintf(replid, sizeof(replid), "%016llx%024x",
                static_cast<unsigned long long>(ctx.server.PubSubProcess()), 0);
  line("master_replid", replid);
  line("master_replid2", std::string(40, '0'));
  line("master_repl_offset", std::to_string(offset));
  line("second_repl_offset", "-1");
  line("repl_backlog_active", "0");
  line("repl_backlog_size", "1048576");
  line("repl_backlog_first_byte_offset", "0");
  line("repl_backlog_histlen", "0");
  return s;
}

void info::Replication(CommandContext& ctx, std::string& s) {
  s += "# Replication\r\n" + ReplicationInfoLines(ctx);
}

namespace {

// WAIT numreplicas timeout — the number of OTHER nodes whose published applied revision is at
// or past this client's last write (docs/consistency.md "WAIT"). Parks (never blocking the io
// thread) until enough nodes reported it or the timeout (ms, 0 = forever) passes, and asks
// every node to publish at once. No write yet: the live count at once, as Redis answers its
// replica count for a client that wrote nothing. Standalone: 0 at once (no replicas).
void Wait(CommandContext& ctx) {
  int64_t numreplicas = 0, timeout = 0;
  if (!ParseInt64(ctx.args[1], &numreplicas)) return ctx.out.Error(kErrNotInteger);
  if (!ParseInt64(ctx.args[2], &timeout)) {
    return ctx.out.Error("ERR timeout is not an integer or out of range");
  }
  if (timeout < 0) return ctx.out.Error("ERR timeout is negative");
  if (ctx.server.Options().standalone()) return ctx.out.Integer(0);
  const int64_t target = ctx.session.last_write_revision;
  auto nodes = OtherNodes(ctx);
  int64_t reached = 0;
  for (const auto& n : nodes) reached += n.applied >= target ? 1 : 0;
  // Inside MULTI (no `block`), as Redis: the count now.
  if (target == 0 || reached >= numreplicas || ctx.block == nullptr) {
    return ctx.out.Integer(reached);
  }
  ctx.server.AskNodeReports(target);
  BlockRequest& block = *ctx.block;
  block.requested = true;
  // Redis 7.0 checks no upper bound; a timeout past a century waits as long as forever does.
  block.timeout_ms = std::min<int64_t>(timeout, int64_t{100} * 365 * 24 * 3600 * 1000);
  // Woken by any node's record, not only the nodes listed now: a node whose record is absent
  // at this moment (its lease lapsed under an etcd fault and it is publishing again under a
  // new one) counts once its new record is applied here.
  block.keys.push_back(std::string(keyspace::kNodeRecordPrefix));
  resp::ReplyWriter(&block.timeout_reply, ctx.session.protocol).Integer(reached);
}

// ROLE — as a Redis master: ["master", offset, [[ip, port, offset], ...]] with this node's
// applied revision as its offset and each other live node's published one as the replica's.
void Role(CommandContext& ctx) {
  auto nodes = OtherNodes(ctx);
  ctx.out.ArrayHeader(3);
  ctx.out.Bulk("master");
  ctx.out.Integer(ctx.server.Stats().applied_revision);
  ctx.out.ArrayHeader(nodes.size());
  for (const auto& n : nodes) {
    auto [host, port] = keyspace::SplitHostPort(n.addr);
    ctx.out.ArrayHeader(3);
    ctx.out.Bulk(host);
    ctx.out.Bulk(port);
    ctx.out.Bulk(std::to_string(n.applied));
  }
}

// REPLICAOF / SLAVEOF host port — NO ONE: +OK, as a master. A master address: Redis's port
// check, then an error: a node follows the cluster through etcd, never another node.
void ReplicaOf(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.args[1], "no") && EqualsIgnoreCase(ctx.args[2], "one")) {
    return ctx.out.Ok();
  }
  int64_t port = 0;
  if (!ParseInt64(ctx.args[2], &port) || port < 0 || port > 65535) {
    return ctx.out.Error("ERR Invalid master port");
  }
  ctx.out.Error(
      "ERR PetaCore nodes replicate through etcd, not from a master: start this node with the "
      "cluster's --etcd-endpoints and --etcd-prefix instead of REPLICAOF");
}

// PSYNC / SYNC — Redis's replica handshake: there is no replication stream to send.
void Sync(CommandContext& ctx) {
  std::string name(ctx.args[0]);
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ctx.out.Error("ERR " + name +
                " is not supported: PetaCore nodes replicate through etcd (start another node on "
                "the same etcd prefix)");
}

// REPLCONF option value ... — as Redis's replconfCommand for a client that is not a replica:
// listening-port, ip-address, capa, rdb-only and rdb-filter-only are checked and accepted
// (+OK); ACK and GETACK answer nothing (a replica's messages); anything else is an error.
void ReplConf(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) return ctx.out.Error(kErrSyntax);
  for (size_t j = 1; j < ctx.args.size(); j += 2) {
    std::string_view opt = ctx.args[j], value = ctx.args[j + 1];
    int64_t n = 0;
    if (EqualsIgnoreCase(opt, "listening-port")) {
      if (!ParseInt64(value, &n)) return ctx.out.Error(kErrNotInteger);
    } else if (EqualsIgnoreCase(opt, "ip-address")) {
      if (value.size() >= 256) {  // Redis's NET_HOST_STR_LEN
        return ctx.out.Error("ERR REPLCONF ip-address provided by replica instance is too long: " +
                             std::to_string(value.size()) + " bytes");
      }
    } else if (EqualsIgnoreCase(opt, "capa")) {
      // capabilities this node does not understand are ignored, as Redis
    } else if (EqualsIgnoreCase(opt, "ack") || EqualsIgnoreCase(opt, "getack")) {
      return;  // no reply, as Redis for a client that is not a replica
    } else if (EqualsIgnoreCase(opt, "rdb-only")) {
      if (!ParseInt64(value, &n) || n < 0 || n > 1) {
        return ctx.out.Error(!ParseInt64(value, &n)
                                 ? kErrNotInteger
                                 : "ERR value is out of range, value must between 0 and 1");
      }
    } else if (EqualsIgnoreCase(opt, "rdb-filter-only")) {
      size_t pos = 0;
      while (pos < value.size()) {
        size_t end = value.find(' ', pos);
        std::string_view word = value.substr(pos, end == std::string_view::npos ? end : end - pos);
        if (!word.empty() && !EqualsIgnoreCase(word, "functions")) {
          return ctx.out.Error("ERR Unsupported rdb-filter-only option: " + std::string(word));
        }
        if (end == std::string_view::npos) break;
        pos = end + 1;
      }
    } else {
      return ctx.out.Error("ERR Unrecognized REPLCONF option: " + std::string(opt));
    }
  }
  ctx.out.Ok();
}

// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms] — Redis's parsing and errors; then,
// with no replicas (standalone), Redis's "requires connected replicas"; replicated, an error:
// every node already takes writes, there is no master role to hand over.
void Failover(CommandContext& ctx) {
  if (ctx.args.size() == 2 && EqualsIgnoreCase(ctx.args[1], "abort")) {
    return ctx.out.Error("ERR No failover in progress.");
  }
  int64_t timeout = 0, port = 0;
  bool force = false, host = false;
  for (size_t j = 1; j < ctx.args.size(); ++j) {
    if (EqualsIgnoreCase(ctx.args[j], "timeout") && j + 1 < ctx.args.size() && timeout == 0) {
      if (!ParseInt64(ctx.args[j + 1], &timeout)) return ctx.out.Error(kErrNotInteger);
      if (timeout <= 0) return ctx.out.Error("ERR FAILOVER timeout must be greater than 0");
      ++j;
    } else if (EqualsIgnoreCase(ctx.args[j], "to") && j + 2 < ctx.args.size() && !host) {
      if (!ParseInt64(ctx.args[j + 2], &port)) return ctx.out.Error(kErrNotInteger);
      host = true;
      j += 2;
    } else if (EqualsIgnoreCase(ctx.args[j], "force") && !force) {
      force = true;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  if (ctx.server.Options().standalone() || OtherNodes(ctx).empty()) {
    return ctx.out.Error("ERR FAILOVER requires connected replicas.");
  }
  ctx.out.Error(
      "ERR FAILOVER is not needed: every PetaCore node is a master (writes go through etcd)");
}

}  // namespace

void RegisterReplicationFamily(CommandTable& t) {
  t.Add({.name = "wait",
         .arity = 3,
         .flags = kNoScript | kBlocking | kParksQuietly,
         .acl = acl::kSlow | acl::kConnection,
         .tips = {"request_policy:all_shards", "response_policy:agg_min"},
         .handler = Wait})
      .Add({.name = "role",
            .arity = 1,
            .flags = kNoScript | kLoading | kStale | kFast,
            .acl = acl::kAdmin | acl::kFast | acl::kDangerous,
            .handler = Role})
      .Add({.name = "replicaof",
            .arity = 3,
            .flags = kAdmin | kNoScript | kStale | kNoAsyncLoading,
            .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
            .handler = ReplicaOf})
      .Add({.name = "slaveof",
            .arity = 3,
            .flags = kAdmin | kNoScript | kStale | kNoAsyncLoading,
            .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
            .handler = ReplicaOf})
      .Add({.name = "psync",
            .arity = -3,
            .flags = kAdmin | kNoScript | kNoAsyncLoading | kNoMulti,
            .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
            .handler = Sync})
      .Add({.name = "sync",
            .arity = 1,
            .flags = kAdmin | kNoScript | kNoAsyncLoading | kNoMulti,
            .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
            .handler = Sync})
      .Add({.name = "replconf",
            .arity = -1,
            .flags = kAdmin | kNoScript | kLoading | kStale | kAllowBusy,
            .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
            .handler = ReplConf})
      .Add({.name = "failover",
            .arity = -1,
            .flags = kAdmin | kNoScript | kStale,
            .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
            .handler = Failover});
}

}  // namespace petacore::commands
