// src/server/fd_limit.h — fitting maxclients to the process's open-file limit at start-up.
#pragma once

namespace petacore::server {

/// File descriptors kept for everything but clients (listener, etcd channels, epoll and
/// eventfds of the io threads, log files), as Redis's CONFIG_MIN_RESERVED_FDS.
constexpr int kReservedFds = 32;

/// As Redis's adjustOpenFilesLimit: raises RLIMIT_NOFILE to maxclients + kReservedFds (the
/// soft limit up to the hard one; the hard one too when the process may, e.g. as root). If
/// the OS refuses, lowers *maxclients to what the limit allows and logs a warning.
/// Returns false (after logging) when not even one client would fit. Call once, before
/// listening; not thread-safe.
bool AdjustOpenFilesLimit(int* maxclients);

}  // namespace petacore::server
