// info_sections.cc — INFO's server, clients, memory, cpu, modules, cluster and petacore
// sections (info_sections.h), with Redis 7.0.15's field names and order (server.c
// genRedisInfoString). Figures PetaCore does not have are 0; see docs/operations.md "INFO".
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>

#include "commands/info_sections.h"
#include "commands/lua_functions.h"
#include "keyspace/encoding.h"
#include "mvcc/process_memory.h"

namespace petacore::commands::info {
namespace {

/// The Redis version PetaCore answers as (HELLO and LOLWUT say the same).
constexpr std::string_view kRedisVersion = "7.0.0";

// As Redis's bytesToHuman: B, K, M, G, T, P with two decimals.
std::string Human(int64_t bytes) {
  static constexpr const char* kUnits[] = {"K", "M", "G", "T", "P"};
  char buf[48];
  double b = static_cast<double>(bytes);
  if (b < 1024) {
    snprintf(buf, sizeof(buf), "%lldB", static_cast<long long>(bytes));
    return buf;
  }
  int unit = -1;
  while (b >= 1024 && unit < 4) {
    b /= 1024;
    ++unit;
  }
  snprintf(buf, sizeof(buf), "%.2f%s", b, kUnits[unit]);
  return buf;
}

std::string Fixed(double v, const char* suffix = "") {
  char buf[64];
  snprintf(buf, sizeof(buf), "%.2f%s", v, suffix);
  return buf;
}

std::string Seconds(const timeval& tv) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
           static_cast<long>(tv.tv_usec));
  return buf;
}

// A 40-hex-digit id, random per process, as Redis's run_id.
const std::string& RunId() {
  static const std::string id = [] {
    std::random_device rd;
    std::string s;
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 40; ++i) s.push_back(kHex[rd() & 15]);
    return s;
  }();
  return id;
}

// A stable id of this build (Redis's redis_build_id): a hash of the version and build date.
std::string BuildId() {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : std::string_view(PETACORE_VERSION __DATE__ __TIME__)) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  char buf[24];
  snprintf(buf, sizeof(buf), "%015llx", static_cast<unsigned long long>(h) >> 4);
  return buf;
}

std::string Executable() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::atomic<int64_t> peak_memory{0};  // the highest used_memory INFO has seen

}  // namespace

void Field(std::string& s, std::string_view name, std::string_view value) {
  s.append(name).append(":").append(value).append("\r\n");
}
void Field(std::string& s, std::string_view name, int64_t value) {
  Field(s, name, std::to_string(value));
}

