// geo_family.cc — GEOADD, GEOPOS, GEOHASH, GEODIST: Redis 7.0's geo commands on sorted sets
// (geo.c), with its replies and error texts. A point is a sorted-set member whose score is the
// 52-bit geohash (keyspace/types/geohash.h does the math; keyspace/types/zset.h the storage),
// so ZRANGE WITHSCORES shows the same scores as Redis. The searches (GEORADIUS*, GEOSEARCH*)
// are geo_search_family.cc, registered from here.
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/geo_util.h"
#include "commands/key_access.h"
#include "commands/notify.h"
#include "commands/table.h"
#include "keyspace/types/geohash.h"
#include "keyspace/types/zset.h"

namespace petacore::commands {

void RegisterGeoSearchFamily(CommandTable& t);  // geo_search_family.cc

namespace {

using keyspace::ValueType;
namespace types = keyspace::types;
namespace geo = keyspace::types::geo;

// GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]
void GeoAdd(CommandContext& ctx) {
  bool nx = false, xx = false, ch = false;
  size_t longidx = 2;
  for (; longidx < ctx.args.size(); ++longidx) {
    auto opt = ctx.args[longidx];
    if (EqualsIgnoreCase(opt, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(opt, "ch")) {
      ch = true;
    } else {
      break;
    }
  }
  size_t rest = ctx.args.size() - longidx;
  // Redis hands an empty list on to ZADD, which replies the same syntax error.
  if (rest % 3 != 0 || (xx && nx) || rest == 0) return ctx.out.Error(kErrSyntax);
  size_t n = rest / 3;
  std::vector<double> scores(n);
  std::vector<std::string_view> members(n);
  for (size_t i = 0; i < n; ++i) {
    double lon, lat;
    if (!geoutil::LonLatOrReply(ctx, longidx + i * 3, &lon, &lat)) return;
    scores[i] = geo::ScoreOf(lon, lat);
    members[i] = ctx.args[longidx + i * 3 + 2];
  }
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  auto r = types::ZSetAdd(ctx.txn, key, {.nx = nx, .xx = xx}, scores, members);
  if (r.added + r.updated > 0) {  // ZADD's events: GEOADD runs zaddCommand
    if (key.missing()) NotifyNew(ctx, ctx.args[1]);
    ctx.Notify(keyspace::notify::kZSet, "zadd", ctx.args[1]);
  }
  ctx.out.Integer(ch ? r.added + r.updated : r.added);
}

// GEOPOS key [member ...]
void GeoPos(CommandContext& ctx) {
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.ArrayHeader(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    std::optional<double> score;
    if (!key.missing()) score = types::ZSetScore(ctx.txn, key.elements, ctx.args[j]);
    double lon, lat;
    if (!score || !geo::DecodeScore(*score, &lon, &lat)) {
      ctx.out.NullArray();
      continue;
    }
    ctx.out.ArrayHeader(2);
    geoutil::ReplyHumanDouble(ctx, lon);
    geoutil::ReplyHumanDouble(ctx, lat);
  }
}

// GEOHASH key [member ...]
void GeoHash(CommandContext& ctx) {
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.ArrayHeader(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    std::optional<double> score;
    if (!key.missing()) score = types::ZSetScore(ctx.txn, key.elements, ctx.args[j]);
    std::string hash = score ? geo::HashString(*score) : "";
    if (hash.empty()) {
      ctx.out.NullBulk();
    } else {
      ctx.out.Bulk(hash);
    }
  }
}

// GEODIST key member1 member2 [M|KM|FT|MI]
void GeoDist(CommandContext& ctx) {
  double to_meters = 1;
  if (ctx.args.size() == 5) {
    if (!geoutil::UnitOrReply(ctx, ctx.args[4], &to_meters)) return;
  } else if (ctx.args.size() > 5) {
    return ctx.out.Error(kErrSyntax);
  }
  auto key = ReadKey(ctx, ctx.args[1], ValueType::kZSet);
  if (key.missing()) return ctx.out.NullBulk();
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  auto s1 = types::ZSetScore(ctx.txn, key.elements, ctx.args[2]);
  auto s2 = s1 ? types::ZSetScore(ctx.txn, key.elements, ctx.args[3]) : std::nullopt;
  double xy[4];
  if (!s1 || !s2 || !geo::DecodeScore(*s1, &xy[0], &xy[1]) ||
      !geo::DecodeScore(*s2, &xy[2], &xy[3])) {
    return ctx.out.NullBulk();
  }
  ctx.out.Bulk(geo::DistanceString(geo::Distance(xy[0], xy[1], xy[2], xy[3]) / to_meters));
}

}  // namespace

void RegisterGeoFamily(CommandTable& t) {
  constexpr auto kOneKey = [](uint32_t flags) {
    return KeySpec{.flags = flags, .begin = Index(1), .find = Range(0, 1, 0)};
  };
  t.Add({.name = "geoadd",
         .arity = -5,
         .flags = kWrite | kDenyOom,
         .acl = acl::kWrite | acl::kGeo | acl::kSlow,
         .key_specs = {kOneKey(kKeyRW | kKeyUpdate)},
         .handler = WithKeyEvents<GeoAdd>})
      .Add({.name = "geodist",
            .arity = -4,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kGeo | acl::kSlow,
            .key_specs = {kOneKey(kKeyRO | kKeyAccess)},
            .handler = GeoDist})
      .Add({.name = "geohash",
            .arity = -2,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kGeo | acl::kSlow,
            .key_specs = {kOneKey(kKeyRO | kKeyAccess)},
            .handler = GeoHash})
      .Add({.name = "geopos",
            .arity = -2,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kGeo | acl::kSlow,
            .key_specs = {kOneKey(kKeyRO | kKeyAccess)},
            .handler = GeoPos});
  RegisterGeoSearchFamily(t);
}

}  // namespace petacore::commands
