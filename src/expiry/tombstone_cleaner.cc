#include "expiry/tombstone_cleaner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "replication/etcd_txn_fanout.h"
#include "replication/range_tombstone.h"

namespace petacore::expiry {
namespace {
/// Keys a (nested) Txn's DeleteRanges removed.
bool AllBelow(const std::vector<etcdlink::KeyValue>& kvs, int64_t below) {
  return std::all_of(kvs.begin(), kvs.end(),
                     [below](const etcdlink::KeyValue& kv) { return kv.mod_revision < below; });
}

int64_t DeletedIn(const etcdlink::TxnResponse& resp) {
  int64_t n = 0;
  for (const auto& r : resp.responses) {
    n += r.deleted;
    if (r.txn) n += DeletedIn(*r.txn);
  }
  return n;
}
}  // namespace

TombstoneCleaner::TombstoneCleaner(etcdlink::Client& client, const mvcc::Store& store,
                                   Options options)
    : client_(client),
      store_(store),
      options_(std::move(options)),
      task_([this] { return std::max<int64_t>(10, options_.interval_ms()); }, [this] { Tick(); }) {}

TombstoneCleaner::~TombstoneCleaner() { Stop(); }

void TombstoneCleaner::Start() { task_.Start(); }

void TombstoneCleaner::Stop() { task_.Stop(); }

void TombstoneCleaner::Tick() {
  if (options_.leader()) RunOnce();
}

int64_t TombstoneCleaner::RunOnce() {
  std::vector<replication::RangeTombstone> tombstones;
  {
    mvcc::Snapshot snap = store_.Read();
    tombstones = replication::Tombstones(snap);
  }
  tombstones_.store(static_cast<int64_t>(tombstones.size()), std::memory_order_relaxed);
  int64_t deleted = 0;
  for (const auto& t : tombstones) {
    if (!CleanRange(t.start, t.end, t.revision, &deleted)) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    // Clean: the tombstone goes too, unless a newer one of the same range replaced it.
    const std::string key = options_.prefix + replication::TombstoneKey(t.start);
    etcdlink::TxnRequest txn;
    txn.compare.push_back(etcdlink::Compare::ModEquals(key, t.revision));
    txn.success.push_back(etcdlink::Op::Delete(key));
    auto done = client_.Txn(txn);
    if (!done.ok()) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    if (done->succeeded) cleared_.fetch_add(1, std::memory_order_relaxed);
  }
  return deleted;
}

namespace {
/// The end of the keys starting with key[0, depth): key[0, depth) with its last byte below
/// 0xFF raised by one (trailing 0xFF bytes dropped first); `limit` when that is past it or
/// nothing is left to raise.
std::string IntervalEnd(const std::string& key, size_t depth, const std::string& limit) {
  std::string end = key.substr(0, std::min(depth, key.size()));
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return limit;
  end.back() = static_cast<char>(end.back() + 1);
  return end < limit ? end : limit;
}
}  // namespace

bool TombstoneCleaner::CleanRange(const std::string& start, const std::string& end_key,
                                  int64_t below, int64_t* deleted) {
  // etcd 3.4 collects every revision of a Range's whole [key, range_end) before it applies
  // the limit, so paging a million keys with a fixed range_end costs O(n) per page. Instead
  // each Range covers an interval of keys sharing a prefix (of `depth` bytes of the cursor),
  // narrowed when etcd's count shows it holds many pages and widened when it held little.
  const std::string& prefix = options_.prefix;
  const std::string range_end = prefix + end_key;
  const int64_t page = options_.page_keys;
  std::string cursor = prefix + start;
  size_t depth = cursor.size() + 1;
  while (cursor < range_end) {
    const std::string end = IntervalEnd(cursor, depth, range_end);
    auto resp = client_.Range(cursor, end, page);
    if (!resp.ok()) {
      spdlog::warn("tombstone cleaner: reading: {}", resp.status().ToString());
      return false;
    }
    if (resp->count > 4 * page && depth < cursor.size()) {
      // Too wide: the same cursor again, in a narrower interval — at least as narrow as the
      // prefix this page's keys share (walking a wide interval is what costs etcd).
      size_t shared = 0;
      if (!resp->kvs.empty()) {
        const std::string& a = resp->kvs.front().key;
        const std::string& b = resp->kvs.back().key;
        while (shared < a.size() && shared < b.size() && a[shared] == b[shared]) ++shared;
      }
      depth = std::min(cursor.size(), std::max(depth + 1, shared + 1));
      continue;
    }
    if (resp->kvs.empty()) {
      cursor = end;  // nothing (left) in this interval
      if (depth > prefix.size() + 2) --depth;
      continue;
    }
    const std::string last_key = resp->kvs.back().key;
    if (AllBelow(resp->kvs, below)) {
      // The common case, nothing written in this stretch since the flush: one DeleteRange
      // of it, guarded by a compare over the same stretch (a key written meanwhile fails
      // it, and the page is deleted key by key below).
      std::string last = resp->kvs.back().key + '\0';
      etcdlink::TxnRequest txn;
      etcdlink::Compare c;
      c.target = etcdlink::Compare::Target::kMod;
      c.result = etcdlink::Compare::Result::kLess;
      c.key = resp->kvs.front().key;
      c.range_end = last;
      c.number = below;
      txn.compare.push_back(std::move(c));
      txn.success.push_back(etcdlink::Op::Delete(resp->kvs.front().key, last));
      auto done = client_.Txn(txn);
      if (!done.ok()) {
        spdlog::warn("tombstone cleaner: deleting: {}", done.status().ToString());
        return false;
      }
      if (done->succeeded) {
        const int64_t n = DeletedIn(*done);
        *deleted += n;
        deleted_.fetch_add(n, std::memory_order_relaxed);  // INFO moves page by page
        resp->kvs.clear();
      }
    }
    std::vector<etcdlink::Op> leaves;
    for (const auto& kv : resp->kvs) {
      if (kv.mod_revision >= below) continue;  // written after the flush: stays
      auto leaf = std::make_shared<etcdlink::TxnRequest>();
      etcdlink::Compare c;
      c.target = etcdlink::Compare::Target::kMod;
      c.result = etcdlink::Compare::Result::kLess;
      c.key = kv.key;
      c.number = below;
      leaf->compare.push_back(std::move(c));
      leaf->success.push_back(etcdlink::Op::Delete(kv.key));
      leaves.push_back(etcdlink::Op::Nested(std::move(leaf)));
    }
    if (!leaves.empty()) {
      etcdlink::TxnRequest txn;
      // Each leaf is a Txn of one compare: its list must leave it 1 of the budget.
      replication::AppendFannedOut(std::move(leaves), options_.max_txn_ops - 1, 0, &txn.success);
      auto done = client_.Txn(txn);
      if (!done.ok()) {
        spdlog::warn("tombstone cleaner: deleting: {}", done.status().ToString());
        return false;
      }
      // A leaf whose key was rewritten meanwhile deletes nothing.
      const int64_t n = DeletedIn(*done);
      *deleted += n;
      deleted_.fetch_add(n, std::memory_order_relaxed);
    }
    if (resp->more) {
      cursor = last_key;
      cursor.push_back('\0');
      continue;
    }
    cursor = end;  // the interval is done
    if (resp->count < page / 4 && depth > prefix.size() + 2) --depth;
  }
  return true;
}

std::string TombstoneCleaner::InfoLines() const {
  auto line = [](std::string_view k, int64_t v) {
    return std::string(k) + ":" + std::to_string(v) + "\r\n";
  };
  return line("range_tombstones", tombstones_.load()) +
         line("tombstone_stale_keys_deleted", deleted_.load()) +
         line("tombstones_cleared", cleared_.load()) +
         line("tombstone_cleaner_errors", errors_.load());
}

}  // namespace petacore::expiry
