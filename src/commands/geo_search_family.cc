// geo_search_family.cc — GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms), GEOSEARCH,
// GEOSEARCHSTORE: Redis 7.0's georadiusGeneric (geo.c). The search scans the sorted set's
// score index over the score intervals of the 3x3 geohash boxes Redis picks (geohash.h's
// SearchBoxes), box by box in Redis's order, so COUNT ANY stops on the same members; results
// are sorted with Redis's (partial) sort so equal distances come out in Redis's order.
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/geo_util.h"
#include "commands/key_access.h"
#include "commands/notify.h"
#include "commands/table.h"
#include "keyspace/encoding.h"
#include "keyspace/types/geohash.h"
#include "keyspace/types/zset.h"

namespace petacore::commands {

void RegisterGeoSearchFamily(CommandTable& t);

namespace {

using keyspace::ValueType;
namespace types = keyspace::types;
namespace geo = keyspace::types::geo;

enum SearchFlags : int {
  kByCoords = 1 << 0,     // GEORADIUS: around longitude latitude
  kByMember = 1 << 1,     // GEORADIUSBYMEMBER: around a member
  kNoStore = 1 << 2,      // the _RO forms: no STORE / STOREDIST
  kSearch = 1 << 3,       // GEOSEARCH's argument syntax
  kSearchStore = 1 << 4,  // GEOSEARCHSTORE: args[1] is the destination
};

// extractDistanceOrReply: "<radius> <unit>" at args[i].
bool DistanceOrReply(CommandContext& ctx, size_t i, geo::Shape* shape) {
  double d;
  if (!zset::ParseScore(ctx.args[i], &d)) {
    ctx.out.Error("ERR need numeric radius");
    return false;
  }
  if (d < 0) {
    ctx.out.Error("ERR radius cannot be negative");
    return false;
  }
  shape->radius = d;
  return geoutil::UnitOrReply(ctx, ctx.args[i + 1], &shape->conversion);
}

// extractBoxOrReply: "<width> <height> <unit>" at args[i].
bool BoxOrReply(CommandContext& ctx, size_t i, geo::Shape* shape) {
  double w, h;
  if (!zset::ParseScore(ctx.args[i], &w)) {
    ctx.out.Error("ERR need numeric width");
    return false;
  }
  if (!zset::ParseScore(ctx.args[i + 1], &h)) {
    ctx.out.Error("ERR need numeric height");
    return false;
  }
  if (h < 0 || w < 0) {
    ctx.out.Error("ERR height or width cannot be negative");
    return false;
  }
  shape->width = w;
  shape->height = h;
  return geoutil::UnitOrReply(ctx, ctx.args[i + 2], &shape->conversion);
}

// longLatFromMember: the position of `member`; false after replying Redis's error.
bool MemberPosOrReply(CommandContext& ctx, const types::KeyRead& key, std::string_view member,
                      geo::Shape* shape) {
  auto score = types::ZSetScore(ctx.txn, key.elements, member);
  if (!score || !geo::DecodeScore(*score, &shape->lon, &shape->lat)) {
    ctx.out.Error("ERR could not decode requested zset member");
    return false;
  }
  return true;
}

// geoGetPointsInRange over the whole 3x3 cover (membersOfAllNeighbors): the members inside
// `shape`, box by box, each box in (score, member) order; with `limit` > 0 it stops once it
// has that many.
// `meta`: where the set's subkeys live (KeyRead::elements).
std::vector<geo::Point> PointsInShape(CommandContext& ctx, const std::string& meta,
                                      const geo::Shape& shape, size_t limit) {
  std::vector<geo::Point> out;
  size_t prefix = keyspace::SubKeyStart(meta, keyspace::kZSetScoreTag).size();
  for (const auto& box : geo::SearchBoxes(shape)) {
    if (box.zero()) continue;
    if (!out.empty() && limit && out.size() >= limit) break;
    double min, max;
    geo::ScoresOfBox(box, &min, &max);
    std::string start = keyspace::SubKey(meta, keyspace::kZSetScoreTag, keyspace::SortableDouble(min));
    std::string end = keyspace::SubKey(meta, keyspace::kZSetScoreTag, keyspace::SortableDouble(max));
    ctx.txn.Range(start, end, [&](std::string_view k, std::string_view) {
      if (k.size() < prefix + 8) return true;
      std::string_view elem = k.substr(prefix);
      double score = keyspace::DecodeSortableDouble(elem.substr(0, 8));
      geo::Point p;
      if (geo::WithinShape(shape, score, &p.lon, &p.lat, &p.dist)) {
        p.score = score;
        p.member = std::string(elem.substr(8));
        out.push_back(std::move(p));
      }
      return !(limit && out.size() >= limit);
    });
  }
  return out;
}

void SearchGeneric(CommandContext& ctx, size_t src, int flags) {
  auto key = ReadKey(ctx, ctx.args[src], ValueType::kZSet);
  if (key.wrong_type()) return ctx.out.Error(kErrWrongType);
  bool missing = key.missing();

  std::optional<std::string_view> storekey;
  bool storedist = false;
  geo::Shape shape;
  size_t base;
  if (flags & kByCoords) {
    base = 6;
    shape.kind = geo::Shape::kCircle;
    if (!geoutil::LonLatOrReply(ctx, 2, &shape.lon, &shape.lat)) return;
    if (!DistanceOrReply(ctx, base - 2, &shape)) return;
  } else if (flags & kByMember) {
    base = 5;
    if (!missing) {  // without a key Redis only parses the options
      shape.kind = geo::Shape::kCircle;
      if (!MemberPosOrReply(ctx, key, ctx.args[2], &shape)) return;
      if (!DistanceOrReply(ctx, base - 2, &shape)) return;
    }
  } else {
    base = 2;
    if (flags & kSearchStore) {
      base = 3;
      storekey = ctx.args[1];
    }
  }

  bool withdist = false, withhash = false, withcoords = false;
  bool frommember = false, fromloc = false, byradius = false, bybox = false;
  enum { kSortNone, kSortAsc, kSortDesc } sort = kSortNone;
  bool any = false;
  int64_t count = 0;
  size_t remaining = ctx.args.size() > base ? ctx.args.size() - base : 0;
  for (size_t i = 0; i < remaining; ++i) {
    auto arg = ctx.args[base + i];
    bool search = flags & kSearch;
    bool can_store = !(flags & kNoStore) && !search;
    if (EqualsIgnoreCase(arg, "withdist")) {
      withdist = true;
    } else if (EqualsIgnoreCase(arg, "withhash")) {
      withhash = true;
    } else if (EqualsIgnoreCase(arg, "withcoord")) {
      withcoords = true;
    } else if (EqualsIgnoreCase(arg, "any")) {
      any = true;
    } else if (EqualsIgnoreCase(arg, "asc")) {
      sort = kSortAsc;
    } else if (EqualsIgnoreCase(arg, "desc")) {
      sort = kSortDesc;
    } else if (EqualsIgnoreCase(arg, "count") && i + 1 < remaining) {
      if (!ParseInt64(ctx.args[base + i + 1], &count)) return ctx.out.Error(kErrNotInteger);
      if (count <= 0) return ctx.out.Error("ERR COUNT must be > 0");
      i++;
    } else if (EqualsIgnoreCase(arg, "store") && i + 1 < remaining && can_store) {
      storekey = ctx.args[base + i + 1];
      storedist = false;
      i++;
    } else if (EqualsIgnoreCase(arg, "storedist") && i + 1 < remaining && can_store) {
      storekey = ctx.args[base + i + 1];
      storedist = true;
      i++;
    } else if (EqualsIgnoreCase(arg, "storedist") && search && (flags & kSearchStore)) {
      storedist = true;
    } else if (EqualsIgnoreCase(arg, "frommember") && i + 1 < remaining && search && !fromloc) {
      if (!missing && !MemberPosOrReply(ctx, key, ctx.args[base + i + 1], &shape)) return;
      frommember = true;
      i++;
    } else if (EqualsIgnoreCase(arg, "fromlonlat") && i + 2 < remaining && search &&
               !frommember) {
      if (!geoutil::LonLatOrReply(ctx, base + i + 1, &shape.lon, &shape.lat)) return;
      fromloc = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "byradius") && i + 2 < remaining && search && !bybox) {
      if (!DistanceOrReply(ctx, base + i + 1, &shape)) return;
      shape.kind = geo::Shape::kCircle;
      byradius = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "bybox") && i + 3 < remaining && search && !byradius) {
      if (!BoxOrReply(ctx, base + i + 1, &shape)) return;
      shape.kind = geo::Shape::kBox;
      bybox = true;
      i += 3;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }

