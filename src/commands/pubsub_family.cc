// pubsub_family.cc — SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
// SUNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB: Redis 7.0's pub/sub, across the cluster.
//
// A subscription is an internal key committed through etcd (keyspace::SubscriptionKey), so
// every node counts it; the confirmation is replied once the key is applied on this node
// (CommandContext::after_commit), and from then on a PUBLISH on any node reaches the client.
// A message rides the publishing command's commit (TxnView::Publish) and is delivered on every
// node in that revision (server/pubsub.h; docs/consistency.md "Pub/Sub").
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "auth/access.h"
#include "commands/context.h"
#include "commands/table.h"
#include "keyspace/messages.h"

namespace petacore::commands {
namespace {

using keyspace::SubscriptionKind;

std::set<std::string>& SetOf(client::Session& s, SubscriptionKind kind) {
  switch (kind) {
    case SubscriptionKind::kPattern: return s.patterns;
    case SubscriptionKind::kShard: return s.shard_channels;
    default: return s.channels;
  }
}

/// The count a (un)subscribe confirmation carries: channels + patterns, or shard channels
/// (as Redis's clientSubscriptionsCount / clientShardSubscriptionsCount).
int64_t CountFor(const client::Session& s, SubscriptionKind kind) {
  if (kind == SubscriptionKind::kShard) return static_cast<int64_t>(s.shard_channels.size());
  return static_cast<int64_t>(s.channels.size() + s.patterns.size());
}

/// One confirmation: a push in RESP3, an array in RESP2, as Redis's addReplyPubsub*.
void Confirm(resp::ReplyWriter& w, std::string_view verb, const std::string* name,
             int64_t count) {
  if (w.protocol() >= 3) {
    w.PushHeader(3);
  } else {
    w.ArrayHeader(3);
  }
  w.Bulk(verb);
  if (name != nullptr) {
    w.Bulk(*name);
  } else {
    w.NullBulk();
  }
  w.Integer(count);
}

std::string_view SubscribeVerb(SubscriptionKind kind) {
  switch (kind) {
    case SubscriptionKind::kPattern: return "psubscribe";
    case SubscriptionKind::kShard: return "ssubscribe";
    default: return "subscribe";
  }
}

std::string_view UnsubscribeVerb(SubscriptionKind kind) {
  switch (kind) {
    case SubscriptionKind::kPattern: return "punsubscribe";
    case SubscriptionKind::kShard: return "sunsubscribe";
    default: return "unsubscribe";
  }
}

// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE name [name ...]: a key per new subscription; the
// session's set and the confirmations follow the commit.
void SubscribeTo(CommandContext& ctx, SubscriptionKind kind) {
  std::vector<std::string> names(ctx.args.begin() + 1, ctx.args.end());
  const auto& set = SetOf(ctx.session, kind);
  std::set<std::string> fresh;
  for (const auto& name : names) {
    if (set.count(name) || !fresh.insert(name).second) continue;
    ctx.txn.Put(keyspace::SubscriptionKey(ctx.server.PubSubProcess(), ctx.session.id, kind, name),
                "");
    // A message of the revision that commits the key may reach the connection before the
    // confirmation: it is held until after it (Connection::QueueMessages).
    ctx.session.pending_subscriptions.insert(static_cast<char>(kind) + name);
  }
  if (!fresh.empty()) ctx.session.pubsub_keys = true;
  auto confirm = [names = std::move(names), kind, &session = ctx.session, &server = ctx.server,
                  epoch = ctx.server.Acl().epoch()](resp::ReplyWriter& w, int64_t) {
    auto& s = SetOf(session, kind);
    for (const auto& name : names) {
      session.pending_subscriptions.erase(static_cast<char>(kind) + name);
      s.insert(name);
      Confirm(w, SubscribeVerb(kind), &name, CountFor(session, kind));
    }
    // An ACL change applied while the subscription committed was checked against the
    // subscriptions before it: check this client again (as the revocation does).
    if (server.Acl().epoch() != epoch && !auth::SubscriptionsAllowed(server.Acl(), session) &&
        session.disconnect) {
      session.disconnect();
    }
  };
  if (fresh.empty() || ctx.after_commit == nullptr) return confirm(ctx.out, 0);  // EXEC: now
  *ctx.after_commit = std::move(confirm);
}

// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE [name ...]: no name = every one of that kind.
void UnsubscribeFrom(CommandContext& ctx, SubscriptionKind kind) {
  std::vector<std::string> names(ctx.args.begin() + 1, ctx.args.end());
  const auto& set = SetOf(ctx.session, kind);
  if (names.empty()) names.assign(set.begin(), set.end());
  bool wrote = false;
  for (const auto& name : names) {
    if (!set.count(name)) continue;
    wrote |= ctx.txn.Delete(
        keyspace::SubscriptionKey(ctx.server.PubSubProcess(), ctx.session.id, kind, name));
  }
  auto confirm = [names = std::move(names), kind, &session = ctx.session](resp::ReplyWriter& w,
                                                                          int64_t) {
    auto& s = SetOf(session, kind);
    if (names.empty()) return Confirm(w, UnsubscribeVerb(kind), nullptr, CountFor(session, kind));
    for (const auto& name : names) {
      s.erase(name);
      Confirm(w, UnsubscribeVerb(kind), &name, CountFor(session, kind));
    }
  };
  if (!wrote || ctx.after_commit == nullptr) return confirm(ctx.out, 0);
  *ctx.after_commit = std::move(confirm);
}

void Subscribe(CommandContext& ctx) { SubscribeTo(ctx, SubscriptionKind::kChannel); }
void PSubscribe(CommandContext& ctx) { SubscribeTo(ctx, SubscriptionKind::kPattern); }
void SSubscribe(CommandContext& ctx) { SubscribeTo(ctx, SubscriptionKind::kShard); }
void Unsubscribe(CommandContext& ctx) { UnsubscribeFrom(ctx, SubscriptionKind::kChannel); }
void PUnsubscribe(CommandContext& ctx) { UnsubscribeFrom(ctx, SubscriptionKind::kPattern); }
void SUnsubscribe(CommandContext& ctx) { UnsubscribeFrom(ctx, SubscriptionKind::kShard); }

// PUBLISH / SPUBLISH channel message: the message rides this command's commit; the reply is
// the number of receivers cluster-wide once it is applied here (inside EXEC: at EXEC's run).
void PublishTo(CommandContext& ctx, bool shard) {
  const std::string_view channel = ctx.args[1], message = ctx.args[2];
  const auto& options = ctx.server.Options();
  if (!options.standalone()) {
    // The message travels in one etcd Txn, bounded by etcd's request size.
    const uint64_t limit = options.etcd_max_request_bytes;
    const uint64_t size = channel.size() + message.size();
    if (size + 1024 > limit) {
      return ctx.out.Error("ERR message too large: " + std::to_string(size) +
                           " bytes of channel and message exceed what one etcd request "
                           "carries (etcd-max-request-bytes " + std::to_string(limit) + ")");
    }
  }
  ctx.txn.Publish(shard ? keyspace::MessageKind::kShard : keyspace::MessageKind::kChannel,
                  channel, message);
  if (ctx.after_commit == nullptr) {
    return ctx.out.Integer(ctx.server.PubSubReceivers(shard, channel, 0));
  }
  ctx.out.Integer(0);  // replaced once the commit is applied
  // Counted as of the message's own revision: the subscribers every node delivers it to.
  *ctx.after_commit = [&server = ctx.server, shard, ch = std::string(channel)](
                          resp::ReplyWriter& w, int64_t revision) {
    w.Integer(server.PubSubReceivers(shard, ch, revision));
  };
}

void Publish(CommandContext& ctx) { PublishTo(ctx, false); }
void SPublish(CommandContext& ctx) { PublishTo(ctx, true); }

// PUBSUB CHANNELS / SHARDCHANNELS [pattern]
void ChannelsOf(CommandContext& ctx, bool shard) {
  if (ctx.args.size() > 3) return ctx.out.Error(ErrWrongArgs(shard ? "pubsub|shardchannels"
                                                                     : "pubsub|channels"));
  std::optional<std::string_view> pattern;
  if (ctx.args.size() == 3) pattern = ctx.args[2];
  auto names = ctx.server.PubSubChannels(shard, pattern);
  ctx.out.ArrayHeader(names.size());
  for (const auto& n : names) ctx.out.Bulk(n);
}

// PUBSUB NUMSUB / SHARDNUMSUB [channel ...]: a flat array [channel, count, ...] in RESP2 and
// in RESP3 alike (Redis 7.0.15 sends no map here).
void NumSubOf(CommandContext& ctx, bool shard) {
  const size_t n = ctx.args.size() - 2;
  ctx.out.ArrayHeader(2 * n);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.out.Bulk(ctx.args[i]);
    ctx.out.Integer(ctx.server.PubSubNumSub(shard, ctx.args[i]));
  }
}

void PubSubChannels(CommandContext& ctx) { ChannelsOf(ctx, false); }
void PubSubShardChannels(CommandContext& ctx) { ChannelsOf(ctx, true); }
void PubSubNumSub(CommandContext& ctx) { NumSubOf(ctx, false); }
void PubSubShardNumSub(CommandContext& ctx) { NumSubOf(ctx, true); }
void PubSubNumPat(CommandContext& ctx) { ctx.out.Integer(ctx.server.PubSubNumPat()); }

void PubSubHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help."};
  ctx.out.ArrayHeader(std::size(kLines));
  for (auto line : kLines) ctx.out.Simple(line);
}

}  // namespace

