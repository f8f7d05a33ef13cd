// src/server/stack_thread.h — a joinable thread with a stack of a chosen size (std::thread
// takes the process default, RLIMIT_STACK, typically 8 MiB).
#pragma once

#include <pthread.h>

#include <cstddef>
#include <functional>
#include <memory>

namespace petacore::server {

/// Stack of an io thread: 256 MiB of address space (only the pages touched are backed by
/// memory). A script's reply nested as deep as Redis allows (Lua's 8,000-slot C stack,
/// lua_convert.cc) recurses ~8,000 frames deep, which sanitizer builds' larger frames do not
/// fit in 8 MiB.
inline constexpr size_t kIoThreadStackBytes = 256u << 20;

/// Runs `fn` on a new thread whose stack is `stack_bytes`; Join waits for it. Move-only, not
/// thread-safe (one owner). Aborts the process if the thread cannot be created (as
/// std::thread throws: there is no way to serve without it).
class StackThread {
 public:
  StackThread(size_t stack_bytes, std::function<void()> fn);
  StackThread(StackThread&& other) noexcept : id_(other.id_), joinable_(other.joinable_) {
    other.joinable_ = false;
  }
  StackThread(const StackThread&) = delete;
  StackThread& operator=(const StackThread&) = delete;
  StackThread& operator=(StackThread&&) = delete;
  /// Joins if not joined yet.
  ~StackThread() { Join(); }
  /// Waits until `fn` returned (once; later calls do nothing).
  void Join();

 private:
  pthread_t id_{};
  bool joinable_ = false;
};

}  // namespace petacore::server
