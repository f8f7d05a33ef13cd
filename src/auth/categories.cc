// categories.cc — Redis 7.0's ACL categories of the commands PetaCore implements, and the
// permission units built from the command table.
#include "auth/categories.h"

#include <cctype>
#include <map>
#include <mutex>
#include <unordered_map>

#include "commands/table.h"

namespace petacore::auth {
namespace {

constexpr std::string_view kCategoryNames[] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting",
};

// The categories Redis 7.0.15 reports (COMMAND INFO, field 7) for each command and subcommand
// PetaCore implements. A command missing here (added later) gets the ones Redis derives from
// its flags (ImplicitCategories); tests/integration/test_acl.py compares ACL CAT with Redis.
struct Entry {
  std::string_view name;
  uint32_t categories;
};
constexpr Entry kCategories[] = {
    {"acl", kSlow},
    {"acl|cat", kSlow},
    {"acl|deluser", kAdmin | kSlow | kDangerous},
    {"acl|dryrun", kAdmin | kSlow | kDangerous},
    {"acl|genpass", kSlow},
    {"acl|getuser", kAdmin | kSlow | kDangerous},
    {"acl|help", kSlow},
    {"acl|list", kAdmin | kSlow | kDangerous},
    {"acl|setuser", kAdmin | kSlow | kDangerous},
    {"acl|users", kAdmin | kSlow | kDangerous},
    {"acl|whoami", kSlow},
    {"append", kWrite | kString | kFast},
    {"auth", kFast | kConnection},
    {"blmove", kWrite | kList | kSlow | kBlocking},
    {"blpop", kWrite | kList | kSlow | kBlocking},
    {"brpop", kWrite | kList | kSlow | kBlocking},
    {"brpoplpush", kWrite | kList | kSlow | kBlocking},
    {"bzpopmax", kWrite | kSortedSet | kFast | kBlocking},
    {"bzpopmin", kWrite | kSortedSet | kFast | kBlocking},
    {"client", kSlow},
    {"client|getname", kSlow | kConnection},
    {"client|id", kSlow | kConnection},
    {"client|info", kSlow | kConnection},
    {"client|list", kAdmin | kSlow | kDangerous | kConnection},
    {"client|setname", kSlow | kConnection},
    {"command", kSlow | kConnection},
    {"command|count", kSlow | kConnection},
    {"command|docs", kSlow | kConnection},
    {"command|info", kSlow | kConnection},
    {"command|list", kSlow | kConnection},
    {"config", kSlow},
    {"config|get", kAdmin | kSlow | kDangerous},
    {"config|help", kSlow},
    {"config|resetstat", kAdmin | kSlow | kDangerous},
    {"config|rewrite", kAdmin | kSlow | kDangerous},
    {"config|set", kAdmin | kSlow | kDangerous},
    {"copy", kKeyspace | kWrite | kSlow},
    {"dbsize", kKeyspace | kRead | kFast},
    {"debug", kAdmin | kSlow | kDangerous},
    {"decr", kWrite | kString | kFast},
    {"decrby", kWrite | kString | kFast},
    {"del", kKeyspace | kWrite | kSlow},
    {"discard", kFast | kTransaction},
    {"echo", kFast | kConnection},
    {"exec", kSlow | kTransaction},
    {"exists", kKeyspace | kRead | kFast},
    {"expire", kKeyspace | kWrite | kFast},
    {"expireat", kKeyspace | kWrite | kFast},
    {"expiretime", kKeyspace | kRead | kFast},
    {"flushall", kKeyspace | kWrite | kSlow | kDangerous},
    {"flushdb", kKeyspace | kWrite | kSlow | kDangerous},
    {"get", kRead | kString | kFast},
    {"getdel", kWrite | kString | kFast},
    {"getex", kWrite | kString | kFast},
    {"getrange", kRead | kString | kSlow},
    {"getset", kWrite | kString | kFast},
    {"hdel", kWrite | kHash | kFast},
    {"hello", kFast | kConnection},
    {"hexists", kRead | kHash | kFast},
    {"hget", kRead | kHash | kFast},
    {"hgetall", kRead | kHash | kSlow},
    {"hincrby", kWrite | kHash | kFast},
    {"hincrbyfloat", kWrite | kHash | kFast},
    {"hkeys", kRead | kHash | kSlow},
    {"hlen", kRead | kHash | kFast},
    {"hmget", kRead | kHash | kFast},
    {"hmset", kWrite | kHash | kFast},
    {"hrandfield", kRead | kHash | kSlow},
    {"hscan", kRead | kHash | kSlow},
    {"hset", kWrite | kHash | kFast},
    {"hsetnx", kWrite | kHash | kFast},
    {"hstrlen", kRead | kHash | kFast},
    {"hvals", kRead | kHash | kSlow},
    {"incr", kWrite | kString | kFast},
    {"incrby", kWrite | kString | kFast},
    {"incrbyfloat", kWrite | kString | kFast},
    {"info", kSlow | kDangerous},
    {"keys", kKeyspace | kRead | kSlow | kDangerous},
    {"lindex", kRead | kList | kSlow},
    {"linsert", kWrite | kList | kSlow},
    {"llen", kRead | kList | kFast},
    {"lmove", kWrite | kList | kSlow},
    {"lpop", kWrite | kList | kFast},
    {"lpos", kRead | kList | kSlow},
    {"lpush", kWrite | kList | kFast},
    {"lpushx", kWrite | kList | kFast},
    {"lrange", kRead | kList | kSlow},
    {"lrem", kWrite | kList | kSlow},
    {"lset", kWrite | kList | kSlow},
    {"ltrim", kWrite | kList | kSlow},
    {"mget", kRead | kString | kFast},
    {"move", kKeyspace | kWrite | kFast},
    {"mset", kWrite | kString | kSlow},
    {"msetnx", kWrite | kString | kSlow},
    {"multi", kFast | kTransaction},
    {"object", kSlow},
    {"object|encoding", kKeyspace | kRead | kSlow},
    {"object|freq", kKeyspace | kRead | kSlow},
    {"object|help", kKeyspace | kSlow},
    {"object|idletime", kKeyspace | kRead | kSlow},
    {"object|refcount", kKeyspace | kRead | kSlow},
    {"persist", kKeyspace | kWrite | kFast},
    {"pexpire", kKeyspace | kWrite | kFast},
    {"pexpireat", kKeyspace | kWrite | kFast},
    {"pexpiretime", kKeyspace | kRead | kFast},
    // PetaCore's own container command (PETACORE READCONSISTENCY sets a connection mode).
    {"petacore", kFast | kConnection},
    {"ping", kFast | kConnection},
    {"psetex", kWrite | kString | kSlow},
    {"pttl", kKeyspace | kRead | kFast},
    {"quit", kFast | kConnection},
    {"randomkey", kKeyspace | kRead | kSlow},
    {"rename", kKeyspace | kWrite | kSlow},
    {"renamenx", kKeyspace | kWrite | kFast},
    {"rpop", kWrite | kList | kFast},
    {"rpoplpush", kWrite | kList | kSlow},
    {"rpush", kWrite | kList | kFast},
    {"rpushx", kWrite | kList | kFast},
    {"sadd", kWrite | kSet | kFast},
    {"scan", kKeyspace | kRead | kSlow},
    {"scard", kRead | kSet | kFast},
    {"sdiff", kRead | kSet | kSlow},
    {"sdiffstore", kWrite | kSet | kSlow},
    {"select", kFast | kConnection},
    {"set", kWrite | kString | kSlow},
    {"setex", kWrite | kString | kSlow},
    {"setnx", kWrite | kString | kFast},
    {"setrange", kWrite | kString | kSlow},
    {"sinter", kRead | kSet | kSlow},
    {"sintercard", kRead | kSet | kSlow},
    {"sinterstore", kWrite | kSet | kSlow},
    {"sismember", kRead | kSet | kFast},
    {"smembers", kRead | kSet | kSlow},
    {"smismember", kRead | kSet | kFast},
    {"smove", kWrite | kSet | kFast},
    {"spop", kWrite | kSet | kFast},
    {"srandmember", kRead | kSet | kSlow},
    {"srem", kWrite | kSet | kFast},
    {"sscan", kRead | kSet | kSlow},
    {"strlen", kRead | kString | kFast},
    {"substr", kRead | kString | kSlow},
    {"sunion", kRead | kSet | kSlow},
    {"sunionstore", kWrite | kSet | kSlow},
    {"swapdb", kKeyspace | kWrite | kFast | kDangerous},
    {"time", kFast},
    {"ttl", kKeyspace | kRead | kFast},
    {"type", kKeyspace | kRead | kFast},
    {"unlink", kKeyspace | kWrite | kFast},
    {"unwatch", kFast | kTransaction},
    {"watch", kFast | kTransaction},
    {"zadd", kWrite | kSortedSet | kFast},
    {"zcard", kRead | kSortedSet | kFast},
    {"zcount", kRead | kSortedSet | kFast},
    {"zdiff", kRead | kSortedSet | kSlow},
    {"zdiffstore", kWrite | kSortedSet | kSlow},
    {"zincrby", kWrite | kSortedSet | kFast},
    {"zinter", kRead | kSortedSet | kSlow},
    {"zinterstore", kWrite | kSortedSet | kSlow},
    {"zlexcount", kRead | kSortedSet | kFast},
    {"zmscore", kRead | kSortedSet | kFast},
    {"zpopmax", kWrite | kSortedSet | kFast},
    {"zpopmin", kWrite | kSortedSet | kFast},
    {"zrange", kRead | kSortedSet | kSlow},
    {"zrangebylex", kRead | kSortedSet | kSlow},
    {"zrangebyscore", kRead | kSortedSet | kSlow},
    {"zrangestore", kWrite | kSortedSet | kSlow},
    {"zrank", kRead | kSortedSet | kFast},
    {"zrem", kWrite | kSortedSet | kFast},
    {"zremrangebylex", kWrite | kSortedSet | kSlow},
    {"zremrangebyrank", kWrite | kSortedSet | kSlow},
    {"zremrangebyscore", kWrite | kSortedSet | kSlow},
    {"zrevrange", kRead | kSortedSet | kSlow},
    {"zrevrangebylex", kRead | kSortedSet | kSlow},
    {"zrevrangebyscore", kRead | kSortedSet | kSlow},
    {"zrevrank", kRead | kSortedSet | kFast},
    {"zscan", kRead | kSortedSet | kSlow},
    {"zscore", kRead | kSortedSet | kFast},
    {"zunion", kRead | kSortedSet | kSlow},
    {"zunionstore", kWrite | kSortedSet | kSlow},
};

// The subcommands of container commands, as Redis 7.0 names them (those PetaCore implements).
const std::map<std::string_view, std::vector<std::string_view>>& Subcommands() {
  static const std::map<std::string_view, std::vector<std::string_view>> subs = {
      {"acl",
       {"cat", "deluser", "dryrun", "genpass", "getuser", "help", "list", "setuser", "users",
        "whoami"}},
      {"client", {"getname", "id", "info", "list", "setinfo", "setname"}},
      {"command", {"count", "docs", "info", "list"}},
      {"config", {"get", "resetstat"}},
      {"object", {"encoding", "freq", "help", "idletime", "refcount"}},
  };
  return subs;
}

// As Redis's setImplicitACLCategories: categories that follow from the command flags.
uint32_t ImplicitCategories(uint32_t flags) {
  uint32_t c = 0;
  if (flags & commands::kWrite) c |= kWrite;
  if (flags & commands::kReadOnly) c |= kRead;
  if (flags & commands::kAdmin) c |= kAdmin | kDangerous;
  if (flags & commands::kFast) c |= kFast;
  if (flags & commands::kBlocking) c |= kBlocking;
  if (!(c & kFast)) c |= kSlow;
  return c;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

struct UnitTable {
  std::vector<Unit> units;
  std::unordered_map<std::string, int> index;
  std::vector<std::vector<int>> subs;  // per unit
};

const UnitTable& TheUnits() {
  static const UnitTable table = [] {
    std::unordered_map<std::string_view, uint32_t> known;
    for (const auto& e : kCategories) known[e.name] = e.categories;
    auto categories = [&](const std::string& name, uint32_t flags) {
      auto it = known.find(name);
      return it != known.end() ? it->second : ImplicitCategories(flags);
    };
    UnitTable t;
    auto add = [&](Unit u) {
      t.index[u.name] = static_cast<int>(t.units.size());
      t.units.push_back(std::move(u));
      t.subs.emplace_back();
    };
    for (const auto& spec : commands::Table().all()) {
      std::string name(spec.name);
      int parent = static_cast<int>(t.units.size());
      add({name, &spec, -1, categories(name, spec.flags)});
      auto it = Subcommands().find(spec.name);
      if (it == Subcommands().end()) continue;
      for (auto sub : it->second) {
        std::string full = name + "|" + std::string(sub);
        t.subs[parent].push_back(static_cast<int>(t.units.size()));
        add({full, &spec, parent, categories(full, spec.flags)});
      }
    }
    return t;
  }();
  return table;
}

}  // namespace

std::span<const std::string_view> CategoryNames() { return kCategoryNames; }

uint32_t CategoryByName(std::string_view name) {
  std::string lower = Lower(name);
  for (size_t i = 0; i < std::size(kCategoryNames); ++i) {
    if (kCategoryNames[i] == lower) return 1u << i;
  }
  return 0;
}

const std::vector<Unit>& Units() { return TheUnits().units; }

int FindUnit(std::string_view name) {
  const auto& t = TheUnits();
  auto it = t.index.find(Lower(name));
  return it == t.index.end() ? -1 : it->second;
}

int UnitOf(const commands::CommandSpec& spec, std::span<const std::string_view> args) {
  const auto& t = TheUnits();
  auto it = t.index.find(std::string(spec.name));
  if (it == t.index.end()) return -1;
  int unit = it->second;
  if (args.size() >= 2 && !t.subs[unit].empty()) {
    std::string full = std::string(spec.name) + "|" + Lower(args[1]);
    if (auto sub = t.index.find(full); sub != t.index.end()) return sub->second;
  }
  return unit;
}

std::span<const int> SubUnits(int unit) { return TheUnits().subs[unit]; }

}  // namespace petacore::auth
