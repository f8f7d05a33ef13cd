// expiry_watch.cc — timestamps the deletes of Redis keys in etcd, for bench/expiry.
//
// Watches PetaCore's data prefix from the current revision + 1 (printed as "READY <revision>"
// once the watch is set up) and, for every etcd delete event of a meta key (a Redis key, not
// a subkey or an internal 0xFF key), prints "D <revision> <unix ms when seen> <user key>".
// Stops after --expect such deletes or --timeout-s seconds, then prints
// "RESULT deletes=<n> revisions=<distinct revisions carrying them> timed_out=<0|1>".
//   expiry_watch --endpoints 127.0.0.1:2379 --expect 10000 --timeout-s 60
#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "etcdlink/client.h"
#include "etcdlink/watcher.h"
#include "keyspace/encoding.h"

namespace {
namespace etcd = petacore::etcdlink;
namespace ks = petacore::keyspace;
}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  std::string endpoints = "127.0.0.1:2379", prefix = "/petacore/";
  int64_t expect = 0;
  double timeout_s = 60;
  po::options_description d("expiry_watch options");
  d.add_options()("help", "print this help")(
      "endpoints", po::value(&endpoints)->default_value(endpoints), "etcd HOST:PORT[,...]")(
      "prefix", po::value(&prefix)->default_value(prefix), "PetaCore's --etcd-prefix")(
      "expect", po::value(&expect)->default_value(expect), "stop after this many deletes")(
      "timeout-s", po::value(&timeout_s)->default_value(timeout_s), "stop after this long");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, d), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << e.what() << "\n" << d;
    return 1;
  }
  if (vm.count("help")) {
    std::cout << d;
    return 0;
  }
  etcd::ClientOptions opts;
  for (size_t pos = 0; pos <= endpoints.size();) {
    size_t comma = endpoints.find(',', pos);
    if (comma == std::string::npos) comma = endpoints.size();
    if (comma > pos) opts.endpoints.push_back(endpoints.substr(pos, comma - pos));
    pos = comma + 1;
  }
  etcd::Client client(opts);
  auto head = client.Range(prefix, "", 1);
  if (!head.ok()) {
    std::cerr << "etcd: " << head.status().ToString() << "\n";
    return 1;
  }

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> lines;
  int64_t deletes = 0, revisions = 0;
  etcd::WatchCallbacks cb;
  cb.on_revision = [&](int64_t rev, std::vector<etcd::WatchEvent>&& events) {
    int64_t now = ks::NowMs();
    std::lock_guard lock(mu);
    bool counted = false;
    for (const auto& e : events) {
      if (e.type != etcd::WatchEvent::Type::kDelete) continue;
      auto decoded = ks::DecodeKey(std::string_view(e.kv.key).substr(prefix.size()));
      if (!decoded) continue;  // a subkey or an internal key
      lines.push_back("D " + std::to_string(rev) + " " + std::to_string(now) + " " +
                      decoded->user_key);
      ++deletes;
      if (!counted) ++revisions, counted = true;
    }
    if (expect > 0 && deletes >= expect) cv.notify_all();
  };
  etcd::Watcher watcher(client, prefix, etcd::PrefixEnd(prefix), head->revision + 1, std::move(cb));
  std::printf("READY %lld\n", static_cast<long long>(head->revision));
  std::fflush(stdout);
  bool timed_out;
  {
    std::unique_lock lock(mu);
    timed_out = !cv.wait_for(lock, std::chrono::duration<double>(timeout_s),
                             [&] { return expect > 0 && deletes >= expect; });
  }
  watcher.Stop();
  std::lock_guard lock(mu);
  for (const auto& l : lines) std::fputs((l + "\n").c_str(), stdout);
  std::printf("RESULT deletes=%lld revisions=%lld timed_out=%d\n", static_cast<long long>(deletes),
              static_cast<long long>(revisions), timed_out ? 1 : 0);
  return 0;
}
