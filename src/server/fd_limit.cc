#include "server/fd_limit.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace petacore::server {

bool AdjustOpenFilesLimit(int* maxclients) {
  const rlim_t wanted = static_cast<rlim_t>(*maxclients) + kReservedFds;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    // Cannot know the limit: keep maxclients and let accept() failures speak (as Redis).
    spdlog::warn("cannot read the open files limit ({}); assuming maxclients {} fits",
                 std::strerror(errno), *maxclients);
    return true;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur = wanted;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < wanted) raised.rlim_max = wanted;
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      int err = errno;
      // Not allowed to raise the hard limit: take all the soft limit can have.
      raised = limit;
      raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
      if (setrlimit(RLIMIT_NOFILE, &raised) != 0) raised = limit;
      spdlog::warn("cannot raise the open files limit to {} ({}); it is {}", wanted,
                   std::strerror(err), raised.rlim_cur);
    }
    limit = raised;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    if (limit.rlim_cur <= static_cast<rlim_t>(kReservedFds)) {
      spdlog::error("the open files limit ({}) leaves no descriptor for clients; raise "
                    "'ulimit -n' to at least {}", limit.rlim_cur, wanted);
      return false;
    }
    int fitting = static_cast<int>(limit.rlim_cur - kReservedFds);
    spdlog::warn("maxclients {} needs {} open files but the limit is {}: maxclients lowered to "
                 "{}; raise 'ulimit -n' for more", *maxclients, wanted, limit.rlim_cur, fitting);
    *maxclients = fitting;
  }
  return true;
}

}  // namespace petacore::server
