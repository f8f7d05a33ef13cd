// src/keyspace/types/geohash.h — the geo math under GEOADD / GEOSEARCH, as Redis 7.0.15's
// geohash.c, geohash_helper.c and the helpers of geo.c compute it: the 52-bit interleaved
// geohash a point is stored under (a sorted-set score), its decoding back to coordinates, the
// haversine distance on Redis's earth radius, the 3x3 box cover of a search shape with Redis's
// step estimation, the point-in-shape test, the 11-character GEOHASH string, the reply
// number formats, and the (partial) sort of results with Redis's tie order. Pure functions
// and plain data: thread-safe, no I/O, no key-space access (geo_family.cc does those).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace petacore::keyspace::types::geo {

/// Redis's coordinate limits (EPSG:900913): latitudes beyond ±85.05112878 cannot be encoded.
inline constexpr double kLonMin = -180, kLonMax = 180;
inline constexpr double kLatMin = -85.05112878, kLatMax = 85.05112878;
/// Steps of a stored hash (26 per axis = 52 bits, exact in a double).
inline constexpr int kStepMax = 26;
/// Redis's EARTH_RADIUS_IN_METERS (the WGS-84 quadratic mean radius).
inline constexpr double kEarthRadiusMeters = 6372797.560856;

/// A geohash of `step` bits per axis (GeoHashBits); {0, 0} is Redis's "zero" (unused) box.
struct HashBits {
  uint64_t bits = 0;
  uint8_t step = 0;
  bool zero() const { return bits == 0 && step == 0; }
};
/// A closed interval of one coordinate.
struct Range {
  double min = 0, max = 0;
};
/// The rectangle a geohash covers (GeoHashArea).
struct Area {
  HashBits hash;
  Range longitude, latitude;
};

/// geohashEncode: the `step`-bit hash of (lon, lat) within the given ranges; false when the
/// point is outside Redis's limits or the ranges, or step is not in 1..32.
bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, HashBits* out);
/// Encode on Redis's ranges (lon ±180, lat ±85.05112878).
bool EncodeWGS84(double lon, double lat, int step, HashBits* out);
/// geohashDecode on Redis's ranges; false for the zero hash.
bool DecodeWGS84(HashBits hash, Area* out);
/// The centre of a box, clamped to Redis's limits (geohashDecodeAreaToLongLat).
void AreaCenter(const Area& area, double* lon, double* lat);

/// The 8 neighbours of a hash box, in Redis's struct order.
struct Neighbors {
  HashBits north, east, west, south, north_east, south_east, north_west, south_west;
};
/// geohashNeighbors (wraps around at the longitude seam, as Redis).
Neighbors NeighborsOf(HashBits hash);
/// geohashAlign52Bits: the hash shifted to 52 bits.
uint64_t Align52(HashBits hash);

/// The sorted-set score of a point: its 26-step hash aligned to 52 bits, as a double (what
/// GEOADD stores). The caller has range-checked (lon, lat).
double ScoreOf(double lon, double lat);
/// decodeGeohash: the coordinates a score stands for (the centre of its 26-step box); false
/// when the score decodes to the zero hash (score 0 truncated) — Redis's "cannot decode".
bool DecodeScore(double score, double* lon, double* lat);

/// geohashGetDistance: haversine distance in meters between two points (degrees).
double Distance(double lon1, double lat1, double lon2, double lat2);

/// A search shape (GeoShape): a circle of `radius` or a box `width` x `height`, in the unit
/// whose size in meters is `conversion`, around (lon, lat).
struct Shape {
  enum Kind { kCircle, kBox } kind = kCircle;
  double lon = 0, lat = 0;
  double conversion = 1;
  double radius = 0;
  double width = 0, height = 0;
};
/// The 9 boxes to scan for a shape (geohashCalculateAreasByShapeWGS84), in Redis's scan order:
/// centre, N, S, E, W, NE, NW, SE, SW; boxes Redis excludes are zero.
std::vector<HashBits> SearchBoxes(const Shape& shape);
/// geohashEstimateStepsByRadius.
int EstimateSteps(double range_meters, double lat);
/// scoresOfGeoHashBox: the score interval [min, max) of the points inside `hash`.
void ScoresOfBox(HashBits hash, double* min, double* max);
/// geoWithinShape: decodes `score` into (lon, lat) and tests it against `shape`; on true,
/// *dist is the distance from the shape's centre in meters.
bool WithinShape(const Shape& shape, double score, double* lon, double* lat, double* dist);

/// GEOHASH's 11-character base-32 string of a stored score ("" when it cannot decode).
std::string HashString(double score);

/// addReplyHumanLongDouble's text: "%.17Lf" with trailing zeros (and '.') removed, "-0" as
/// "0" (GEOPOS, WITHCOORD).
std::string HumanDouble(double d);
/// addReplyDoubleDistance's text: fixed point with 4 decimals (GEODIST, WITHDIST).
std::string DistanceString(double d);

/// One search result (geoPoint).
struct Point {
  double lon = 0, lat = 0;
  double dist = 0;   ///< meters until the caller converts it
  double score = 0;  ///< the stored score
  std::string member;
};
/// Sorts `points` by distance (desc: farthest first) as Redis does: a full stable sort (glibc's
/// merge-sort qsort) when `wanted` covers them all, else Redis's pqsort, which orders only the
/// first `wanted` and breaks ties its own way.
void SortPoints(std::vector<Point>& points, bool desc, size_t wanted);

}  // namespace petacore::keyspace::types::geo
