// watcher.cc — Watcher: one etcd watch stream on its own thread, resumed after any failure.
//
// Resume rule (facts §3.7): next = max(last event revision, last progress revision) + 1, and
// events below `next` are dropped, so a revision is delivered once even when the server
// replays. Every blocking gRPC wait here is either bounded or unblocked by TryCancel, so
// Stop() returns promptly even with etcd down.
#include "etcdlink/watcher.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "etcdlink/client_impl.h"
#include "etcdlink/convert.h"

namespace petacore::etcdlink {

namespace {

constexpr std::chrono::milliseconds kInitialBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{1000};

// How a stream ended, which decides whether the loop reconnects.
enum class StreamEnd { kRetry, kCompacted, kStopped };

}  // namespace

struct Watcher::Impl {
  Impl(Client& client, std::string key, std::string range_end, int64_t start_revision,
       WatchCallbacks callbacks)
      : client(client.impl()),
        key(std::move(key)),
        range_end(std::move(range_end)),
        next_revision(start_revision),
        callbacks(std::move(callbacks)) {}

  void Run();
  StreamEnd RunStream();
  // Handles one response; returns false when the stream must end (with *end set).
  bool Handle(const etcdserverpb::WatchResponse& response, StreamEnd* end);
  void Deliver(int64_t revision, std::vector<WatchEvent>&& events);
  void ReportError(const absl::Status& status) {
    if (callbacks.on_error) callbacks.on_error(status);
  }
  void Stop();

  Client::Impl* client;
  const std::string key;
  const std::string range_end;
  // Resume point: the next revision not yet delivered (0 until known = "from now").
  int64_t next_revision;        // watcher thread only
  bool stream_created = false;  // watcher thread only: this stream got its `created` reply
  std::string stream_token;     // watcher thread only: the auth token this stream sent
  WatchCallbacks callbacks;

  std::atomic<bool> stopping{false};
  std::atomic<int64_t> last_revision{0};
  std::atomic<bool> connected{false};
  std::atomic<int64_t> reconnects{0};

  std::mutex mu;
  std::condition_variable cv;                   // wakes the back-off sleep on Stop
  std::shared_ptr<grpc::ClientContext> active;  // guarded by mu; cancelled by Stop
  std::atomic<std::thread::id> thread_id{};     // set by the thread itself: Stop() compares it
  std::thread thread;
};

void Watcher::Impl::Run() {
  thread_id.store(std::this_thread::get_id());
  auto backoff = kInitialBackoff;
  while (!stopping.load()) {
    stream_created = false;
    const StreamEnd end = RunStream();
    connected.store(false);
    if (end != StreamEnd::kRetry) return;
    // A stream that was established proves the path works; start backing off afresh.
    if (stream_created) backoff = kInitialBackoff;
    std::unique_lock<std::mutex> lock(mu);
    if (cv.wait_for(lock, backoff, [this] { return stopping.load(); })) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
    reconnects.fetch_add(1);
  }
}

StreamEnd Watcher::Impl::RunStream() {
  auto ctx = std::make_shared<grpc::ClientContext>();
  ctx->AddMetadata(internal::kHasLeaderKey, internal::kHasLeaderValue);
  stream_token.clear();
  if (client->auth) {
    grpc::Status auth = client->auth->AddTo(ctx.get(), &stream_token);
    if (!auth.ok()) {
      ReportError(internal::ToAbsl(auth));
      return StreamEnd::kRetry;
    }
  }
  // Fail fast while the channel cannot connect: the loop above retries with back-off and
  // reports each failure, instead of one call waiting indefinitely for a connection.
  ctx->set_wait_for_ready(false);
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopping.load()) return StreamEnd::kStopped;
    active = ctx;
  }
  // A member that answers (members.h); its silence cancels this stream, which then resumes
  // on another member.
  internal::Member& member = client->members->Pick();
  member.Begin(ctx.get());
  auto stream = member.watch->Watch(ctx.get());

  etcdserverpb::WatchRequest request;
  auto* create = request.mutable_create_request();
  create->set_key(key.data(), key.size());
  if (!range_end.empty()) create->set_range_end(range_end.data(), range_end.size());
  create->set_start_revision(next_revision);
  create->set_progress_notify(true);

  StreamEnd end = StreamEnd::kRetry;
  bool ended_by_us = false;
  if (stream->Write(request)) {
    etcdserverpb::WatchResponse response;
    while (stream->Read(&response)) {
      if (!Handle(response, &end)) {
        ended_by_us = true;
        break;
      }
    }
  }
  // A watch cancelled by etcd leaves the stream open; cancel it so Finish does not wait.
  if (ended_by_us) ctx->TryCancel();
  grpc::Status status = stream->Finish();
  if (member.Done(ctx.get())) status = client->members->SilencedError(member);
  {
    std::lock_guard<std::mutex> lock(mu);
    active.reset();
  }
  if (stopping.load()) return StreamEnd::kStopped;
  // A refused token (expired, or unknown to this member) is fetched anew before the retry.
  if (client->auth && internal::IsTokenError(status)) client->auth->Invalidate(stream_token);
  if (!ended_by_us) {
    ReportError(status.ok() ? absl::UnavailableError("etcdlink: watch stream ended by server")
                            : internal::ToAbsl(status));
  }
  return end;
}

