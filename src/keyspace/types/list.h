// src/keyspace/types/list.h — one Redis list on a TxnView, as a command edits it: the
// head/tail meta and the element subkeys (meta + kListItemTag + SortableInt(index) -> element, live
// indexes head..tail-1).
//
// Every change to a list rewrites its meta key (even LSET, which keeps head and tail), so the
// meta key's mod_revision versions the whole list: a reader that scans elements (not recorded
// as reads) is still guarded by the recorded read of the meta key, and any two writers of one
// list conflict on it — which is what makes "exactly one client gets each element" hold across
// nodes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keyspace/encoding.h"
#include "keyspace/types/key.h"

namespace petacore::keyspace::types {

enum class ListEnd { kHead, kTail };

/// A list key loaded for reading or editing. Edits are buffered in the TxnView at once; the
/// meta key is written (or the key deleted when empty) by Flush(). Borrows the view, which
/// must outlive it; not thread-safe.
class ListHandle {
 public:
  /// Reads the list at `meta_key` (recorded read of the meta key). Check wrong_type() first.
  ListHandle(TxnView& txn, std::string meta_key) : txn_(txn) {
    KeyRead r = ReadKey(txn, std::move(meta_key), ValueType::kList);
    meta_ = std::move(r.meta_key);
    base_ = std::move(r.elements);
    wrong_type_ = r.wrong_type();
    exists_ = r.ok();
    if (exists_ && r.value.payload.size() == 16) {
      head_ = DecodeSortableInt(r.value.payload.substr(0, 8));
      tail_ = DecodeSortableInt(r.value.payload.substr(8, 8));
    }
  }

  bool wrong_type() const { return wrong_type_; }
  bool exists() const { return exists_; }
  const std::string& meta_key() const { return meta_; }
  /// Where the elements live (KeyRead::elements).
  const std::string& elements() const { return base_; }
  int64_t head() const { return head_; }
  int64_t tail() const { return tail_; }
  int64_t size() const { return tail_ - head_; }

  std::string SubKeyAt(int64_t abs_index) const {
    return SubKey(base_, kListItemTag, SortableInt(abs_index));
  }

  /// Elements at list positions [from, to) (0-based, clamped by the caller), in order.
  std::vector<std::string> Read(int64_t from, int64_t to) const {
    std::vector<std::string> out;
    if (from >= to) return out;
    out.reserve(static_cast<size_t>(to - from));
    txn_.Range(SubKeyAt(head_ + from), SubKeyAt(head_ + to),
               [&](std::string_view, std::string_view value) {
                 out.emplace_back(value);
                 return true;
               });
    return out;
  }
  std::vector<std::string> ReadAll() const { return Read(0, size()); }

  /// The element at position `pos` (0-based, in range), read through the view.
  std::string At(int64_t pos) const {
    auto v = txn_.Get(SubKeyAt(head_ + pos));
    return v ? std::string(*v) : std::string();
  }

  void Push(ListEnd end, std::string_view element) {
    int64_t index = end == ListEnd::kHead ? --head_ : tail_++;
    txn_.Put(SubKeyAt(index), std::string(element));
    dirty_ = true;
  }

  /// Removes up to `count` elements from `end`; returns them in pop order.
  std::vector<std::string> Pop(ListEnd end, int64_t count) {
    count = std::min(count, size());
    if (count <= 0) return {};
    std::vector<std::string> out;
    if (end == ListEnd::kHead) {
      out = Read(0, count);
      txn_.DeleteRange(SubKeyAt(head_), SubKeyAt(head_ + count));
      head_ += count;
    } else {
      out = Read(size() - count, size());
      std::reverse(out.begin(), out.end());
      txn_.DeleteRange(SubKeyAt(tail_ - count), SubKeyAt(tail_));
      tail_ -= count;
    }
    dirty_ = true;
    return out;
  }

  void Set(int64_t pos, std::string_view element) {
    txn_.Put(SubKeyAt(head_ + pos), std::string(element));
    dirty_ = true;
  }

  /// Keeps positions [keep_from, keep_to) only, deleting the rest (no element is read).
  void Trim(int64_t keep_from, int64_t keep_to) {
    if (keep_from >= keep_to) {
      keep_from = keep_to = 0;
      txn_.DeleteRange(SubKeyAt(head_), SubKeyAt(tail_));
      tail_ = head_;
    } else {
      if (keep_from > 0) txn_.DeleteRange(SubKeyAt(head_), SubKeyAt(head_ + keep_from));
      if (keep_to < size()) txn_.DeleteRange(SubKeyAt(head_ + keep_to), SubKeyAt(tail_));
      tail_ = head_ + keep_to;
      head_ += keep_from;
    }
    dirty_ = true;
  }

  /// Replaces the whole list `old` (its current contents) by `updated`, choosing to keep
  /// either the head or the tail index fixed, whichever rewrites fewer subkeys: an insert or
  /// removal near one end then touches only the elements between it and that end.
  void Replace(const std::vector<std::string>& old, const std::vector<std::string>& updated) {
    int64_t m = static_cast<int64_t>(updated.size());
    int64_t left = head_, right = tail_ - m;
    int64_t new_head = Cost(old, updated, left) <= Cost(old, updated, right) ? left : right;
    for (int64_t j = 0; j < m; ++j) {
      if (!Same(old, new_head + j, updated[j])) txn_.Put(SubKeyAt(new_head + j), updated[j]);
    }
    if (new_head > head_) txn_.DeleteRange(SubKeyAt(head_), SubKeyAt(new_head));
    if (new_head + m < tail_) txn_.DeleteRange(SubKeyAt(new_head + m), SubKeyAt(tail_));
    head_ = new_head;
    tail_ = new_head + m;
    dirty_ = true;
  }

  /// Writes the meta key after edits, or deletes the key when the list became empty (Redis
  /// never keeps an empty list).
  void Flush() {
    if (!dirty_) return;
    dirty_ = false;
    if (size() == 0) {
      if (exists_) DeleteKey(txn_, meta_);
      exists_ = false;
      base_ = meta_;  // a list made again lives in its own range
      head_ = tail_ = 0;
      return;
    }
    std::string payload = SortableInt(head_) + SortableInt(tail_);
    WriteMeta(txn_, meta_, ValueType::kList, payload);
    exists_ = true;
  }

 private:
  bool Same(const std::vector<std::string>& old, int64_t abs_index, const std::string& v) const {
    int64_t i = abs_index - head_;
    return i >= 0 && i < static_cast<int64_t>(old.size()) && old[i] == v;
  }
  int64_t Cost(const std::vector<std::string>& old, const std::vector<std::string>& updated,
               int64_t new_head) const {
    int64_t cost = 0;
    for (size_t j = 0; j < updated.size(); ++j) {
      cost += Same(old, new_head + static_cast<int64_t>(j), updated[j]) ? 0 : 1;
    }
    return cost;
  }

  TxnView& txn_;
  std::string meta_;
  std::string base_;
  bool wrong_type_ = false;
  bool exists_ = false;
  bool dirty_ = false;
  int64_t head_ = 0, tail_ = 0;
};

}  // namespace petacore::keyspace::types
