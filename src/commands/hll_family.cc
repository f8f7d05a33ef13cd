// hll_family.cc — PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST: Redis 7.0's HyperLogLog
// commands on string keys, with Redis's replies, error texts and keyspace events
// (hyperloglog.c). Parsing and replies only; the HLL operations are keyspace/types/hll.h. An
// HLL is a plain string: PFADD then GET returns Redis's bytes, and a string copied from Redis
// counts the same here.
//
// PFCOUNT of one key stores the count it computed in the header, as Redis (GET afterwards
// returns Redis's bytes): such a call runs on the write path (a Job whose commit carries the
// cache; nothing is committed when the cache was valid). PFCOUNT of several keys is a read.
#include <random>
#include <string>

#include "commands/context.h"
#include "commands/notify.h"
#include "commands/table.h"
#include "keyspace/types/hll.h"
#include "keyspace/types/string.h"

namespace petacore::commands {

namespace {

namespace types = keyspace::types;
namespace hll = keyspace::types::hll;

constexpr std::string_view kErrInvalidHll = "INVALIDOBJ Corrupted HLL object detected";
constexpr std::string_view kErrNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";

size_t SparseMaxBytes(CommandContext& ctx) { return ctx.server.Options().hll_sparse_max_bytes; }

// Reads `key` as an HLL (Redis's lookupKey + isHLLObjectOrReply): false after replying
// WRONGTYPE (not a string, or a string that is not an HLL); *found says whether it exists.
bool ReadHll(CommandContext& ctx, const std::string& key, std::string_view* value, bool* found) {
  auto r = types::ReadString(ctx.txn, key);
  if (r.wrong_type()) {
    ctx.out.Error(kErrWrongType);
    return false;
  }
  *found = !r.missing();
  if (*found && !hll::IsHll(r.value)) {
    ctx.out.Error(kErrNotHll);
    return false;
  }
  *value = r.value;
  return true;
}

// PFADD key [element ...]
void PfAdd(CommandContext& ctx) {
  std::string key = ctx.Key(ctx.args[1]);
  std::string_view current;
  bool found;
  if (!ReadHll(ctx, key, &current, &found)) return;
  std::string value = found ? std::string(current) : hll::NewSparse();
  int updated = found ? 0 : 1;
  size_t max_bytes = SparseMaxBytes(ctx);
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    int r = hll::Add(value, ctx.args[j], max_bytes);
    if (r < 0) {
      // Redis edits the value in place: the registers set before the corrupt part was met
      // stay (with no event), and so they do here.
      if (updated) types::WriteString(ctx.txn, key, value, /*keep_ttl=*/true);
      return ctx.out.Error(kErrInvalidHll);
    }
    updated += r;
  }
  if (updated) {
    hll::InvalidateCache(value);
    bool created = types::WriteString(ctx.txn, key, value, /*keep_ttl=*/true);
    if (created) NotifyNew(ctx, ctx.args[1]);
    ctx.Notify(keyspace::notify::kString, "pfadd", ctx.args[1]);
  }
  ctx.out.Integer(updated ? 1 : 0);
}

// PFCOUNT key [key ...]
void PfCount(CommandContext& ctx) {
  if (ctx.args.size() > 2) {  // the cardinality of the union, nothing written
    hll::Registers max{};
    for (size_t j = 1; j < ctx.args.size(); ++j) {
      std::string_view value;
      bool found;
      if (!ReadHll(ctx, ctx.Key(ctx.args[j]), &value, &found)) return;
      if (!found) continue;
      if (!hll::MergeInto(max, value)) return ctx.out.Error(kErrInvalidHll);
    }
    return ctx.out.Integer(static_cast<int64_t>(hll::CountRegisters(max)));
  }
  std::string key = ctx.Key(ctx.args[1]);
  std::string_view value;
  bool found;
  if (!ReadHll(ctx, key, &value, &found)) return;
  if (!found) return ctx.out.Integer(0);
  if (auto cached = hll::CachedCardinality(value)) {
    return ctx.out.Integer(static_cast<int64_t>(*cached));
  }
  auto card = hll::Count(value);
  if (!card) return ctx.out.Error(kErrInvalidHll);
  // As Redis, the count is cached in the header (no keyspace event). This runs on the write
  // path (kInternalWrite): the cache rides a commit that compares the key's revision.
  std::string cached(value);
  hll::SetCachedCardinality(cached, *card);
  types::WriteString(ctx.txn, key, cached, /*keep_ttl=*/true);
  ctx.out.Integer(static_cast<int64_t>(*card));
}

// CommandSpec::read_only_call of PFCOUNT: several keys only read (the union is not stored).
bool PfCountReadOnlyCall(std::span<const std::string_view> args, keyspace::TxnView&) {
  return args.size() > 2;
}

// PFMERGE destkey [sourcekey ...]: the destination is a source too, as Redis.
void PfMerge(CommandContext& ctx) {
  hll::Registers max{};
  bool use_dense = false;
  std::string dest_value;
  bool dest_found = false;
  for (size_t j = 1; j < ctx.args.size(); ++j) {
    std::string_view value;
    bool found;
    if (!ReadHll(ctx, ctx.Key(ctx.args[j]), &value, &found)) return;
    if (!found) continue;
    if (hll::Encoding(value) == hll::kDense) use_dense = true;
    if (!hll::MergeInto(max, value)) return ctx.out.Error(kErrInvalidHll);
    if (j == 1) {
      dest_value.assign(value);
      dest_found = true;
    }
  }
  std::string key = ctx.Key(ctx.args[1]);
  if (!dest_found) dest_value = hll::NewSparse();  // the destination was read first
  if (use_dense && !hll::ToDense(dest_value)) return ctx.out.Error(kErrInvalidHll);
  size_t max_bytes = SparseMaxBytes(ctx);
  for (int j = 0; j < hll::kRegisters; ++j) {
    if (max[j] == 0) continue;
    hll::SetRegister(dest_value, j, max[j], max_bytes);  // Redis ignores the result here
  }
  hll::InvalidateCache(dest_value);
  bool created = types::WriteString(ctx.txn, key, dest_value, /*keep_ttl=*/true);
  if (created) NotifyNew(ctx, ctx.args[1]);
  ctx.Notify(keyspace::notify::kString, "pfadd", ctx.args[1]);
  ctx.out.Simple("OK");
}

// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
void PfDebug(CommandContext& ctx) {
  std::string_view cmd = ctx.args[1];
  std::string key = ctx.Key(ctx.args[2]);
  std::string_view current;
  bool found;
  if (!ReadHll(ctx, key, &current, &found)) return;
  if (!found) return ctx.out.Error("ERR The specified key does not exist");
  std::string value(current);
  if (EqualsIgnoreCase(cmd, "getreg")) {
    if (hll::Encoding(value) == hll::kSparse) {
      if (!hll::ToDense(value)) return ctx.out.Error(kErrInvalidHll);
      types::WriteString(ctx.txn, key, value, /*keep_ttl=*/true);  // the new encoding is kept
    }
    ctx.out.ArrayHeader(hll::kRegisters);
    for (int j = 0; j < hll::kRegisters; ++j) ctx.out.Integer(hll::DenseRegister(value, j));
  } else if (EqualsIgnoreCase(cmd, "decode")) {
    if (hll::Encoding(value) != hll::kSparse)
      return ctx.out.Error("ERR HLL encoding is not sparse");
    ctx.out.Bulk(hll::DecodeSparse(value));
  } else if (EqualsIgnoreCase(cmd, "encoding")) {
    ctx.out.Simple(hll::Encoding(value) == hll::kDense ? "dense" : "sparse");
  } else if (EqualsIgnoreCase(cmd, "todense")) {
    bool conv = false;
    if (hll::Encoding(value) == hll::kSparse) {
      if (!hll::ToDense(value)) return ctx.out.Error(kErrInvalidHll);
      types::WriteString(ctx.txn, key, value, /*keep_ttl=*/true);
      conv = true;
    }
    ctx.out.Integer(conv ? 1 : 0);
  } else {
    ctx.out.Error("ERR Unknown PFDEBUG subcommand '" + std::string(cmd) + "'");
  }
}

// PFSELFTEST
void PfSelfTest(CommandContext& ctx) {
  std::random_device rd;
  uint64_t seed = (static_cast<uint64_t>(rd()) << 32) | rd();
  std::string failure = hll::SelfTest(SparseMaxBytes(ctx), seed);
  if (!failure.empty()) return ctx.out.Error(failure);
  ctx.out.Simple("OK");
}

}  // namespace

