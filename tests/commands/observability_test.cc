// Unit tests of the observability building blocks (server/slowlog.h, latency.h, monitor.h):
// the slow log's cuts and trimming, the latency series, the histogram's percentiles and CDF,
// MONITOR's quoting and redaction.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "server/latency.h"
#include "server/monitor.h"
#include "server/slowlog.h"

namespace petacore::server {
namespace {

TEST(SlowLog, CutsArgumentsAndTrims) {
  SlowLog log;
  std::vector<std::string> storage;
  for (int i = 0; i < 40; ++i) storage.push_back(std::to_string(i));
  storage[1] = std::string(200, 'x');
  std::vector<std::string_view> args(storage.begin(), storage.end());
  log.Push(args, 5, "1.2.3.4:5", "n", 0, 2);
  auto e = log.Get(-1);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].args.size(), 32u);
  EXPECT_EQ(e[0].args[31], "... (9 more arguments)");
  EXPECT_EQ(e[0].args[1], std::string(128, 'x') + "... (72 more bytes)");
  EXPECT_EQ(e[0].duration_us, 5);
  log.Push(args, 1, "a", "", 2, 2);  // faster than the threshold: not logged
  EXPECT_EQ(log.Len(), 1);
  log.Push(args, 1, "a", "", -1, 2);  // off
  EXPECT_EQ(log.Len(), 1);
  log.Push(args, 3, "a", "", 0, 2);
  log.Push(args, 4, "a", "", 0, 2);
  EXPECT_EQ(log.Len(), 2);
  auto newest = log.Get(1);
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0].duration_us, 4);
  EXPECT_EQ(newest[0].id, 2);
  log.Reset();
  EXPECT_EQ(log.Len(), 0);
}

TEST(LatencyMonitor, OneSamplePerSecondKeepsTheMax) {
  LatencyMonitor m;
  m.Add("command", 5);
  m.Add("command", 9);
  m.Add("command", 7);
  auto events = m.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].max_ms, 9);
  ASSERT_GE(events[0].samples.size(), 1u);
  EXPECT_EQ(events[0].samples.back().latency_ms, events[0].samples.size() == 1 ? 9 : 7);
  std::vector<std::string_view> none = {"nosuch"};
  EXPECT_EQ(m.Reset(none), 0);
  EXPECT_EQ(m.Reset({}), 1);
  EXPECT_TRUE(m.Events().empty());
}

TEST(LatencyHistogram, PercentilesWithinOnePercent) {
  LatencyHistogram h;
  for (int64_t v = 1; v <= 100000; ++v) h.Record(v * 1000);  // 1 µs .. 100 ms
  EXPECT_EQ(h.count(), 100000);
  for (double p : {50.0, 99.0, 99.9}) {
    const double want = p / 100.0 * 100000 * 1000;
    const double got = static_cast<double>(h.ValueAtPercentile(p));
    EXPECT_NEAR(got / want, 1.0, 0.01) << p;
  }
  auto cdf = h.Cdf();
  ASSERT_FALSE(cdf.empty());
  EXPECT_EQ(cdf.front(), std::make_pair(int64_t{1}, int64_t{1}));  // <= 1031 ns: the 1 µs value
  EXPECT_EQ(cdf.back().second, 100000);
  for (size_t i = 1; i < cdf.size(); ++i) {
    EXPECT_GT(cdf[i].first, cdf[i - 1].first);
    EXPECT_GT(cdf[i].second, cdf[i - 1].second);
  }
  h.Record(0);              // clamped to 1 ns
  h.Record(5'000'000'000);  // clamped to 1 s
  EXPECT_EQ(h.count(), 100002);
  EXPECT_LE(h.ValueAtPercentile(100), 1'010'000'000);
  h.Reset();
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.ValueAtPercentile(50), 0);
}

TEST(Monitor, ReprAndRedaction) {
  std::string out;
  AppendRepr(&out, std::string_view("a\"b\\\n\r\t\a\b\x01\xff c", 13));
  EXPECT_EQ(out, R"("a\"b\\\n\r\t\a\b\x01\xff c")");
  std::vector<std::string_view> r;
  std::vector<std::string_view> auth = {"AUTH", "user", "pw"};
  ASSERT_TRUE(Redact(auth, &r));
  EXPECT_EQ(r, (std::vector<std::string_view>{"AUTH", "(redacted)", "(redacted)"}));
  std::vector<std::string_view> hello = {"HELLO", "3", "SETNAME", "x", "AUTH", "u", "p"};
  ASSERT_TRUE(Redact(hello, &r));
  EXPECT_EQ(r, (std::vector<std::string_view>{"HELLO", "3", "SETNAME", "x", "AUTH",
                                              "(redacted)", "(redacted)"}));
  std::vector<std::string_view> set = {"SET", "AUTH", "x"};
  EXPECT_FALSE(Redact(set, &r));
}

}  // namespace
}  // namespace petacore::server
