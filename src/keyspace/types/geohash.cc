// geohash.cc — Redis 7.0.15's geo math (geohash.c, geohash_helper.c, geo.c, pqsort.c),
// rewritten expression by expression so every double comes out bit-identical: the same
// operations in the same order (no FMA: the build does not target it).
#include "keyspace/types/geohash.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <utility>

namespace petacore::keyspace::types::geo {
namespace {

constexpr double kDegToRadFactor = M_PI / 180.0;  // Redis's D_R
constexpr double kMercatorMax = 20037726.37;

double DegRad(double ang) { return ang * kDegToRadFactor; }
double RadDeg(double ang) { return ang / kDegToRadFactor; }

// Spreads the 32 bits of x to the even positions and those of y to the odd ones.
uint64_t Interleave(uint32_t xlo, uint32_t ylo) {
  static constexpr uint64_t kB[] = {0x5555555555555555ULL, 0x3333333333333333ULL,
                                    0x0F0F0F0F0F0F0F0FULL, 0x00FF00FF00FF00FFULL,
                                    0x0000FFFF0000FFFFULL};
  static constexpr unsigned kS[] = {1, 2, 4, 8, 16};
  uint64_t x = xlo, y = ylo;
  for (int i = 4; i >= 0; --i) {
    x = (x | (x << kS[i])) & kB[i];
    y = (y | (y << kS[i])) & kB[i];
  }
  return x | (y << 1);
}

// The inverse: even bits to the low word, odd bits to the high word.
uint64_t Deinterleave(uint64_t v) {
  static constexpr uint64_t kB[] = {0x5555555555555555ULL, 0x3333333333333333ULL,
                                    0x0F0F0F0F0F0F0F0FULL, 0x00FF00FF00FF00FFULL,
                                    0x0000FFFF0000FFFFULL, 0x00000000FFFFFFFFULL};
  static constexpr unsigned kS[] = {0, 1, 2, 4, 8, 16};
  uint64_t x = v, y = v >> 1;
  for (int i = 0; i < 6; ++i) {
    x = (x | (x >> kS[i])) & kB[i];
    y = (y | (y >> kS[i])) & kB[i];
  }
  return x | (y << 32);
}

bool Decode(Range lon_range, Range lat_range, HashBits hash, Area* area) {
  if (hash.zero()) return false;
  area->hash = hash;
  int step = hash.step;
  uint64_t sep = Deinterleave(hash.bits);
  double lat_scale = lat_range.max - lat_range.min;
  double lon_scale = lon_range.max - lon_range.min;
  uint32_t ilat = static_cast<uint32_t>(sep);
  uint32_t ilon = static_cast<uint32_t>(sep >> 32);
  double div = static_cast<double>(1ULL << step);
  area->latitude.min = lat_range.min + (ilat * 1.0 / div) * lat_scale;
  area->latitude.max = lat_range.min + ((ilat + 1) * 1.0 / div) * lat_scale;
  area->longitude.min = lon_range.min + (ilon * 1.0 / div) * lon_scale;
  area->longitude.max = lon_range.min + ((ilon + 1) * 1.0 / div) * lon_scale;
  return true;
}

constexpr Range kLonRange{kLonMin, kLonMax};
constexpr Range kLatRange{kLatMin, kLatMax};

// geohash_move_x / geohash_move_y: one box east/west (odd bits) or north/south (even bits).
void MoveX(HashBits* h, int d) {
  if (d == 0) return;
  uint64_t x = h->bits & 0xaaaaaaaaaaaaaaaaULL;
  uint64_t y = h->bits & 0x5555555555555555ULL;
  uint64_t zz = 0x5555555555555555ULL >> (64 - h->step * 2);
  if (d > 0) {
    x = x + (zz + 1);
  } else {
    x = x | zz;
    x = x - (zz + 1);
  }
  x &= (0xaaaaaaaaaaaaaaaaULL >> (64 - h->step * 2));
  h->bits = x | y;
}

void MoveY(HashBits* h, int d) {
  if (d == 0) return;
  uint64_t x = h->bits & 0xaaaaaaaaaaaaaaaaULL;
  uint64_t y = h->bits & 0x5555555555555555ULL;
  uint64_t zz = 0xaaaaaaaaaaaaaaaaULL >> (64 - h->step * 2);
  if (d > 0) {
    y = y + (zz + 1);
  } else {
    y = y | zz;
    y = y - (zz + 1);
  }
  y &= (0x5555555555555555ULL >> (64 - h->step * 2));
  h->bits = x | y;
}

HashBits Moved(HashBits h, int dx, int dy) {
  MoveX(&h, dx);
  MoveY(&h, dy);
  return h;
}

// C's (uint64_t) cast of a double as x86-64 GCC compiles it (cvttsd2si, with the 2^63 split),
// so out-of-range scores decode to the same bits as in Redis.
uint64_t ScoreBits(double score) {
  constexpr double k2p63 = 9223372036854775808.0;
  auto trunc = [](double v) -> int64_t {
    if (!(v > -k2p63 && v < k2p63)) return INT64_MIN;  // cvttsd2si's "indefinite" value
    return static_cast<int64_t>(v);
  };
  if (score < k2p63) return static_cast<uint64_t>(trunc(score));
  return static_cast<uint64_t>(trunc(score - k2p63)) ^ (1ULL << 63);
}

double LatDistance(double lat1, double lat2) {
  return kEarthRadiusMeters * std::fabs(DegRad(lat2) - DegRad(lat1));
}

}  // namespace

bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, HashBits* out) {
  if (step > 32 || step == 0) return false;
  if (lat_range.max - lat_range.min == 0 || lon_range.max - lon_range.min == 0) return false;
  if (lon > kLonMax || lon < kLonMin || lat > kLatMax || lat < kLatMin) return false;
  out->bits = 0;
  out->step = static_cast<uint8_t>(step);
  if (lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max) {
    return false;
  }
  double lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
  double lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
  lat_offset *= static_cast<double>(1ULL << step);
  lon_offset *= static_cast<double>(1ULL << step);
  out->bits = Interleave(static_cast<uint32_t>(lat_offset), static_cast<uint32_t>(lon_offset));
  return true;
}

