// src/keyspace/chunked_value.h — strings larger than one etcd request: written as chunks by
// earlier Txns, made visible by the one Txn that switches the meta key.
//
// A string put whose payload is above the chunk size (min(512 KiB, etcd request limit / 3))
// is staged by ChunkingCommitter, a Committer decorator: its bytes go to internal keys unique
// to this write,
//   chunk key  = "\xff" "chunk/" + write id (16 bytes) + index (4 bytes, big-endian)
// each chunk its own unconditional commit, all BEFORE the switch; then the command's own
// commit goes out with the meta key's value replaced by a chunk reference (the chunked flag of
// encoding.h + EncodeChunkRef) plus a compare that chunk 0 is still there and a put of the
// write's "claimed" marker (index 0xffffffff). Readers see nothing until the switch; from
// then every node's replica holds the chunks as ordinary keys and types::ReadString
// assembles them. Chunks are immutable and may be shared (COPY, RENAME and EXPIRE move the
// reference, not the bytes); nothing deletes them in the foreground: the chunk cleaner
// (expiry/chunk_cleaner.h) removes every write id no meta key references. The stored-format
// marker ("\xff" "format") names this layout. See docs/architecture.md "Large values".
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "keyspace/incarnation.h"
#include "mvcc/store.h"
#include "replication/committer.h"

namespace petacore::keyspace {

/// Store-key prefix of every chunk key (and of every incarnation's elements: incarnation.h).
inline constexpr std::string_view kChunkPrefix = kStagedKeyPrefix;
/// Store key of the stored-format marker, and the format this build reads and writes.
inline constexpr std::string_view kFormatKey = "\xff" "format";
inline constexpr std::string_view kStoredFormat = "4";
/// The older formats this build upgrades in place: 3 is 4 without incarnations
/// (incarnation.h), 2 is 3 without range tombstones (replication/range_tombstone.h), so a
/// store in either reads the same in format 4.
inline bool IsUpgradableFormat(std::string_view format) { return format == "2" || format == "3"; }
/// Length of a write id: 8 bytes of wall-clock ms + 8 random bytes.
inline constexpr size_t kWriteIdBytes = 16;
/// Index of a write's "claimed" marker key (put by the switch; the cleaner compares it).
inline constexpr uint32_t kClaimIndex = 0xffffffffu;

/// What a chunked string's meta value holds instead of the bytes.
struct ChunkRef {
  std::string write_id;  ///< kWriteIdBytes bytes
  uint64_t total = 0;    ///< the string's length in bytes
  uint32_t chunk_bytes = 0;  ///< length of every chunk but the last
  uint32_t count = 0;    ///< number of chunks
};
/// The reference's bytes (version byte 1, id, total, chunk size, count; big-endian).
std::string EncodeChunkRef(const ChunkRef& ref);
/// nullopt when `payload` is not a reference EncodeChunkRef wrote.
std::optional<ChunkRef> DecodeChunkRef(std::string_view payload);

/// kChunkPrefix + write id + index (big-endian).
std::string ChunkKey(std::string_view write_id, uint32_t index);
/// [ChunkIdStart, ChunkIdEnd) holds every key of one write id (chunks and marker).
std::string ChunkIdStart(std::string_view write_id);
std::string ChunkIdEnd(std::string_view write_id);
/// End of the whole chunk range [kChunkPrefix, ChunkRangeEnd()).
std::string ChunkRangeEnd();
/// A fresh write id (time + random; unique across nodes in practice).
std::string NewWriteId();

/// The reference of a stored meta value `stored` at `key` when it is a chunked string;
/// nullopt otherwise (any other value, or a subkey).
std::optional<ChunkRef> ChunkRefOf(std::string_view key, std::string_view stored);

/// The write id whose keys the stored meta value `stored` at `key` references: a chunked
/// string's, or a collection's incarnation (incarnation.h); nullopt for any other value or key.
std::optional<std::string_view> StagedIdOf(std::string_view key, std::string_view stored);

/// The string's bytes, read from `snapshot`; nullopt when a chunk is missing or sizes do not
/// add up (never expected: a switched reference's chunks exist at every later revision
/// until no key references them).
std::optional<std::string> AssembleChunks(const mvcc::Snapshot& snapshot, const ChunkRef& ref);

/// Chunk size for an etcd whose --max-request-bytes is `max_request_bytes`: at most 512 KiB
/// and a third of the limit, so two chunks and a batch of small writes fit one Txn.
size_t ChunkBytesFor(size_t max_request_bytes);

/// The Committer decorator that stages big strings (see the file comment) and the elements of
/// new incarnations (CommitRequest::staged, keyspace/incarnation.h): those go first, in commits
/// of at most `staged_batch_ops` writes and half the request bytes, and the request's own
/// commit then compares each incarnation's chunk-0 marker at the revision its staging wrote.
/// Thread-safe as the inner committer; `done` runs on whatever thread the inner committer
/// completes on.
/// Errors: a failed chunk commit fails the request with its error (chunks already written
/// are orphans for the cleaner); the switch's own result is passed through unchanged.
class ChunkingCommitter : public replication::Committer {
 public:
  struct Options {
    size_t chunk_bytes = 512 * 1024;
    size_t max_request_bytes = 1536 * 1024;
    int window = 4;  ///< chunk commits in flight per staged request
    /// Writes per staging commit of an incarnation's elements (CommitRequest::staged); the
    /// inner committer nests them as the etcd's --max-txn-ops needs (etcd_txn_fanout.h).
    size_t staged_batch_ops = 4096;
  };
  /// Owns `inner`; `store` must outlive this.
  ChunkingCommitter(std::unique_ptr<replication::Committer> inner, const mvcc::Store& store,
                    Options options)
      : owned_(std::move(inner)), inner_(*owned_), store_(store), options_(options) {}
  void Commit(replication::CommitRequest request,
              std::function<void(replication::CommitResult)> done) override;

  int64_t staged_values() const { return staged_values_.load(std::memory_order_relaxed); }
  int64_t staged_chunks() const { return staged_chunks_.load(std::memory_order_relaxed); }
  int64_t staged_bytes() const { return staged_bytes_.load(std::memory_order_relaxed); }
  /// Incarnations staged (keyspace/incarnation.h) and the commits that carried their elements.
  int64_t staged_incarnations() const {
    return staged_incarnations_.load(std::memory_order_relaxed);
  }
  int64_t staged_batches() const { return staged_batches_.load(std::memory_order_relaxed); }
  /// "name:value\r\n" lines for INFO.
  std::string InfoLines() const;

 private:
  struct Staging;
  void Pump(const std::shared_ptr<Staging>& s);
  void Switch(const std::shared_ptr<Staging>& s);

  std::unique_ptr<replication::Committer> owned_;
  replication::Committer& inner_;
  const mvcc::Store& store_;
  Options options_;
  std::atomic<int64_t> staged_values_{0}, staged_chunks_{0}, staged_bytes_{0};
  std::atomic<int64_t> staged_incarnations_{0}, staged_batches_{0};
};

}  // namespace petacore::keyspace
