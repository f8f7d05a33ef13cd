// loader.cc — a mixed GET/SET workload over hiredis, and a pipelined bulk loader.
//
// Mixed mode (default): --clients threads, each with its own hiredis connection, run for
// --duration seconds. Every operation picks a key "key:<n>" among --keys keys with a Zipfian
// distribution (exponent --zipf, 0 = uniform; the CDF is precomputed once and sampled by binary
// search; ranks are scattered over the key space so hot keys are not neighbours), and is a GET
// with probability --read-ratio, else a SET of a --value-size byte value. With --pipeline P each
// connection sends P commands, then reads the P replies; an operation's latency is from the
// batch's send to its own reply. Prints ops/s and p50/p99 latency of reads and writes.
//
// Load mode (--load N): SETs key:0 .. key:N-1 (--value-size bytes each) once, split over the
// clients, pipelined (--pipeline, default 100 in this mode); prints keys/s.
//
// The last line of output is machine-readable: "RESULT key=value ...".
//   loader --port 6379 --clients 50 --duration 10 --keys 100000 --read-ratio 0.9
//   loader --port 6379 --load 1000000 --value-size 100 --clients 4 --pipeline 100
#include <hiredis/hiredis.h>

#include <boost/program_options.hpp>
#include <iostream>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 6379;
  int clients = 50;
  double duration_s = 10;
  int64_t keys = 100000;
  double zipf = 0.99;
  double read_ratio = 0.9;
  int value_size = 3;
  int pipeline = 0;  // 0 = default (1, or 100 in load mode)
  int64_t load = 0;
  uint64_t seed = 1;
  std::string key_prefix = "key:";
};

Options Parse(int argc, char** argv) {
  namespace po = boost::program_options;
  Options o;
  po::options_description d("loader options");
  d.add_options()("help,h", "this help")
      ("host", po::value(&o.host)->default_value(o.host), "server address")
      ("port,p", po::value(&o.port)->default_value(o.port), "server port")
      ("clients,c", po::value(&o.clients)->default_value(o.clients), "connections (one thread each)")
      ("duration", po::value(&o.duration_s)->default_value(o.duration_s), "seconds (mixed mode)")
      ("keys", po::value(&o.keys)->default_value(o.keys), "key space size")
      ("zipf", po::value(&o.zipf)->default_value(o.zipf), "Zipf exponent (0 = uniform)")
      ("read-ratio", po::value(&o.read_ratio)->default_value(o.read_ratio), "GET share, 0..1 (or 90 for 90%)")
      ("value-size,d", po::value(&o.value_size)->default_value(o.value_size), "bytes")
      ("pipeline,P", po::value(&o.pipeline)->default_value(o.pipeline), "commands per round trip (0: 1, or 100 when loading)")
      ("load", po::value(&o.load)->default_value(o.load), "bulk-load key:0..N-1 instead of the mixed workload")
      ("seed", po::value(&o.seed)->default_value(o.seed), "random seed")
      ("key-prefix", po::value(&o.key_prefix)->default_value(o.key_prefix), "key prefix");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, d), vm);
    if (vm.count("help")) {
      std::cout << d << "\n";
      std::exit(0);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "loader: " << e.what() << "\n" << d << "\n";
    std::exit(2);
  }
  if (o.read_ratio > 1) o.read_ratio /= 100;  // "90" means 90 %
  if (o.pipeline <= 0) o.pipeline = o.load > 0 ? 100 : 1;
  if (o.clients <= 0 || o.keys <= 0 || o.value_size < 0 || o.read_ratio < 0) {
    std::cerr << "loader: --clients and --keys must be > 0, --value-size and --read-ratio >= 0\n";
    std::exit(2);
  }
  return o;
}

/// Zipfian ranks 0..n-1 (rank r has weight 1/(r+1)^s) by inverse CDF, sampled with one
/// uniform draw and a binary search.
class Zipf {
 public:
  Zipf(int64_t n, double s) : cdf_(static_cast<size_t>(n)) {
    double sum = 0;
    for (int64_t r = 0; r < n; ++r) {
      sum += s == 0 ? 1.0 : 1.0 / std::pow(static_cast<double>(r + 1), s);
      cdf_[static_cast<size_t>(r)] = sum;
    }
    for (double& c : cdf_) c /= sum;
    cdf_.back() = 1.0;
  }
  template <class Rng>
  int64_t operator()(Rng& rng) const {
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    return std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin();
  }

