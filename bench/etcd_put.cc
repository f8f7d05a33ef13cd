// etcd_put.cc — the "one etcd Put per request" baseline, and a bulk loader for bench/startup.
//
// Put mode (default): --clients threads share one etcdlink::Client (one gRPC channel, as an
// etcd clientv3 would) and each does blocking Client::Put of a --value-size byte value on a
// random key among --keys keys (under --key-prefix), one after the other, for --duration
// seconds or --ops operations in all. Prints ops/s and p50/p99 latency (ms).
//
// Bulk mode (--bulk N): writes N keys with Txns of --batch Puts each, --clients Txns in flight.
// With --petacore the keys and values are PetaCore's encoding of Redis strings "key:0" ..
// "key:<N-1>" in database 0 under the etcd prefix --prefix (default "/petacore/"), so a
// petacore-server started with that prefix loads them as ordinary string keys; without it
// they are raw "<prefix>key:<i>". Prints keys/s.
// Two bulk-mode options give a Txn the shape of PetaCore's group commit, to measure what
// etcd spends per op of that shape (bench/etcd_txn_shapes.py): --overwrite picks each key at
// random among --keys keys (a SET -r workload: new revisions of existing keys, not new keys),
// --range-delete precedes each Put with the DeleteRange [key\0, KeyEnd(key)) that a blind SET
// sends (etcd_txn_shape.h: the key's subkeys; needs --petacore).
//
// The last line of output is machine-readable: "RESULT key=value ...".
//   etcd_put --endpoints 127.0.0.1:2379 --clients 50 --duration 10
//   etcd_put --endpoints 127.0.0.1:2379 --bulk 1000000 --batch 1000 --petacore --value-size 100
#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "etcdlink/client.h"
#include "keyspace/encoding.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace etcd = petacore::etcdlink;

struct Options {
  std::vector<std::string> endpoints;
  int clients = 1;
  double duration_s = 10;
  int64_t ops = 0;  // > 0: stop after this many Puts in all (instead of --duration)
  int value_size = 3;
  int64_t keys = 100000;
  std::string key_prefix = "bench/etcd_put/";
  int64_t bulk = 0;
  int batch = 1000;
  bool petacore = false;
  bool overwrite = false;
  bool range_delete = false;
  std::string prefix = "/petacore/";
  int timeout_ms = 30000;
};

Options Parse(int argc, char** argv) {
  namespace po = boost::program_options;
  Options o;
  std::string endpoints;
  po::options_description d("etcd_put options");
  d.add_options()("help,h", "this help")
      ("endpoints", po::value(&endpoints)->required(), "HOST:PORT[,HOST:PORT...]")
      ("clients,c", po::value(&o.clients)->default_value(o.clients), "threads (Put mode) or Txns in flight (bulk)")
      ("duration", po::value(&o.duration_s)->default_value(o.duration_s), "seconds (Put mode)")
      ("ops,n", po::value(&o.ops)->default_value(o.ops), "Puts in all instead of --duration")
      ("value-size,d", po::value(&o.value_size)->default_value(o.value_size), "bytes")
      ("keys", po::value(&o.keys)->default_value(o.keys), "random keys (Put mode)")
      ("key-prefix", po::value(&o.key_prefix)->default_value(o.key_prefix), "Put mode key prefix")
      ("timeout-ms", po::value(&o.timeout_ms)->default_value(o.timeout_ms), "etcd call deadline")
      ("bulk", po::value(&o.bulk)->default_value(o.bulk), "bulk mode: write N keys")
      ("batch", po::value(&o.batch)->default_value(o.batch), "Puts per Txn (bulk)")
      ("petacore", po::bool_switch(&o.petacore), "bulk keys in PetaCore's string encoding")
      ("overwrite", po::bool_switch(&o.overwrite), "bulk: random keys among --keys")
      ("range-delete", po::bool_switch(&o.range_delete),
       "bulk: a blind SET's subkey DeleteRange before each Put (with --petacore)")
      ("prefix", po::value(&o.prefix)->default_value(o.prefix), "etcd prefix (bulk)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, d), vm);
    if (vm.count("help")) {
      std::cout << d << "\n";
      std::exit(0);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "etcd_put: " << e.what() << "\n" << d << "\n";
    std::exit(2);
  }
  std::stringstream ss(endpoints);
  for (std::string e; std::getline(ss, e, ',');) {
    if (!e.empty()) o.endpoints.push_back(e);
  }
  if (o.clients <= 0 || o.keys <= 0 || o.batch <= 0 || o.value_size < 0) {
    std::cerr << "etcd_put: --clients, --keys and --batch must be > 0\n";
    std::exit(2);
  }
  if (o.range_delete && !o.petacore) {
    std::cerr << "etcd_put: --range-delete needs --petacore (the subkey range of its encoding)\n";
    std::exit(2);
  }
  return o;
}

std::string MakeValue(int size, uint64_t salt) {
  std::string v(static_cast<size_t>(size), 'x');
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<char>('a' + (salt + i * 7) % 26);
  return v;
}

struct Errors {
  std::mutex mu;
  int64_t count = 0;
  std::string first;
  void Add(const absl::Status& s) {
    std::lock_guard lock(mu);
    if (count++ == 0) first = s.ToString();
  }
};

double Percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i] / 1000.0;
}

