// src/replication/compare_merge.h — fewer etcd compares for a command that read many absent
// keys (issue 18 "No limit that Redis does not have"): MSETNX, EXISTS-then-write or a script
// reading hundreds of keys that do not exist, on an etcd whose --max-txn-ops is below that.
//
// A compare cannot be nested without losing atomicity (etcd_txn_fanout.h), but an etcd
// Compare may name a key range (Compare.range_end): "every key in [a, b) has mod_revision <
// S + 1" holds exactly when no key of the range was created or changed after revision S.
// For keys that were absent at S that is the same condition as their own compares (absent
// now, or written by nobody since); for the other keys of the range it is stronger, so a
// change to one of them after S makes the command conflict and run again on fresh data —
// never a wrong answer. Deletions cannot be seen by a range compare, which is why only the
// compares of absent keys are merged: a present key keeps its own compare.
#pragma once

#include <cstddef>

#include "replication/committer.h"

namespace petacore::replication {

/// Replaces the compares of absent keys (KeyRevision::mod_revision 0, with or without
/// absent_below) in `req` by range compares at req->snapshot_revision, each over a run of
/// consecutive absent keys in byte order, as few as make the request's compares
/// (compares + range_compares) at most `max_compares`. Returns false, leaving `req`
/// unchanged, when that is not possible (no snapshot revision, no room for even one range)
/// or not needed. Guards (WATCHed keys) are left alone: their failure means a nil EXEC.
bool MergeAbsentCompares(CommitRequest* req, size_t max_compares);

}  // namespace petacore::replication
