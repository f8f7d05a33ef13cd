#include "keyspace/chunked_value.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <vector>

#include "keyspace/encoding.h"
#include "replication/etcd_errors.h"

namespace petacore::keyspace {

using replication::CommitRequest;
using replication::CommitResult;
using replication::KeyRevision;
using replication::WriteOp;

namespace {
constexpr char kRefVersion = 1;
constexpr size_t kRefBytes = 1 + kWriteIdBytes + 8 + 4 + 4;
// A string put above this many bytes is chunked anyway when its request is large as a whole
// (an MSET of several big values).
constexpr size_t kSmallValueBytes = 64 * 1024;

void PutBE(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetBE(std::string_view s, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(s[pos + i]);
  return v;
}
bool IsMeta(std::string_view key) {
  return !key.empty() && static_cast<uint8_t>(key[0]) < kNumDatabases &&
         MetaKeyOf(key).size() == key.size();
}
// The write id of a chunk-0 key (an incarnation's or a chunked string's first marker).
std::optional<std::string_view> ChunkZeroId(std::string_view key) {
  if (key.size() != kChunkPrefix.size() + kWriteIdBytes + 4 ||
      key.substr(0, kChunkPrefix.size()) != kChunkPrefix ||
      key.substr(key.size() - 4) != std::string_view("\0\0\0\0", 4)) {
    return std::nullopt;
  }
  return key.substr(kChunkPrefix.size(), kWriteIdBytes);
}

}  // namespace

std::string EncodeChunkRef(const ChunkRef& ref) {
  std::string out;
  out.reserve(kRefBytes);
  out.push_back(kRefVersion);
  out.append(ref.write_id);
  PutBE(&out, ref.total, 8);
  PutBE(&out, ref.chunk_bytes, 4);
  PutBE(&out, ref.count, 4);
  return out;
}

// The write id inside a reference EncodeChunkRef wrote (a view into `p`); nullopt otherwise.
std::optional<std::string_view> ChunkRefId(std::string_view p) {
  if (p.size() != kRefBytes || p[0] != kRefVersion) return std::nullopt;
  return p.substr(1, kWriteIdBytes);
}

std::optional<ChunkRef> DecodeChunkRef(std::string_view p) {
  auto id = ChunkRefId(p);
  if (!id) return std::nullopt;
  ChunkRef r;
  r.write_id = std::string(*id);
  size_t pos = 1 + kWriteIdBytes;
  r.total = GetBE(p, pos, 8);
  r.chunk_bytes = static_cast<uint32_t>(GetBE(p, pos + 8, 4));
  r.count = static_cast<uint32_t>(GetBE(p, pos + 12, 4));
  return r;
}

std::string ChunkKey(std::string_view write_id, uint32_t index) {
  std::string k = ChunkIdStart(write_id);
  PutBE(&k, index, 4);
  return k;
}

std::string ChunkIdStart(std::string_view write_id) {
  std::string k(kChunkPrefix);
  k.append(write_id);
  return k;
}

std::string ChunkIdEnd(std::string_view write_id) { return PrefixEnd(ChunkIdStart(write_id)); }

std::string ChunkRangeEnd() { return PrefixEnd(std::string(kChunkPrefix)); }

std::string NewWriteId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id;
  PutBE(&id, static_cast<uint64_t>(NowMs()), 8);
  PutBE(&id, rng(), 8);
  return id;
}

std::optional<ChunkRef> ChunkRefOf(std::string_view key, std::string_view stored) {
  // Cheap rejection first: a string whose flags byte has the chunked bit.
  if (stored.size() < 2 || stored[0] != static_cast<char>(ValueType::kString) ||
      !(static_cast<uint8_t>(stored[1]) & 2) || !IsMeta(key)) {
    return std::nullopt;
  }
  auto v = DecodeValue(stored);
  if (!v || !v->chunked) return std::nullopt;
  return DecodeChunkRef(v->payload);
}

std::optional<std::string_view> StagedIdOf(std::string_view key, std::string_view stored) {
  if (stored.size() < 2 || !(static_cast<uint8_t>(stored[1]) & 6) || !IsMeta(key)) {
    return std::nullopt;  // neither chunked (2) nor with an incarnation (4): encoding.cc
  }
  auto v = DecodeValue(stored);
  if (!v) return std::nullopt;
  if (!v->incarnation.empty()) return v->incarnation;
  if (!v->chunked) return std::nullopt;
  return ChunkRefId(v->payload);
}

std::optional<std::string> AssembleChunks(const mvcc::Snapshot& snapshot, const ChunkRef& ref) {
  std::string out;
  out.reserve(ref.total);
  for (uint32_t i = 0; i < ref.count; ++i) {
    auto kv = snapshot.Get(ChunkKey(ref.write_id, i));
    if (!kv) return std::nullopt;
    out.append(kv->value);
  }
  if (out.size() != ref.total) return std::nullopt;
  return out;
}

size_t ChunkBytesFor(size_t max_request_bytes) {
  return std::max<size_t>(1024, std::min<size_t>(512 * 1024, max_request_bytes / 3));
}

// One request being staged: its big puts, the chunks still to send, the chunk commits in
// flight, and the first error.
struct ChunkingCommitter::Staging {
  struct Big {
    size_t op;  // index into request.writes
    ChunkRef ref;
    int64_t expire_at_ms;
    std::string_view payload;  // into request.writes[op].value (unchanged until the switch)
    int64_t chunk0_revision = 0;
  };
  std::mutex mu;
  CommitRequest request;
  std::function<void(CommitResult)> done;
  std::vector<Big> bigs;
  size_t next_big = 0;
  // The incarnations' elements (request.staged), sent before the chunks, and the revision
  // each incarnation's chunk-0 marker was written at.
  std::vector<WriteOp> staged;
  size_t next_staged = 0;
  std::map<std::string, int64_t> markers;
  uint32_t next_chunk = 0;
  int in_flight = 0;
  bool failed = false;
  std::string error;
};

void ChunkingCommitter::Commit(CommitRequest request, std::function<void(CommitResult)> done) {
  size_t total = 0;
  bool any = false;
  for (const auto& w : request.writes) {
    if (w.kind != WriteOp::Kind::kPut) continue;
    total += w.key.size() + w.value.size();
    if (w.value.size() > std::min(options_.chunk_bytes, kSmallValueBytes) ||
        (w.value.size() >= 2 && static_cast<uint8_t>(w.value[1]) & 2)) {
      any = true;
    }
  }
  if (!any && request.staged.empty()) return inner_.Commit(std::move(request), std::move(done));

  auto s = std::make_shared<Staging>();
  const bool large_request = total > options_.max_request_bytes / 2;
  std::optional<mvcc::Snapshot> latest;
  for (size_t i = 0; i < request.writes.size(); ++i) {
    const auto& w = request.writes[i];
    if (w.kind != WriteOp::Kind::kPut || w.value.size() < 2 || !IsMeta(w.key)) continue;
    auto v = DecodeValue(w.value);
    if (!v || v->type != ValueType::kString) continue;
    if (v->chunked) {
      // A reference moved or copied (RENAME, COPY, EXPIRE): its chunks must still be there
      // when this commits, so the commit compares chunk 0 as this node last saw it.
      auto ref = DecodeChunkRef(v->payload);
      if (!ref) continue;
      if (!latest) latest.emplace(store_.Read());
      auto kv = latest->Get(ChunkKey(ref->write_id, 0));
      if (!kv) {
        CommitResult r;
        r.error = "ERR chunked value lost: its chunks were removed";
        return done(std::move(r));
      }
      request.compares.push_back({ChunkKey(ref->write_id, 0), kv->mod_revision});
      continue;
    }
    if (v->payload.size() <= options_.chunk_bytes &&
        !(large_request && v->payload.size() > kSmallValueBytes)) {
      continue;
    }
    Staging::Big b;
    b.op = i;
    b.expire_at_ms = v->expire_at_ms;
    b.payload = v->payload;
    b.ref.write_id = NewWriteId();
    b.ref.total = v->payload.size();
    b.ref.chunk_bytes = static_cast<uint32_t>(options_.chunk_bytes);
    b.ref.count =
        static_cast<uint32_t>((b.payload.size() + options_.chunk_bytes - 1) / options_.chunk_bytes);
    s->bigs.push_back(std::move(b));
  }
  if (s->bigs.empty() && request.staged.empty()) {
    return inner_.Commit(std::move(request), std::move(done));
  }
  staged_values_.fetch_add(static_cast<int64_t>(s->bigs.size()), std::memory_order_relaxed);
  s->staged = std::move(request.staged);
  request.staged.clear();
  for (const auto& w : s->staged) {
    if (auto id = ChunkZeroId(w.key)) s->markers.emplace(std::string(*id), 0);
  }
  staged_incarnations_.fetch_add(static_cast<int64_t>(s->markers.size()),
                                 std::memory_order_relaxed);
  // The payload views point into the request's strings, whose buffers do not move with it.
  s->request = std::move(request);
  s->done = std::move(done);
  Pump(s);
}

void ChunkingCommitter::Pump(const std::shared_ptr<Staging>& s) {
  std::vector<std::pair<CommitRequest, std::pair<size_t, uint32_t>>> to_send;
  bool switch_now = false;
  {
    std::lock_guard lock(s->mu);
    // An incarnation's elements first, a batch per commit (`where` = {SIZE_MAX, 0}).
    while (!s->failed && s->in_flight < options_.window && s->next_staged < s->staged.size()) {
      CommitRequest c;
      size_t bytes = 0;
      while (s->next_staged < s->staged.size() && c.writes.size() < options_.staged_batch_ops &&
             (c.writes.empty() || bytes < options_.max_request_bytes / 2)) {
        auto& w = s->staged[s->next_staged++];
        bytes += w.key.size() + w.value.size() + 16;
        c.writes.push_back(std::move(w));
      }
      to_send.push_back({std::move(c), {SIZE_MAX, 0}});
      ++s->in_flight;
    }
    if (s->next_staged == s->staged.size() && !s->staged.empty()) {
      s->staged.clear();  // all sent: their bytes are the commits' now
      s->staged.shrink_to_fit();
      s->next_staged = 0;
    }
    while (!s->failed && s->in_flight < options_.window && s->next_big < s->bigs.size()) {
      auto& b = s->bigs[s->next_big];
      uint32_t idx = s->next_chunk;
      size_t off = static_cast<size_t>(idx) * b.ref.chunk_bytes;
      CommitRequest c;
      c.writes.push_back({WriteOp::Kind::kPut, ChunkKey(b.ref.write_id, idx),
                          std::string(b.payload.substr(off, b.ref.chunk_bytes)), {}});
      to_send.push_back({std::move(c), {s->next_big, idx}});
      ++s->in_flight;
      if (++s->next_chunk == b.ref.count) {
        ++s->next_big;
        s->next_chunk = 0;
      }
    }
    switch_now = s->in_flight == 0 && (s->failed || s->next_big == s->bigs.size()) &&
                 to_send.empty();
  }
  if (switch_now) return Switch(s);
  for (auto& item : to_send) {
    auto& req = item.first;
    const auto where = item.second;  // a plain variable: clang 14 cannot capture a binding
    const bool elements = where.first == SIZE_MAX;
    size_t bytes = 0;
    std::vector<std::string> marked;  // incarnations whose chunk-0 marker this commit writes
    for (const auto& w : req.writes) {
      bytes += w.value.size();
      if (elements) {
        if (auto id = ChunkZeroId(w.key)) marked.emplace_back(*id);
      }
    }
    inner_.Commit(std::move(req), [this, s, where, bytes, elements,
                                   marked = std::move(marked)](CommitResult r) {
      {
        std::lock_guard lock(s->mu);
        --s->in_flight;
        if (r.status != CommitResult::Status::kCommitted) {
          if (!s->failed) s->error = r.error.empty() ? "ERR chunk write failed" : r.error;
          s->failed = true;
        } else if (elements) {
          for (const auto& id : marked) s->markers[id] = r.revision;
        } else if (where.second == 0) {
          s->bigs[where.first].chunk0_revision = r.revision;
        }
      }
      (elements ? staged_batches_ : staged_chunks_).fetch_add(1, std::memory_order_relaxed);
      staged_bytes_.fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed);
      Pump(s);
    });
  }
}

