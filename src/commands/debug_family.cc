// debug_family.cc — DEBUG DIGEST and DEBUG DIGEST-REVISION: a fingerprint of the whole key
// space, for checking that nodes converged (the fault tests compare it across nodes).
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "commands/context.h"
#include "commands/table.h"
#include "keyspace/encoding.h"
#include "keyspace/incarnation.h"

namespace petacore::commands {
namespace {

using Digest = std::array<unsigned char, 20>;  // SHA1

/// Redis-style order-independent digest of the key space a view sees: the XOR of
/// SHA1(key length (4 bytes, big endian) | key | value) over every stored key. As Redis's
/// DEBUG DIGEST: 40 hex characters, all zeros for an empty key space, equal on two nodes iff
/// (up to SHA1 collisions) they hold the same keys and values, whatever the order they were
/// written in. The digest is over PetaCore's stored rows (docs/encoding.md), so it is not
/// equal to Redis's digest of the same data. Internal keys (first byte 0xFF) are left out,
/// so an empty Redis key space gives zeros as in Redis — except the elements of a collection
/// with an incarnation, folded in as if under its meta key. Reads one snapshot: O(rows).
std::string KeySpaceDigest(keyspace::TxnView& view) {
  Digest total{};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  auto fold = [&](std::string_view key, std::string_view suffix, std::string_view value) {
    EVP_DigestInit_ex(sha.get(), EVP_sha1(), nullptr);
    const auto n = static_cast<uint32_t>(key.size() + suffix.size());
    const unsigned char len[4] = {
        static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
        static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
    EVP_DigestUpdate(sha.get(), len, sizeof(len));
    EVP_DigestUpdate(sha.get(), key.data(), key.size());
    EVP_DigestUpdate(sha.get(), suffix.data(), suffix.size());
    EVP_DigestUpdate(sha.get(), value.data(), value.size());
    Digest d;
    EVP_DigestFinal_ex(sha.get(), d.data(), nullptr);
    for (size_t i = 0; i < d.size(); ++i) total[i] ^= d[i];
  };
  // Collections with an incarnation (keyspace/incarnation.h): their elements count as if they
  // sat under the meta key, so the digest does not depend on where they live.
  std::vector<std::pair<std::string, std::string>> moved;  // meta key, element base
  view.Range("", "", [&](std::string_view key, std::string_view value) {
    if (!key.empty() && static_cast<unsigned char>(key[0]) == 0xFF) return true;
    fold(key, {}, value);
    if (auto v = keyspace::DecodeValue(value); v && !v->incarnation.empty() &&
                                               keyspace::MetaKeyOf(key).size() == key.size()) {
      moved.emplace_back(key, keyspace::ElementBase(key, *v));
    }
    return true;
  });
  for (const auto& m : moved) {
    const std::string& meta = m.first;  // not bindings: clang 14 cannot capture those
    const std::string& base = m.second;
    const std::string end = keyspace::ElementsEnd(base);
    view.Range(base, end, [&](std::string_view key, std::string_view value) {
      if (key.size() > base.size() && !keyspace::IsIncarnationMarker(key, base.size())) {
        fold(meta, key.substr(base.size()), value);
      }
      return true;
    });
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * total.size());
  for (unsigned char b : total) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return hex;
}

// DEBUG DIGEST               -> the digest (as Redis's DEBUG DIGEST).
// DEBUG DIGEST-REVISION      -> [the etcd revision the node's snapshot is at, the digest of
//                               that same snapshot] (PetaCore's own subcommand).
// Other subcommands answer Redis's DEBUG error.
void Debug(CommandContext& ctx) {
  auto sub = ctx.args[1];
  if (ctx.args.size() == 2 && EqualsIgnoreCase(sub, "digest")) {
    return ctx.out.Bulk(KeySpaceDigest(ctx.txn));
  }
  if (ctx.args.size() == 2 && EqualsIgnoreCase(sub, "digest-revision")) {
    ctx.out.ArrayHeader(2);
    ctx.out.Integer(ctx.txn.revision());
    return ctx.out.Bulk(KeySpaceDigest(ctx.txn));
  }
  ctx.out.Error(ErrSubcommandSyntax(sub, "DEBUG"));
}

}  // namespace

void RegisterDebugFamily(CommandTable& t) {
  t.Add({.name = "debug",
         .arity = -2,
         .flags = kAdmin | kNoScript | kLoading | kStale,
         .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
         .handler = Debug});
}

}  // namespace petacore::commands
