// mvcc/skiplist.h — the ordered key index: a single-writer, lock-free-read skip list.
//
// One writer inserts and removes; any number of readers search and iterate concurrently without
// locks. The writer fully builds a node (key, tower pointers) before linking it, and links it
// level by level from the bottom with release stores; readers follow pointers with acquire
// loads, so a reader that reaches a node sees it complete. Remove unlinks a node by pointing its
// predecessors past it and never touches the removed node's own tower, so a reader standing on
// it still walks on to nodes that were its successors; the caller retires the node through the
// epoch scheme (reclaim.h) instead of freeing it, since pinned readers may hold it. Tower
// heights are geometric with p = 1/4: an expected 1.33 pointers per node and ~log4(n) levels
// to descend.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <string_view>

#include "mvcc/node.h"

namespace petacore::mvcc::internal {

class SkipList {
 public:
  static constexpr int kMaxHeight = 20;  // 4^20 keys before the top level gets crowded

  SkipList() : head_(Node::Make({}, kMaxHeight)) {}
  ~SkipList() {
    Node* n = head_;
    while (n != nullptr) {
      Node* next = n->next(0).load(std::memory_order_relaxed);
      Node::Free(n);
      n = next;
    }
  }
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  /// First node with key >= `key`, or nullptr. Reader- and writer-safe.
  Node* Seek(std::string_view key) const {
    Node* x = head_;
    for (int level = height_.load(std::memory_order_relaxed) - 1;;) {
      Node* nx = x->next_acquire(level);
      if (nx != nullptr && CompareKeys(nx->key(), key) < 0) {
        x = nx;
      } else if (level == 0) {
        return nx;
      } else {
        --level;
      }
    }
  }

  /// The node of exactly `key`, or nullptr.
  Node* Find(std::string_view key) const {
    Node* n = Seek(key);
    return (n != nullptr && n->key() == key) ? n : nullptr;
  }

  /// The smallest key's node, or nullptr if empty.
  Node* First() const { return head_->next_acquire(0); }
  static Node* Next(const Node* n) { return n->next_acquire(0); }

  /// Writer only: links a new node for `key`, which must not be present. Returns it.
  Node* Insert(std::string_view key) {
    Node* preds[kMaxHeight];
    Node* x = head_;
    int top = height_.load(std::memory_order_relaxed);
    for (int level = kMaxHeight - 1; level >= 0; --level) {
      if (level < top) {
        for (;;) {
          Node* nx = x->next(level).load(std::memory_order_relaxed);
          if (nx == nullptr || CompareKeys(nx->key(), key) >= 0) break;
          x = nx;
        }
      }
      preds[level] = x;
    }
    int height = RandomHeight();
    Node* n = Node::Make(key, height);
    for (int level = 0; level < height; ++level) {
      n->next(level).store(preds[level]->next(level).load(std::memory_order_relaxed),
                           std::memory_order_relaxed);
    }
    // Publishing bottom-up: a reader who meets `n` at level i finds it linked below i too.
    for (int level = 0; level < height; ++level) {
      preds[level]->next(level).store(n, std::memory_order_release);
    }
    // Raising the height last is fine: a reader with the old height just starts lower.
    if (height > top) height_.store(height, std::memory_order_relaxed);
    ++size_;
    return n;
  }

  /// Writer only: unlinks `n`, which must be in the list. The caller frees it only after
  /// every reader pinned before this call has unpinned (reclaim.h); n's tower is left as it
  /// was, so a reader standing on n walks on to its old successors. Such a reader misses
  /// nodes inserted after this call — their versions are all newer than its snapshot.
  void Remove(Node* n) {
    Node* x = head_;
    std::string_view key = n->key();
    for (int level = height_.load(std::memory_order_relaxed) - 1; level >= 0; --level) {
      for (;;) {
        Node* nx = x->next(level).load(std::memory_order_relaxed);
        if (nx == nullptr || nx == n || CompareKeys(nx->key(), key) >= 0) break;
        x = nx;
      }
      // Top-down: once unlinked at a level, new descents reach n only through lower levels,
      // and those are unlinked next.
      if (level < n->height && x->next(level).load(std::memory_order_relaxed) == n) {
        x->next(level).store(n->next(level).load(std::memory_order_relaxed),
                             std::memory_order_release);
      }
    }
    --size_;
  }

  /// Writer only: nodes in the list (keys written and not yet removed).
  size_t size() const { return size_; }

 private:
  int RandomHeight() {
    // xorshift64*: deterministic per list, cheap, and good enough for tower heights.
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    uint64_t r = rng_ * 0x2545F4914F6CDD1DULL;
    // Each pair of low zero bits is one more level: P(height > k) = 4^-k.
    int height = 1 + std::countr_zero(r | (1ULL << 62)) / 2;
    return height < kMaxHeight ? height : kMaxHeight;
  }

  Node* const head_;  // sentinel with a full tower and an empty key
  std::atomic<int> height_{1};
  size_t size_ = 0;
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace petacore::mvcc::internal
