// src/commands/geo_util.h — argument parsing and reply helpers shared by geo_family.cc and
// geo_search_family.cc, as Redis 7.0's geo.c does them (header-only).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "commands/context.h"
#include "commands/zset_util.h"
#include "keyspace/types/geohash.h"

namespace petacore::commands::geoutil {

namespace geo = keyspace::types::geo;

/// Redis's extractLongLatOrReply: args[i] and args[i + 1] as longitude and latitude (floats
/// as getDoubleFromObject reads them) within Redis's limits; replies the error and returns
/// false otherwise.
inline bool LonLatOrReply(CommandContext& ctx, size_t i, double* lon, double* lat) {
  if (!zset::ParseScore(ctx.args[i], lon) || !zset::ParseScore(ctx.args[i + 1], lat)) {
    ctx.out.Error(kErrNotFloat);
    return false;
  }
  if (*lon < geo::kLonMin || *lon > geo::kLonMax || *lat < geo::kLatMin || *lat > geo::kLatMax) {
    // Redis's format ends in "\r\n", which addReplyErrorFormat drops.
    char buf[700];
    int n = std::snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", *lon,
                          *lat);
    ctx.out.Error(std::string_view(buf, n > 0 && n < static_cast<int>(sizeof(buf)) ? n : 0));
    return false;
  }
  return true;
}

/// Redis's extractUnitOrReply: meters per unit for m, km, ft, mi (any case).
inline bool UnitOrReply(CommandContext& ctx, std::string_view unit, double* to_meters) {
  if (EqualsIgnoreCase(unit, "m")) {
    *to_meters = 1;
  } else if (EqualsIgnoreCase(unit, "km")) {
    *to_meters = 1000;
  } else if (EqualsIgnoreCase(unit, "ft")) {
    *to_meters = 0.3048;
  } else if (EqualsIgnoreCase(unit, "mi")) {
    *to_meters = 1609.34;
  } else {
    ctx.out.Error("ERR unsupported unit provided. please use M, KM, FT, MI");
    return false;
  }
  return true;
}

/// addReplyHumanLongDouble: a bulk string in RESP2, a RESP3 double otherwise.
inline void ReplyHumanDouble(CommandContext& ctx, double d) {
  std::string s = geo::HumanDouble(d);
  if (ctx.out.protocol() == 2) return ctx.out.Bulk(s);
  ctx.out.Raw("," + s + "\r\n");
}

}  // namespace petacore::commands::geoutil