void RegisterHllFamily(CommandTable& t) {
  t.Add({.name = "pfadd",
         .arity = -2,
         .flags = kWrite | kDenyOom | kFast,
         .acl = acl::kWrite | acl::kHyperLogLog | acl::kFast,
         .key_specs = {{.flags = kKeyRW | kKeyInsert, .begin = Index(1), .find = Range(0, 1, 0)}},
         .handler = WithKeyEvents<PfAdd>})
      .Add({.name = "pfcount",
            .arity = -2,
            // kMayReplicate as Redis 7.0 (CLIENT PAUSE WRITE holds it, read-only scripts
            // refuse it); kInternalWrite: one key runs as a Job that may store the cache.
            .flags = kReadOnly | kMayReplicate | kInternalWrite,
            .acl = acl::kRead | acl::kHyperLogLog | acl::kSlow,
            .key_specs = {{.flags = kKeyRW | kKeyAccess,
                           .begin = Index(1),
                           .find = Range(-1, 1, 0),
                           .notes = "RW because it may change the internal representation of the "
                                    "key, and propagate to replicas"}},
            .handler = PfCount,
            .read_only_call = PfCountReadOnlyCall})
      .Add({.name = "pfmerge",
            .arity = -2,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kHyperLogLog | acl::kSlow,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyInsert,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)},
                          {.flags = kKeyRO | kKeyAccess,
                           .begin = Index(2),
                           .find = Range(-1, 1, 0)}},
            .handler = WithKeyEvents<PfMerge>})
      .Add(
          {.name = "pfdebug",
           .arity = 3,
           .flags = kWrite | kDenyOom | kAdmin,
           .acl = acl::kWrite | acl::kHyperLogLog | acl::kAdmin | acl::kSlow | acl::kDangerous,
           .key_specs = {{.flags = kKeyRW | kKeyAccess, .begin = Index(2), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<PfDebug>})
      .Add({.name = "pfselftest",
            .arity = 1,
            .flags = kAdmin,
            .acl = acl::kHyperLogLog | acl::kAdmin | acl::kSlow | acl::kDangerous,
            .handler = PfSelfTest});
}

}  // namespace petacore::commands