bool EncodeWGS84(double lon, double lat, int step, HashBits* out) {
  return Encode(kLonRange, kLatRange, lon, lat, step, out);
}

bool DecodeWGS84(HashBits hash, Area* out) { return Decode(kLonRange, kLatRange, hash, out); }

void AreaCenter(const Area& area, double* lon, double* lat) {
  double x = (area.longitude.min + area.longitude.max) / 2;
  double y = (area.latitude.min + area.latitude.max) / 2;
  *lon = std::clamp(x, kLonMin, kLonMax);
  *lat = std::clamp(y, kLatMin, kLatMax);
}

Neighbors NeighborsOf(HashBits h) {
  Neighbors n;
  n.east = Moved(h, 1, 0);
  n.west = Moved(h, -1, 0);
  n.south = Moved(h, 0, -1);
  n.north = Moved(h, 0, 1);
  n.north_west = Moved(h, -1, 1);
  n.north_east = Moved(h, 1, 1);
  n.south_east = Moved(h, 1, -1);
  n.south_west = Moved(h, -1, -1);
  return n;
}

uint64_t Align52(HashBits hash) { return hash.bits << (52 - hash.step * 2); }

double ScoreOf(double lon, double lat) {
  HashBits h;
  EncodeWGS84(lon, lat, kStepMax, &h);
  return static_cast<double>(Align52(h));
}

bool DecodeScore(double score, double* lon, double* lat) {
  HashBits h{ScoreBits(score), kStepMax};
  Area area;
  if (!DecodeWGS84(h, &area)) return false;
  AreaCenter(area, lon, lat);
  return true;
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  double lon1r = DegRad(lon1);
  double lon2r = DegRad(lon2);
  double v = std::sin((lon2r - lon1r) / 2);
  if (v == 0.0) return LatDistance(lat1, lat2);
  double lat1r = DegRad(lat1);
  double lat2r = DegRad(lat2);
  double u = std::sin((lat2r - lat1r) / 2);
  double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(a));
}