void Server(CommandContext& ctx, std::string& s) {
  const config::Config& config = ctx.server.Options();
  const ServerStats st = ctx.server.Stats();
  static const utsname u = [] {
    utsname n{};
    uname(&n);
    return n;
  }();
  int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  int64_t uptime_s = (now_us / 1000 - st.start_ms) / 1000;
  std::string config_file;
  {
    std::lock_guard lock(ctx.server.OptionsMutex());
    config_file = config.config_file;
  }
  s += "# Server\r\n";
  Field(s, "redis_version", kRedisVersion);
  Field(s, "redis_git_sha1", "00000000");
  Field(s, "redis_git_dirty", 0);
  Field(s, "redis_build_id", BuildId());
  Field(s, "redis_mode", "standalone");
  Field(s, "os", std::string(u.sysname) + " " + u.release + " " + u.machine);
  Field(s, "arch_bits", sizeof(void*) * 8);
  Field(s, "monotonic_clock", "POSIX clock_gettime");
  Field(s, "multiplexing_api", "epoll");
  Field(s, "atomicvar_api", "c11-builtin");
#ifdef __GNUC__
  Field(s, "gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                              std::to_string(__GNUC_PATCHLEVEL__));
#else
  Field(s, "gcc_version", "0.0.0");
#endif
  Field(s, "process_id", getpid());
  Field(s, "process_supervised", "no");
  Field(s, "run_id", RunId());
  Field(s, "tcp_port", config.port);
  Field(s, "server_time_usec", now_us);
  Field(s, "uptime_in_seconds", uptime_s);
  Field(s, "uptime_in_days", uptime_s / 86400);
  Field(s, "hz", 10);
  Field(s, "configured_hz", 10);
  Field(s, "lru_clock", (now_us / 1000000) & ((1 << 24) - 1));  // Redis's LRU clock, 1 s
  Field(s, "executable", Executable());
  Field(s, "config_file", config_file);
  Field(s, "io_threads_active", 0);  // no Redis I/O threads; PetaCore's own below
  Field(s, "petacore_version", PETACORE_VERSION);
  Field(s, "petacore_threads", config.threads);
}

void Clients(CommandContext& ctx, std::string& s) {
  const ServerStats st = ctx.server.Stats();
  s += "# Clients\r\n";
  Field(s, "connected_clients", st.connected_clients);
  Field(s, "cluster_connections", 0);
  Field(s, "maxclients", ctx.server.Options().maxclients.get());
  Field(s, "client_recent_max_input_buffer", 0);
  Field(s, "client_recent_max_output_buffer", 0);
  Field(s, "blocked_clients", st.blocked_clients);
  Field(s, "tracking_clients", st.tracking_clients);
  Field(s, "clients_in_timeout_table", 0);
}

void Memory(CommandContext& ctx, std::string& s) {
  const ServerStats st = ctx.server.Stats();
  const int64_t used = static_cast<int64_t>(st.store.bytes);
  int64_t peak = peak_memory.load(std::memory_order_relaxed);
  while (used > peak && !peak_memory.compare_exchange_weak(peak, used)) {
  }
  peak = std::max(peak, used);
  const int64_t rss = mvcc::ResidentBytes();
  const mvcc::AllocatorBytes allocator = mvcc::AllocatorStats();
  const int64_t allocated = allocator.allocated;
  const int64_t active = allocator.active;
  const int64_t total_system = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  const int64_t maxmemory = static_cast<int64_t>(ctx.server.Options().maxmemory.get());
  auto ratio = [](int64_t a, int64_t b) { return Fixed(b > 0 ? double(a) / double(b) : 0); };
  s += "# Memory\r\n";
  Field(s, "used_memory", used);
  Field(s, "used_memory_human", Human(used));
  Field(s, "used_memory_rss", rss);
  Field(s, "used_memory_rss_human", Human(rss));
  Field(s, "used_memory_peak", peak);
  Field(s, "used_memory_peak_human", Human(peak));
  Field(s, "used_memory_peak_perc", Fixed(peak > 0 ? 100.0 * used / peak : 100, "%"));
  Field(s, "used_memory_overhead", 0);
  Field(s, "used_memory_startup", 0);
  Field(s, "used_memory_dataset", used);
  Field(s, "used_memory_dataset_perc", Fixed(100, "%"));
  Field(s, "allocator_allocated", allocated);
  Field(s, "allocator_active", active);
  Field(s, "allocator_resident", rss);
  Field(s, "total_system_memory", total_system);
  Field(s, "total_system_memory_human", Human(total_system));
  for (auto name : {"used_memory_lua", "used_memory_vm_eval"}) Field(s, name, 0);
  Field(s, "used_memory_lua_human", Human(0));
  // The script cache and FUNCTION LOAD's libraries are internal keys (cluster-wide):
  // counted from the view, not compiled.
  auto count = [&](std::string_view from, std::string_view to) {
    int64_t n = 0;
    ctx.txn.Range(from, to, [&](std::string_view, std::string_view) {
      ++n;
      return true;
    });
    return n;
  };
  Field(s, "used_memory_scripts_eval", 0);
  Field(s, "number_of_cached_scripts", count(lua::kScriptPrefix, lua::kScriptPrefixEnd));
  Field(s, "number_of_functions", 0);
  Field(s, "number_of_libraries", count(lua::kLibraryPrefix, lua::kLibraryPrefixEnd));
  Field(s, "used_memory_vm_functions", 0);
  Field(s, "used_memory_vm_total", 0);
  Field(s, "used_memory_vm_total_human", Human(0));
  Field(s, "used_memory_functions", 0);
  Field(s, "used_memory_scripts", 0);
  Field(s, "used_memory_scripts_human", Human(0));
  Field(s, "maxmemory", maxmemory);
  Field(s, "maxmemory_human", Human(maxmemory));
  {
    std::lock_guard lock(ctx.server.OptionsMutex());
    Field(s, "maxmemory_policy", ctx.server.Options().maxmemory_policy);
  }
  Field(s, "allocator_frag_ratio", ratio(active, allocated));
  Field(s, "allocator_frag_bytes", active - allocated);
  Field(s, "allocator_rss_ratio", ratio(rss, active));
  Field(s, "allocator_rss_bytes", rss - active);
  Field(s, "rss_overhead_ratio", ratio(rss, rss));
  Field(s, "rss_overhead_bytes", 0);
  Field(s, "mem_fragmentation_ratio", ratio(rss, used));
  Field(s, "mem_fragmentation_bytes", rss - used);
  {  // eviction's figure (issue 17, src/expiry/evictor.h), from the server's "memory" lines
    const std::string lines = ctx.server.InfoLines("memory");
    const std::string_view key = "mem_not_counted_for_evict:";
    const size_t at = lines.find(key);
    const size_t end = at == std::string::npos ? at : lines.find('\r', at);
    Field(s, "mem_not_counted_for_evict",
          at == std::string::npos ? std::string("0")
                                  : lines.substr(at + key.size(), end - at - key.size()));
  }
  for (auto name : {"mem_replication_backlog",
                    "mem_total_replication_buffers", "mem_clients_slaves", "mem_clients_normal",
                    "mem_cluster_links", "mem_aof_buffer"}) {
    Field(s, name, 0);
  }
  Field(s, "mem_allocator", mvcc::AllocatorName());
  for (auto name : {"active_defrag_running", "lazyfree_pending_objects", "lazyfreed_objects"}) {
    Field(s, name, 0);
  }
  Field(s, "mvcc_versions", static_cast<int64_t>(st.store.versions));
  Field(s, "mvcc_index_keys", static_cast<int64_t>(st.store.index_keys));
  Field(s, "mvcc_live_keys", static_cast<int64_t>(st.store.live_keys));
}

// From getrusage: the process, its children, and the calling thread (a connection thread: a
// PetaCore node has no single main thread running commands).
void Cpu(CommandContext&, std::string& s) {
  rusage self{}, children{}, thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  s += "# CPU\r\n";
  Field(s, "used_cpu_sys", Seconds(self.ru_stime));
  Field(s, "used_cpu_user", Seconds(self.ru_utime));
  Field(s, "used_cpu_sys_children", Seconds(children.ru_stime));
  Field(s, "used_cpu_user_children", Seconds(children.ru_utime));
  Field(s, "used_cpu_sys_main_thread", Seconds(thread.ru_stime));
  Field(s, "used_cpu_user_main_thread", Seconds(thread.ru_utime));
}

void Modules(CommandContext&, std::string& s) { s += "# Modules\r\n"; }

void Cluster(CommandContext&, std::string& s) {
  s += "# Cluster\r\n";
  Field(s, "cluster_enabled", 0);
}

void Petacore(CommandContext& ctx, std::string& s) {
  const config::Config& config = ctx.server.Options();
  const ServerStats st = ctx.server.Stats();
  s += "# PetaCore\r\n";
  Field(s, "mode", config.standalone() ? "standalone" : "replicated");
  Field(s, "txn_isolation", config::IsolationName(config.txn_isolation));
  Field(s, "applied_revision", st.applied_revision);
  Field(s, "compacted_revision", st.compacted_revision);
  Field(s, "apply_waiters", st.apply_waiters);
  s += ctx.server.InfoLines("petacore");
}

}  // namespace petacore::commands::info
