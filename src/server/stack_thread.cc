#include "server/stack_thread.h"

#include <cstdlib>

#include <spdlog/spdlog.h>

namespace petacore::server {
namespace {

void* Trampoline(void* arg) {
  std::unique_ptr<std::function<void()>> fn(static_cast<std::function<void()>*>(arg));
  (*fn)();
  return nullptr;
}

}  // namespace

StackThread::StackThread(size_t stack_bytes, std::function<void()> fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_bytes);
  auto* heap_fn = new std::function<void()>(std::move(fn));
  int rc = pthread_create(&id_, &attr, Trampoline, heap_fn);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete heap_fn;
    spdlog::critical("cannot start an io thread (pthread_create: {})", rc);
    std::abort();
  }
  joinable_ = true;
}

void StackThread::Join() {
  if (!joinable_) return;
  pthread_join(id_, nullptr);
  joinable_ = false;
}

}  // namespace petacore::server