 private:
  std::vector<double> cdf_;
};

/// A fixed bijection of [0, n) so that consecutive ranks land on unrelated keys.
class Scatter {
 public:
  explicit Scatter(int64_t n) : n_(n) {
    mult_ = 2654435761ULL % static_cast<uint64_t>(n);
    while (mult_ == 0 || std::gcd(mult_, static_cast<uint64_t>(n)) != 1) ++mult_;
  }
  int64_t operator()(int64_t r) const {
    return static_cast<int64_t>((static_cast<unsigned __int128>(r) * mult_) %
                                static_cast<uint64_t>(n_));
  }

 private:
  int64_t n_;
  uint64_t mult_;
};

redisContext* Connect(const Options& o) {
  timeval tv{30, 0};
  redisContext* c = redisConnectWithTimeout(o.host.c_str(), o.port, tv);
  if (c == nullptr || c->err) {
    std::fprintf(stderr, "loader: cannot connect to %s:%d: %s\n", o.host.c_str(), o.port,
                 c ? c->errstr : "out of memory");
    std::exit(1);
  }
  redisSetTimeout(c, tv);
  return c;
}

struct ThreadStats {
  std::vector<uint32_t> read_us, write_us;  // one latency sample per operation
  int64_t errors = 0;
  std::string first_error;
  bool failed = false;  // connection lost
};

double Percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i] / 1000.0;
}

std::string MakeValue(int size, uint64_t salt) {
  std::string v(static_cast<size_t>(size), 'x');
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<char>('a' + (salt + i * 7) % 26);
  return v;
}

/// Reads `n` replies; records their latencies since `sent` into `out` by kind; counts errors.
bool ReadReplies(redisContext* c, int n, Clock::time_point sent, const std::vector<char>& is_read,
                 ThreadStats& st) {
  for (int i = 0; i < n; ++i) {
    void* r = nullptr;
    if (redisGetReply(c, &r) != REDIS_OK || r == nullptr) {
      if (!st.failed) st.first_error = c->errstr;
      st.failed = true;
      return false;
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count();
    auto* reply = static_cast<redisReply*>(r);
    if (reply->type == REDIS_REPLY_ERROR) {
      if (st.errors++ == 0) st.first_error.assign(reply->str, reply->len);
    }
    freeReplyObject(reply);
    (is_read[static_cast<size_t>(i)] ? st.read_us : st.write_us)
        .push_back(static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX)));
  }
  return true;
}

int RunLoad(const Options& o) {
  std::vector<ThreadStats> stats(static_cast<size_t>(o.clients));
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int t = 0; t < o.clients; ++t) {
    threads.emplace_back([&, t] {
      redisContext* c = Connect(o);
      ThreadStats& st = stats[static_cast<size_t>(t)];
      std::vector<char> kinds(static_cast<size_t>(o.pipeline), 0);
      std::string value = MakeValue(o.value_size, static_cast<uint64_t>(t));
      int64_t lo = o.load * t / o.clients, hi = o.load * (t + 1) / o.clients;
      for (int64_t i = lo; i < hi && !st.failed;) {
        int batch = static_cast<int>(std::min<int64_t>(o.pipeline, hi - i));
        for (int b = 0; b < batch; ++b, ++i) {
          std::string key = o.key_prefix + std::to_string(i);
          redisAppendCommand(c, "SET %b %b", key.data(), key.size(), value.data(), value.size());
        }
        ReadReplies(c, batch, Clock::now(), kinds, st);
      }
      redisFree(c);
    });
  }
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  int64_t errors = 0;
  bool failed = false;
  std::string first_error;
  for (auto& st : stats) {
    errors += st.errors;
    failed |= st.failed;
    if (first_error.empty()) first_error = st.first_error;
  }
  std::printf("loaded %lld keys (%d-byte values) in %.2f s: %.0f keys/s, %lld errors%s%s\n",
              static_cast<long long>(o.load), o.value_size, secs,
              static_cast<double>(o.load) / secs, static_cast<long long>(errors),
              first_error.empty() ? "" : ", first: ", first_error.c_str());
  std::printf("RESULT mode=load keys=%lld seconds=%.3f keys_per_sec=%.1f errors=%lld failed=%d\n",
              static_cast<long long>(o.load), secs, static_cast<double>(o.load) / secs,
              static_cast<long long>(errors), failed ? 1 : 0);
  return failed || errors ? 1 : 0;
}