namespace {

using CA = CommandSpec::ChannelArgs;

// SUBSCRIBE and its kin: they commit through etcd (kInternalWrite, the subscription keys),
// and a RESP2 client in subscribed mode may run them (kSubscribedOk). The shard variants
// name their channels in a key spec that is not a key (kKeyNotKey), as Redis.
CommandSpec Subscription(std::string_view name, int arity, Handler handler, CA channels,
                         bool shard) {
  CommandSpec spec{
      .name = name,
      .arity = arity,
      .flags = kPubSub | kNoScript | kLoading | kStale | kInternalWrite | kSubscribedOk,
      .acl = acl::kPubSub | acl::kSlow,
      .handler = handler,
      .channels = channels};
  if (shard) spec.key_specs = {{.flags = kKeyNotKey, .begin = Index(1), .find = Range(-1, 1, 0)}};
  return spec;
}

// PUBLISH / SPUBLISH: the message rides the command's commit (kInternalWrite).
CommandSpec Publication(std::string_view name, Handler handler, bool shard) {
  CommandSpec spec{.name = name,
                   .arity = 3,
                   .flags = kPubSub | kLoading | kStale | kFast | kInternalWrite | kMayReplicate,
                   .acl = acl::kPubSub | acl::kFast,
                   .handler = handler,
                   .channels = CA::kFirst};
  if (shard) spec.key_specs = {{.flags = kKeyNotKey, .begin = Index(1), .find = Range(0, 1, 0)}};
  return spec;
}

// PUBSUB's introspection subcommands (HELP is not a pub/sub command).
CommandSpec Introspection(std::string_view name, int arity, Handler handler) {
  return {.name = name,
          .arity = arity,
          .flags = kPubSub | kLoading | kStale,
          .acl = acl::kPubSub | acl::kSlow,
          .handler = handler};
}

}  // namespace