bool Watcher::Impl::Handle(const etcdserverpb::WatchResponse& response, StreamEnd* end) {
  if (response.canceled()) {
    if (response.compact_revision() != 0) {
      *end = StreamEnd::kCompacted;
      if (callbacks.on_compacted) callbacks.on_compacted(response.compact_revision());
      return false;
    }
    *end = StreamEnd::kRetry;
    // etcd refuses a watch create for auth reasons with created+canceled and the gRPC error
    // text in cancel_reason (facts §3.7).
    if (client->auth && internal::IsTokenErrorText(response.cancel_reason())) {
      client->auth->Invalidate(stream_token);
    }
    ReportError(
        absl::UnavailableError("etcdlink: watch canceled by etcd: " + response.cancel_reason()));
    return false;
  }
  if (response.created()) {
    connected.store(true);
    stream_created = true;
    // start_revision 0 means "after the creation revision"; pin it so a reconnect cannot
    // skip what was written while disconnected.
    if (next_revision == 0) next_revision = response.header().revision() + 1;
    if (response.events_size() == 0) return true;
  }
  if (response.events_size() == 0) {
    // A progress notification: every event up to header.revision has been sent.
    const int64_t revision = response.header().revision();
    if (response.compact_revision() == 0 && revision != 0 && revision + 1 >= next_revision) {
      next_revision = revision + 1;
      last_revision.store(revision);
      if (callbacks.on_progress) callbacks.on_progress(revision);
    }
    return true;
  }
  // Events are in revision order and one revision is never split across responses; group
  // them so a multi-key Txn arrives as one call.
  std::vector<WatchEvent> group;
  int64_t group_revision = 0;
  for (const auto& event : response.events()) {
    const int64_t revision = event.kv().mod_revision();
    if (revision < next_revision) continue;  // already delivered before a reconnect
    if (!group.empty() && revision != group_revision) {
      Deliver(group_revision, std::move(group));
      group.clear();
    }
    group_revision = revision;
    group.push_back(internal::FromProto(event));
  }
  if (!group.empty()) Deliver(group_revision, std::move(group));
  return true;
}

void Watcher::Impl::Deliver(int64_t revision, std::vector<WatchEvent>&& events) {
  next_revision = revision + 1;
  last_revision.store(revision);
  if (callbacks.on_revision) callbacks.on_revision(revision, std::move(events));
}

void Watcher::Impl::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping.store(true);
    if (active) active->TryCancel();  // unblocks a pending Read/Write/connect
  }
  cv.notify_all();
  // Joining from a callback would deadlock; the thread exits on its own after it returns.
  if (thread_id.load() == std::this_thread::get_id()) return;
  if (thread.joinable()) thread.join();
}

Watcher::Watcher(Client& client, std::string key, std::string range_end, int64_t start_revision,
                 WatchCallbacks callbacks)
    : impl_(std::make_unique<Impl>(client, std::move(key), std::move(range_end), start_revision,
                                   std::move(callbacks))) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
}

Watcher::~Watcher() { Stop(); }

void Watcher::Stop() { impl_->Stop(); }

void Watcher::Reconnect() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->active) impl_->active->TryCancel();
}

int64_t Watcher::last_revision() const { return impl_->last_revision.load(); }

bool Watcher::connected() const { return impl_->connected.load(); }

int64_t Watcher::reconnects() const { return impl_->reconnects.load(); }

}  // namespace petacore::etcdlink