int RunMixed(const Options& o) {
  Zipf zipf(o.keys, o.zipf);
  Scatter scatter(o.keys);
  std::vector<ThreadStats> stats(static_cast<size_t>(o.clients));
  std::atomic<bool> stop{false};
  std::atomic<bool> go{false};
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < o.clients; ++t) {
    threads.emplace_back([&, t] {
      redisContext* c = Connect(o);
      ThreadStats& st = stats[static_cast<size_t>(t)];
      size_t expect = static_cast<size_t>(o.duration_s * 200000 / o.clients) + 1024;
      st.read_us.reserve(static_cast<size_t>(static_cast<double>(expect) * o.read_ratio));
      st.write_us.reserve(static_cast<size_t>(static_cast<double>(expect) * (1 - o.read_ratio)));
      std::mt19937_64 rng(o.seed * 1000003 + static_cast<uint64_t>(t));
      std::bernoulli_distribution is_read_dist(o.read_ratio);
      std::string value = MakeValue(o.value_size, static_cast<uint64_t>(t));
      std::vector<char> kinds(static_cast<size_t>(o.pipeline));
      std::string key;
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
      while (!stop.load(std::memory_order_relaxed) && !st.failed) {
        for (int b = 0; b < o.pipeline; ++b) {
          key = o.key_prefix + std::to_string(scatter(zipf(rng)));
          bool rd = is_read_dist(rng);
          kinds[static_cast<size_t>(b)] = rd;
          if (rd) {
            redisAppendCommand(c, "GET %b", key.data(), key.size());
          } else {
            redisAppendCommand(c, "SET %b %b", key.data(), key.size(), value.data(), value.size());
          }
        }
        ReadReplies(c, o.pipeline, Clock::now(), kinds, st);
      }
      redisFree(c);
    });
  }
  while (ready.load() < o.clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto start = Clock::now();
  go.store(true);  // every connection is open: start all clients together
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_s));
  stop.store(true);
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<uint32_t> reads, writes;
  int64_t errors = 0;
  bool failed = false;
  std::string first_error;
  for (auto& st : stats) {
    reads.insert(reads.end(), st.read_us.begin(), st.read_us.end());
    writes.insert(writes.end(), st.write_us.begin(), st.write_us.end());
    errors += st.errors;
    failed |= st.failed;
    if (first_error.empty()) first_error = st.first_error;
  }
  double total = static_cast<double>(reads.size() + writes.size());
  double rp50 = Percentile(reads, 0.50), rp99 = Percentile(reads, 0.99);
  double wp50 = Percentile(writes, 0.50), wp99 = Percentile(writes, 0.99);
  std::printf(
      "%d clients, pipeline %d, %.1f s, %lld keys zipf %.2f, reads %.0f%%, %d-byte values\n"
      "total  %10.0f ops/s\n"
      "reads  %10.0f ops/s  p50 %.3f ms  p99 %.3f ms\n"
      "writes %10.0f ops/s  p50 %.3f ms  p99 %.3f ms\n"
      "errors %lld%s%s\n",
      o.clients, o.pipeline, secs, static_cast<long long>(o.keys), o.zipf, o.read_ratio * 100,
      o.value_size, total / secs, static_cast<double>(reads.size()) / secs, rp50, rp99,
      static_cast<double>(writes.size()) / secs, wp50, wp99, static_cast<long long>(errors),
      first_error.empty() ? "" : ", first: ", first_error.c_str());
  std::printf(
      "RESULT mode=mixed seconds=%.3f ops_per_sec=%.1f read_ops_per_sec=%.1f "
      "write_ops_per_sec=%.1f read_p50_ms=%.3f read_p99_ms=%.3f write_p50_ms=%.3f "
      "write_p99_ms=%.3f errors=%lld failed=%d\n",
      secs, total / secs, static_cast<double>(reads.size()) / secs,
      static_cast<double>(writes.size()) / secs, rp50, rp99, wp50, wp99,
      static_cast<long long>(errors), failed ? 1 : 0);
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  return o.load > 0 ? RunLoad(o) : RunMixed(o);
}