  if (storekey && (withdist || withhash || withcoords)) {
    return ctx.out.Error(std::string("ERR ") +
                         ((flags & kSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
                         " is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
  }
  if ((flags & kSearch) && !(frommember || fromloc)) {
    return ctx.out.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " +
                         std::string(ctx.args[0]));
  }
  if ((flags & kSearch) && !(byradius || bybox)) {
    return ctx.out.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " +
                         std::string(ctx.args[0]));
  }
  if (any && !count) return ctx.out.Error("ERR the ANY argument requires COUNT argument");

  std::string dst;
  bool existed = false;
  if (storekey) {
    dst = ctx.Key(*storekey);
    existed = ctx.txn.Get(dst).has_value();
  }
  if (missing) {
    if (!storekey) return ctx.out.ArrayHeader(0);
    if (existed) {
      types::DeleteKey(ctx.txn, dst);
      NotifyDel(ctx, *storekey);
    }
    return ctx.out.Integer(0);
  }

  if (count != 0 && sort == kSortNone && !any) sort = kSortAsc;
  auto points = PointsInShape(ctx, key.elements, shape, any ? static_cast<size_t>(count) : 0);
  if (points.empty() && !storekey) return ctx.out.ArrayHeader(0);

  size_t returned = (count == 0 || points.size() < static_cast<uint64_t>(count))
                        ? points.size()
                        : static_cast<size_t>(count);
  if (sort != kSortNone) geo::SortPoints(points, sort == kSortDesc, returned);

  if (!storekey) {
    size_t options = (withdist ? 1 : 0) + (withcoords ? 1 : 0) + (withhash ? 1 : 0);
    ctx.out.ArrayHeader(returned);
    for (size_t i = 0; i < returned; ++i) {
      const auto& p = points[i];
      if (options) ctx.out.ArrayHeader(options + 1);
      ctx.out.Bulk(p.member);
      if (withdist) ctx.out.Bulk(geo::DistanceString(p.dist / shape.conversion));
      if (withhash) ctx.out.Integer(static_cast<int64_t>(p.score));
      if (withcoords) {
        ctx.out.ArrayHeader(2);
        geoutil::ReplyHumanDouble(ctx, p.lon);
        geoutil::ReplyHumanDouble(ctx, p.lat);
      }
    }
    return;
  }
  std::vector<types::ZEntry> entries;
  entries.reserve(returned);
  for (size_t i = 0; i < returned; ++i) {
    auto& p = points[i];
    entries.push_back({std::move(p.member), storedist ? p.dist / shape.conversion : p.score});
  }
  types::ZSetStore(ctx.txn, dst, entries);
  NotifyStore(ctx, keyspace::notify::kZSet,
              (flags & kSearch) ? "geosearchstore" : "georadiusstore", *storekey, existed,
              !entries.empty());
  ctx.out.Integer(static_cast<int64_t>(returned));
}

void GeoRadius(CommandContext& ctx) { SearchGeneric(ctx, 1, kByCoords); }
void GeoRadiusByMember(CommandContext& ctx) { SearchGeneric(ctx, 1, kByMember); }
void GeoRadiusRo(CommandContext& ctx) { SearchGeneric(ctx, 1, kByCoords | kNoStore); }
void GeoRadiusByMemberRo(CommandContext& ctx) { SearchGeneric(ctx, 1, kByMember | kNoStore); }
void GeoSearch(CommandContext& ctx) { SearchGeneric(ctx, 1, kSearch); }
void GeoSearchStore(CommandContext& ctx) { SearchGeneric(ctx, 2, kSearch | kSearchStore); }

}  // namespace

void RegisterGeoSearchFamily(CommandTable& t) {
  constexpr auto kSrc = [](int index) {
    return KeySpec{.flags = kKeyRO | kKeyAccess, .begin = Index(index), .find = Range(0, 1, 0)};
  };
  constexpr auto kStore = [](std::string_view keyword, int from) {
    return KeySpec{.flags = kKeyOW | kKeyUpdate,
                   .begin = Keyword(keyword, from),
                   .find = Range(0, 1, 0)};
  };
  t.Add({.name = "georadius",
         .arity = -6,
         .flags = kWrite | kDenyOom,
         .acl = acl::kWrite | acl::kGeo | acl::kSlow,
         .key_specs = {kSrc(1), kStore("STORE", 6), kStore("STOREDIST", 6)},
         .handler = WithKeyEvents<GeoRadius>})
      .Add({.name = "georadius_ro",
            .arity = -6,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kGeo | acl::kSlow,
            .key_specs = {kSrc(1)},
            .handler = GeoRadiusRo})
      .Add({.name = "georadiusbymember",
            .arity = -5,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kGeo | acl::kSlow,
            .key_specs = {kSrc(1), kStore("STORE", 5), kStore("STOREDIST", 5)},
            .handler = WithKeyEvents<GeoRadiusByMember>})
      .Add({.name = "georadiusbymember_ro",
            .arity = -5,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kGeo | acl::kSlow,
            .key_specs = {kSrc(1)},
            .handler = GeoRadiusByMemberRo})
      .Add({.name = "geosearch",
            .arity = -7,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kGeo | acl::kSlow,
            .key_specs = {kSrc(1)},
            .handler = GeoSearch})
      .Add({.name = "geosearchstore",
            .arity = -8,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kGeo | acl::kSlow,
            .key_specs = {{.flags = kKeyOW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)},
                          kSrc(2)},
            .handler = WithKeyEvents<GeoSearchStore>});
}

}  // namespace petacore::commands
