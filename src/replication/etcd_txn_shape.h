// src/replication/etcd_txn_shape.h — etcd's rules for the writes of one Txn, applied to a
// neutral CommitRequest (committer.h) before it becomes an etcd Txn.
#pragma once

#include <vector>

#include "replication/committer.h"

namespace petacore::replication {

/// etcd refuses a Txn whose success branch writes a key twice ("duplicate key given in txn
/// request", etcd's checkIntervals): a put may not fall inside a DeleteRange of the same Txn.
/// A CommitRequest allows that (its range deletes take effect first), so this cuts every
/// kDeleteRange of `writes` around the keys of its single-key ops: [a, e) with a put of c
/// becomes [a, c) and [c\0, e). The effect is the same; empty pieces are dropped; an empty
/// range_end (unbounded) stays unbounded on the last piece. The pieces come first, then the
/// single-key ops in their order. Pure function of its input; thread-compatible.
void CutRangeDeletesAroundKeys(std::vector<WriteOp>* writes);

}  // namespace petacore::replication