void ChunkingCommitter::Switch(const std::shared_ptr<Staging>& s) {
  if (s->failed) {  // the switch is never sent: nothing of the command is applied
    CommitResult r;
    r.status = CommitResult::Status::kError;
    r.error = replication::StagingFailedReply(s->error);
    return s->done(std::move(r));
  }
  // The incarnations: their elements are all there (the marker is still at the revision that
  // wrote it), and the request's own writes put their "claimed" markers (TxnView).
  for (const auto& [id, revision] : s->markers) {
    s->request.compares.push_back({ChunkKey(id, 0), revision});
  }
  for (const auto& b : s->bigs) {
    auto& w = s->request.writes[b.op];
    w.value = EncodeChunkedString(EncodeChunkRef(b.ref), b.expire_at_ms);
    s->request.compares.push_back({ChunkKey(b.ref.write_id, 0), b.chunk0_revision});
    s->request.writes.push_back(
        {WriteOp::Kind::kPut, ChunkKey(b.ref.write_id, kClaimIndex), std::string(), {}});
  }
  inner_.Commit(std::move(s->request), std::move(s->done));
}

std::string ChunkingCommitter::InfoLines() const {
  return "incarnations_staged:" + std::to_string(staged_incarnations()) +
         "\r\nincarnation_batches_staged:" + std::to_string(staged_batches()) +
         "\r\nchunked_values_staged:" + std::to_string(staged_values()) +
         "\r\nchunks_staged:" + std::to_string(staged_chunks()) +
         "\r\nchunk_bytes_staged:" + std::to_string(staged_bytes()) + "\r\n";
}

}  // namespace petacore::keyspace