int EstimateSteps(double range_meters, double lat) {
  if (range_meters == 0) return 26;
  int step = 1;
  while (range_meters < kMercatorMax) {
    range_meters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return std::clamp(step, 1, 26);
}

std::vector<HashBits> SearchBoxes(const Shape& s) {
  // geohashBoundingBox
  bool circle = s.kind == Shape::kCircle;
  double height = s.conversion * (circle ? s.radius : s.height / 2);
  double width = s.conversion * (circle ? s.radius : s.width / 2);
  const double lat_delta = RadDeg(height / kEarthRadiusMeters);
  const double lon_delta_top =
      RadDeg(width / kEarthRadiusMeters / std::cos(DegRad(s.lat + lat_delta)));
  const double lon_delta_bottom =
      RadDeg(width / kEarthRadiusMeters / std::cos(DegRad(s.lat - lat_delta)));
  bool southern = s.lat < 0;
  double min_lon = southern ? s.lon - lon_delta_bottom : s.lon - lon_delta_top;
  double max_lon = southern ? s.lon + lon_delta_bottom : s.lon + lon_delta_top;
  double min_lat = s.lat - lat_delta;
  double max_lat = s.lat + lat_delta;

  double radius_meters =
      circle ? s.radius : std::sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  radius_meters *= s.conversion;
  int steps = EstimateSteps(radius_meters, s.lat);

  HashBits hash;
  EncodeWGS84(s.lon, s.lat, steps, &hash);
  Neighbors n = NeighborsOf(hash);
  Area area;
  DecodeWGS84(hash, &area);

  Area north, south, east, west;
  DecodeWGS84(n.north, &north);
  DecodeWGS84(n.south, &south);
  DecodeWGS84(n.east, &east);
  DecodeWGS84(n.west, &west);
  bool decrease = north.latitude.max < max_lat || south.latitude.min > min_lat ||
                  east.longitude.max < max_lon || west.longitude.min > min_lon;
  if (steps > 1 && decrease) {
    steps--;
    EncodeWGS84(s.lon, s.lat, steps, &hash);
    n = NeighborsOf(hash);
    DecodeWGS84(hash, &area);
  }
  if (steps >= 2) {
    if (area.latitude.min < min_lat) n.south = n.south_west = n.south_east = HashBits{};
    if (area.latitude.max > max_lat) n.north = n.north_east = n.north_west = HashBits{};
    if (area.longitude.min < min_lon) n.west = n.south_west = n.north_west = HashBits{};
    if (area.longitude.max > max_lon) n.east = n.south_east = n.north_east = HashBits{};
  }
  std::vector<HashBits> boxes = {hash,         n.north,      n.south,      n.east,      n.west,
                                 n.north_east, n.north_west, n.south_east, n.south_west};
  // membersOfAllNeighbors skips a box equal to the last one scanned (huge radii), never
  // comparing against the centre box.
  size_t last = 0;
  for (size_t i = 0; i < boxes.size(); ++i) {
    if (boxes[i].zero()) continue;
    if (last && boxes[i].bits == boxes[last].bits && boxes[i].step == boxes[last].step) {
      boxes[i] = HashBits{};
      continue;
    }
    last = i;
  }
  return boxes;
}

void ScoresOfBox(HashBits hash, double* min, double* max) {
  *min = static_cast<double>(Align52(hash));
  hash.bits++;
  *max = static_cast<double>(Align52(hash));
}

bool WithinShape(const Shape& s, double score, double* lon, double* lat, double* dist) {
  if (!DecodeScore(score, lon, lat)) return false;
  if (s.kind == Shape::kCircle) {
    *dist = Distance(s.lon, s.lat, *lon, *lat);
    return !(*dist > s.radius * s.conversion);
  }
  double width_m = s.width * s.conversion, height_m = s.height * s.conversion;
  if (LatDistance(*lat, s.lat) > height_m / 2) return false;
  if (Distance(*lon, *lat, s.lon, *lat) > width_m / 2) return false;
  *dist = Distance(s.lon, s.lat, *lon, *lat);
  return true;
}

std::string HashString(double score) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lon, lat;
  if (!DecodeScore(score, &lon, &lat)) return "";
  HashBits h;
  Encode(Range{-180, 180}, Range{-90, 90}, lon, lat, 26, &h);
  std::string out(11, '0');
  for (int i = 0; i < 10; ++i) out[i] = kAlphabet[(h.bits >> (52 - (i + 1) * 5)) & 0x1f];
  return out;
}

std::string HumanDouble(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[512];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lf", static_cast<long double>(d));
  if (n <= 0 || n >= static_cast<int>(sizeof(buf))) return "";
  std::string s(buf, n);
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string DistanceString(double d) {
  if (d == 0) return "0.0000";
  long long sv = std::llrint(d * 10000.0);
  bool negative = sv < 0;
  unsigned long long v = negative ? (sv == LLONG_MIN ? static_cast<unsigned long long>(LLONG_MAX) + 1
                                                     : static_cast<unsigned long long>(-sv))
                                  : static_cast<unsigned long long>(sv);
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%s%llu.%04llu", negative ? "-" : "", v / 10000,
                        v % 10000);
  return std::string(buf, n);
}

