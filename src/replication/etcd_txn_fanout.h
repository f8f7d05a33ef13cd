// src/replication/etcd_txn_fanout.h — more writes in one etcd Txn than --max-txn-ops, by
// nesting them (issue 18 "No limit that Redis does not have").
//
// etcd 3.4 checks a Txn's lists against --max-txn-ops one list at a time, not summed
// (etcdserver/api/v3rpc/key.go checkTxnRequest): a Txn's "opc" is the longest of its compare,
// success and failure lists and must be ≤ its budget; each nested Txn in its branches gets
// budget − opc as its own budget, the same for every sibling. So a success list of k nested
// Txns without compares, each holding m writes, passes when k + m ≤ budget, and k × m writes
// travel in one Txn: one Raft entry, one revision, atomic as any Txn. Nesting deeper
// multiplies again: with etcd's default of 128, 64 × 64 = 4,096 writes at depth 1, about a
// million at depth 3. What then bounds one command is --max-request-bytes.
//
// Nesting keeps the writes' order (etcd applies a branch's ops in order, nested ones where
// they stand), and a list that passes etcd's duplicate-key check flat (checkIntervals) passes
// it as such a tree: the check over a tree compares a subset of the pairs it compares flat.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "etcdlink/types.h"

namespace petacore::replication {

/// The most writes a Txn list may carry, nested as deep as needed, when the Txn holding it
/// has `budget` operations left by its ancestors and its own compare/failure lists are
/// `own` long (etcd's opc of that Txn is max(own, the list's length)). 0 when `own` >
/// `budget`. Saturates at 2^40. Pure; thread-safe.
uint64_t FanOutCapacity(size_t budget, size_t own);

/// Appends `ops` to `list` (the success branch of a Txn with budget `budget` and compare /
/// failure lists `own` long): flat when they fit, else as the fewest nested Txns without
/// compares whose subtrees each fit what etcd leaves them, in order. Precondition:
/// ops.size() ≤ FanOutCapacity(budget, own) (a Txn built otherwise is refused by etcd with
/// "too many operations in txn request"). `list` must be empty.
void AppendFannedOut(std::vector<etcdlink::Op> ops, size_t budget, size_t own,
                     std::vector<etcdlink::Op>* list);

/// More compares than one Txn list holds, all of which must hold or the whole Txn is refused:
/// a "check" Txn for a Txn list whose budget is `budget`. Compares cannot simply be nested —
/// a nested Txn whose compares fail takes its own failure branch while the Txn around it
/// commits — but etcd 3.4 checks the ops of the branches its compares select before it
/// applies anything (applierV3backend.Txn: compareToPath, then checkRequests), and refuses
/// the whole Txn when one is invalid. So each leaf is Txn{compare: ≤ its budget of
/// `compares`, failure: [on_failure(i)]} for leaf i = 0, 1, ..., with on_failure an op that
/// check refuses: a Range at a future revision (OUT_OF_RANGE "mvcc: required revision is a
/// future revision", checked after every Put), or a Put with ignore_value of an absent key
/// (INVALID_ARGUMENT "key not found", checked first — so a tree of such leaves wins over a
/// tree of Range leaves in the same Txn). Puts must name a distinct key per leaf: etcd's
/// duplicate-key check refuses one key put in the failure branches of two siblings. Leaves
/// hang under Txns without compares as writes do in AppendFannedOut. A failing compare
/// anywhere in the tree makes etcd answer the whole Txn with that error, nothing applied and
/// no revision made. Holds up to FanOutCapacity(budget, 0) compares; precondition: `compares`
/// is not empty and budget ≥ 1. The result is owned by the caller.
std::shared_ptr<etcdlink::TxnRequest> CheckTree(
    std::vector<etcdlink::Compare> compares, size_t budget,
    const std::function<etcdlink::Op(size_t leaf)>& on_failure);

}  // namespace petacore::replication