void RegisterPubSubFamily(CommandTable& t) {
  t.Add(Subscription("subscribe", -2, Subscribe, CA::kAll, false))
      .Add(Subscription("unsubscribe", -1, Unsubscribe, CA::kNone, false))
      .Add(Subscription("psubscribe", -2, PSubscribe, CA::kAllPatterns, false))
      .Add(Subscription("punsubscribe", -1, PUnsubscribe, CA::kNone, false))
      .Add(Subscription("ssubscribe", -2, SSubscribe, CA::kAll, true))
      .Add(Subscription("sunsubscribe", -1, SUnsubscribe, CA::kNone, true))
      .Add(Publication("publish", Publish, false))
      .Add(Publication("spublish", SPublish, true))
      .Add({.name = "pubsub",
            .arity = -2,
            .flags = 0,
            .acl = acl::kSlow,
            .subcommands = {Introspection("channels", -2, PubSubChannels),
                            {.name = "help",
                             .arity = 2,
                             .flags = kLoading | kStale,
                             .acl = acl::kSlow,
                             .handler = PubSubHelp},
                            Introspection("numpat", 2, PubSubNumPat),
                            Introspection("numsub", -2, PubSubNumSub),
                            Introspection("shardchannels", -2, PubSubShardChannels),
                            Introspection("shardnumsub", -2, PubSubShardNumSub)}});
}

}  // namespace petacore::commands