namespace {

// Redis's pqsort.c (Bentley & McIlroy's quicksort that only recurses into the parts that
// overlap [lrange, rrange]), on element indices; cmp returns <0, 0, >0 as qsort's.
template <typename Cmp>
void PartialQsort(std::vector<Point>& v, ptrdiff_t a, ptrdiff_t n, const Cmp& cmp, ptrdiff_t lo,
                  ptrdiff_t hi) {
  auto swap = [&](ptrdiff_t i, ptrdiff_t j) {
    if (i != j) std::swap(v[i], v[j]);
  };
  auto vecswap = [&](ptrdiff_t i, ptrdiff_t j, ptrdiff_t k) {
    for (ptrdiff_t t = 0; t < k; ++t) swap(i + t, j + t);
  };
  auto med3 = [&](ptrdiff_t x, ptrdiff_t y, ptrdiff_t z) {
    return cmp(v[x], v[y]) < 0 ? (cmp(v[y], v[z]) < 0 ? y : (cmp(v[x], v[z]) < 0 ? z : x))
                               : (cmp(v[y], v[z]) > 0 ? y : (cmp(v[x], v[z]) < 0 ? x : z));
  };
  // Whether [start, start + len) overlaps the wanted index range (pqsort's byte test).
  auto wanted = [&](ptrdiff_t start, ptrdiff_t len) {
    return !((lo < start && hi < start) || (lo >= start + len && hi >= start + len));
  };
  for (;;) {
    if (n < 7) {
      for (ptrdiff_t pm = a + 1; pm < a + n; ++pm) {
        for (ptrdiff_t pl = pm; pl > a && cmp(v[pl - 1], v[pl]) > 0; --pl) swap(pl, pl - 1);
      }
      return;
    }
    ptrdiff_t pm = a + n / 2;
    if (n > 7) {
      ptrdiff_t pl = a, pn = a + n - 1;
      if (n > 40) {
        ptrdiff_t d = n / 8;
        pl = med3(pl, pl + d, pl + 2 * d);
        pm = med3(pm - d, pm, pm + d);
        pn = med3(pn - 2 * d, pn - d, pn);
      }
      pm = med3(pl, pm, pn);
    }
    swap(a, pm);
    ptrdiff_t pa = a + 1, pb = a + 1, pc = a + n - 1, pd = a + n - 1;
    for (;;) {
      int r;
      while (pb <= pc && (r = cmp(v[pb], v[a])) <= 0) {
        if (r == 0) swap(pa++, pb);
        pb++;
      }
      while (pb <= pc && (r = cmp(v[pc], v[a])) >= 0) {
        if (r == 0) swap(pc, pd--);
        pc--;
      }
      if (pb > pc) break;
      swap(pb++, pc--);
    }
    ptrdiff_t pn = a + n;
    ptrdiff_t r = std::min(pa - a, pb - pa);
    vecswap(a, pb - r, r);
    r = std::min(pd - pc, pn - pd - 1);
    vecswap(pb, pn - r, r);
    if ((r = pb - pa) > 1 && wanted(a, r)) PartialQsort(v, a, r, cmp, lo, hi);
    if ((r = pd - pc) > 1) {
      a = pn - r;
      n = r;
      if (wanted(a, n)) continue;
    }
    return;
  }
}

}  // namespace

void SortPoints(std::vector<Point>& points, bool desc, size_t wanted) {
  auto asc = [](const Point& a, const Point& b) {
    return a.dist > b.dist ? 1 : (a.dist == b.dist ? 0 : -1);
  };
  if (wanted >= points.size()) {
    // glibc 2.36's qsort is a stable merge sort for arrays of this size.
    std::stable_sort(points.begin(), points.end(), [&](const Point& a, const Point& b) {
      return desc ? asc(a, b) > 0 : asc(a, b) < 0;
    });
    return;
  }
  if (wanted == 0) return;
  auto cmp = [&](const Point& a, const Point& b) { return desc ? -asc(a, b) : asc(a, b); };
  PartialQsort(points, 0, static_cast<ptrdiff_t>(points.size()), cmp, 0,
               static_cast<ptrdiff_t>(wanted) - 1);
}

}  // namespace petacore::keyspace::types::geo