int RunPuts(const Options& o, etcd::Client& client) {
  std::vector<std::vector<uint32_t>> lat(static_cast<size_t>(o.clients));
  Errors errors;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> budget{o.ops > 0 ? o.ops : INT64_MAX};
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int t = 0; t < o.clients; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t) * 7919 + 17);
      std::uniform_int_distribution<int64_t> pick(0, o.keys - 1);
      std::string value = MakeValue(o.value_size, static_cast<uint64_t>(t));
      auto& mine = lat[static_cast<size_t>(t)];
      while (!stop.load(std::memory_order_relaxed) && budget.fetch_sub(1) > 0) {
        std::string key = o.key_prefix + std::to_string(pick(rng));
        auto t0 = Clock::now();
        auto rev = client.Put(key, value);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
        if (!rev.ok()) {
          errors.Add(rev.status());
          continue;
        }
        mine.push_back(static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX)));
      }
    });
  }
  if (o.ops <= 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_s));
    stop.store(true);
  }
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<uint32_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  double ops_s = static_cast<double>(all.size()) / secs;
  double p50 = Percentile(all, 0.50), p99 = Percentile(all, 0.99);
  std::printf("%d clients, %zu Puts of %d bytes in %.2f s: %.0f ops/s, p50 %.3f ms, p99 %.3f ms,"
              " %lld errors%s%s\n",
              o.clients, all.size(), o.value_size, secs, ops_s, p50, p99,
              static_cast<long long>(errors.count), errors.first.empty() ? "" : ", first: ",
              errors.first.c_str());
  std::printf("RESULT mode=put ops=%zu seconds=%.3f ops_per_sec=%.1f p50_ms=%.3f p99_ms=%.3f "
              "errors=%lld\n",
              all.size(), secs, ops_s, p50, p99, static_cast<long long>(errors.count));
  return all.empty() ? 1 : 0;
}

int RunBulk(const Options& o, etcd::Client& client) {
  Errors errors;
  std::atomic<int64_t> next{0};  // first key of the next batch
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int t = 0; t < o.clients; ++t) {
    threads.emplace_back([&, t] {
      std::string value = MakeValue(o.value_size, static_cast<uint64_t>(t));
      std::string stored =
          o.petacore ? petacore::keyspace::EncodeString(value) : value;
      std::mt19937_64 rng(static_cast<uint64_t>(t) * 7919 + 17);
      std::uniform_int_distribution<int64_t> pick(0, o.keys - 1);
      for (;;) {
        int64_t lo = next.fetch_add(o.batch);
        if (lo >= o.bulk) break;
        int64_t hi = std::min<int64_t>(o.bulk, lo + o.batch);
        etcd::TxnRequest txn;
        std::unordered_set<int64_t> in_txn;
        txn.success.reserve(static_cast<size_t>(hi - lo) * (o.range_delete ? 2 : 1));
        for (int64_t i = lo; i < hi; ++i) {
          int64_t n = i;
          if (o.overwrite) {  // etcd refuses two puts of one key in one Txn
            do n = pick(rng);
            while (!in_txn.insert(n).second);
          }
          std::string user_key = "key:" + std::to_string(n);
          std::string key = o.prefix;
          if (o.petacore) {
            petacore::keyspace::AppendKey(0, user_key, &key);
          } else {
            key += user_key;
          }
          if (o.range_delete) {
            std::string end = petacore::keyspace::KeyEnd(key);
            txn.success.push_back(etcd::Op::Delete(key + std::string(1, '\0'), std::move(end)));
          }
          txn.success.push_back(etcd::Op::Put(std::move(key), stored));
        }
        auto r = client.Txn(txn);
        if (!r.ok()) {
          errors.Add(r.status());
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("bulk: %lld keys (%d-byte values, %s encoding) in Txns of %d: %.2f s, %.0f keys/s,"
              " %lld errors%s%s\n",
              static_cast<long long>(o.bulk), o.value_size, o.petacore ? "PetaCore" : "raw",
              o.batch, secs, static_cast<double>(o.bulk) / secs,
              static_cast<long long>(errors.count), errors.first.empty() ? "" : ", first: ",
              errors.first.c_str());
  std::printf("RESULT mode=bulk keys=%lld seconds=%.3f keys_per_sec=%.1f errors=%lld\n",
              static_cast<long long>(o.bulk), secs, static_cast<double>(o.bulk) / secs,
              static_cast<long long>(errors.count));
  return errors.count ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  etcd::Client client(etcd::ClientOptions{o.endpoints, std::chrono::milliseconds(o.timeout_ms)});
  return o.bulk > 0 ? RunBulk(o, client) : RunPuts(o, client);
}
