// keyspace::types::geo (pure): the 52-bit score of a point, decoding, distances, GEOHASH
// strings, the reply formats, the search boxes and the (partial) sort of results, checked
// against values Redis 7.0.15 produces (redis-server replies noted next to each).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "keyspace/types/geohash.h"

namespace petacore::keyspace::types::geo {
namespace {

TEST(GeohashTest, ScoreOfAPointIsRedisScore) {
  // GEOADD Sicily 13.361389 38.115556 Palermo; ZSCORE -> 3479099956230698
  EXPECT_EQ(ScoreOf(13.361389, 38.115556), 3479099956230698.0);
  // 15.087269 37.502669 Catania -> 3479447370796909
  EXPECT_EQ(ScoreOf(15.087269, 37.502669), 3479447370796909.0);
  EXPECT_EQ(ScoreOf(-180, kLatMin), 0.0);
}

TEST(GeohashTest, DecodeGivesTheBoxCentre) {
  double lon, lat;
  ASSERT_TRUE(DecodeScore(3479099956230698.0, &lon, &lat));
  // GEOPOS Sicily Palermo -> 13.36138933897018433, 38.11555639549629859
  EXPECT_EQ(HumanDouble(lon), "13.36138933897018433");
  EXPECT_EQ(HumanDouble(lat), "38.11555639549629859");
  ASSERT_TRUE(DecodeScore(0, &lon, &lat));  // step 26 is never the zero hash
  EXPECT_LT(lon, -179.99);
}

TEST(GeohashTest, DistanceAsGeodist) {
  double x1, y1, x2, y2;
  ASSERT_TRUE(DecodeScore(3479099956230698.0, &x1, &y1));
  ASSERT_TRUE(DecodeScore(3479447370796909.0, &x2, &y2));
  // GEODIST Sicily Palermo Catania -> "166274.1516", km -> "166.2742"
  EXPECT_EQ(DistanceString(Distance(x1, y1, x2, y2)), "166274.1516");
  EXPECT_EQ(DistanceString(Distance(x1, y1, x2, y2) / 1000), "166.2742");
  EXPECT_EQ(Distance(x1, y1, x1, y1), 0.0);
  // Same longitude: the latitude shortcut.
  EXPECT_DOUBLE_EQ(Distance(10, 0, 10, 1), kEarthRadiusMeters * M_PI / 180.0);
}

TEST(GeohashTest, HashStringAsGeohash) {
  // GEOHASH Sicily Palermo Catania -> sqc8b49rny0, sqdtr74hyu0
  EXPECT_EQ(HashString(3479099956230698.0), "sqc8b49rny0");
  EXPECT_EQ(HashString(3479447370796909.0), "sqdtr74hyu0");
}

TEST(GeohashTest, ReplyFormats) {
  EXPECT_EQ(DistanceString(0), "0.0000");
  EXPECT_EQ(DistanceString(0.775), "0.7750");
  EXPECT_EQ(DistanceString(12345.67891), "12345.6789");
  EXPECT_EQ(HumanDouble(1.5), "1.5");
  EXPECT_EQ(HumanDouble(2), "2");
  EXPECT_EQ(HumanDouble(-0.0), "0");
  EXPECT_EQ(HumanDouble(0.1), "0.10000000000000001");
}

TEST(GeohashTest, EncodeRejectsOutOfRange) {
  HashBits h;
  EXPECT_FALSE(EncodeWGS84(180.1, 0, 26, &h));
  EXPECT_FALSE(EncodeWGS84(0, 85.06, 26, &h));
  EXPECT_FALSE(EncodeWGS84(0, 0, 0, &h));
  EXPECT_TRUE(EncodeWGS84(180, kLatMax, 26, &h));
}

TEST(GeohashTest, NeighboursAreAdjacentBoxes) {
  HashBits h;
  ASSERT_TRUE(EncodeWGS84(0.5, 0.5, 4, &h));
  Area c, e, n;
  Neighbors nb = NeighborsOf(h);
  ASSERT_TRUE(DecodeWGS84(h, &c));
  ASSERT_TRUE(DecodeWGS84(nb.east, &e));
  ASSERT_TRUE(DecodeWGS84(nb.north, &n));
  EXPECT_DOUBLE_EQ(e.longitude.min, c.longitude.max);
  EXPECT_DOUBLE_EQ(e.latitude.min, c.latitude.min);
  EXPECT_DOUBLE_EQ(n.latitude.min, c.latitude.max);
  EXPECT_DOUBLE_EQ(n.longitude.min, c.longitude.min);
}

TEST(GeohashTest, StepEstimation) {
  EXPECT_EQ(EstimateSteps(0, 0), 26);
  EXPECT_EQ(EstimateSteps(1, 0), 24);  // 2^25 m is the first power past the Mercator width
  EXPECT_EQ(EstimateSteps(1, 70), 23);
  EXPECT_EQ(EstimateSteps(1, -85), 22);
  EXPECT_EQ(EstimateSteps(1000, 10), 14);
  EXPECT_EQ(EstimateSteps(1e9, 0), 1);
}

TEST(GeohashTest, SearchBoxesCoverTheCircle) {
  Shape s{.kind = Shape::kCircle, .lon = 15, .lat = 37, .conversion = 1000, .radius = 200};
  auto boxes = SearchBoxes(s);
  ASSERT_EQ(boxes.size(), 9u);
  EXPECT_FALSE(boxes[0].zero());
  // Palermo (166 km from Catania, ~190 km from the centre) is in one of the boxes.
  double score = ScoreOf(13.361389, 38.115556);
  bool found = false;
  for (auto b : boxes) {
    if (b.zero()) continue;
    double min, max;
    ScoresOfBox(b, &min, &max);
    found |= score >= min && score < max;
  }
  EXPECT_TRUE(found);
  double lon, lat, dist;
  EXPECT_TRUE(WithinShape(s, score, &lon, &lat, &dist));
  EXPECT_EQ(DistanceString(dist / 1000), "190.4424");  // GEORADIUS ... WITHDIST
  s.radius = 100;
  EXPECT_FALSE(WithinShape(s, score, &lon, &lat, &dist));
}

TEST(GeohashTest, BoxShapeTest) {
  Shape s{.kind = Shape::kBox, .lon = 15, .lat = 37, .conversion = 1000, .width = 400,
          .height = 400};
  double lon, lat, dist;
  EXPECT_TRUE(WithinShape(s, ScoreOf(13.361389, 38.115556), &lon, &lat, &dist));
  s.height = 100;
  EXPECT_FALSE(WithinShape(s, ScoreOf(13.361389, 38.115556), &lon, &lat, &dist));
}

std::vector<Point> Points(std::vector<double> dists) {
  std::vector<Point> out;
  for (size_t i = 0; i < dists.size(); ++i) {
    out.push_back({.dist = dists[i], .member = std::to_string(i)});
  }
  return out;
}

std::string Members(const std::vector<Point>& p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += p[i].member + " ";
  return s;
}

TEST(GeohashTest, FullSortIsStable) {
  auto p = Points({3, 1, 2, 1, 3, 1});
  SortPoints(p, false, p.size());
  EXPECT_EQ(Members(p, 6), "1 3 5 2 0 4 ");
  SortPoints(p, true, p.size());
  EXPECT_EQ(Members(p, 6), "0 4 2 1 3 5 ");
}

TEST(GeohashTest, PartialSortOrdersTheWantedPrefix) {
  std::vector<double> d;
  for (int i = 0; i < 100; ++i) d.push_back((i * 37) % 100);
  auto p = Points(d);
  SortPoints(p, false, 10);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(p[i].dist, static_cast<double>(i));
  p = Points(d);
  SortPoints(p, true, 5);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(p[i].dist, static_cast<double>(99 - i));
}

TEST(GeohashTest, PartialSortTiesAsRedisPqsort) {
  // 50 points at one distance: pqsort's median of medians picks the last one as pivot and
  // swaps it to the front (Redis answers GEOSEARCH ... COUNT 1 with the last scanned).
  auto p = Points(std::vector<double>(50, 1.0));
  SortPoints(p, false, 1);
  EXPECT_EQ(p[0].member, "49");
  EXPECT_EQ(p[49].member, "0");
}

}  // namespace
}  // namespace petacore::keyspace::types::geo
