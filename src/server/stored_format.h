// src/server/stored_format.h — the stored-format marker: which layout of keys and values the
// etcd data under --etcd-prefix has (keyspace/chunked_value.h: kFormatKey, kStoredFormat).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "etcdlink/client.h"

namespace petacore::server {

/// Writes the marker when etcd has none (the first node of a new data set; a Txn, so two
/// nodes starting at once agree), else checks it names the format this build knows; a
/// marker naming a format IsUpgradableFormat accepts is rewritten to kStoredFormat
/// (compared, so concurrent starts agree).
/// Blocking. Errors: FAILED_PRECONDITION with the message to print when the marker names
/// another format (the node must refuse to start); etcd's own error otherwise.
absl::Status CheckStoredFormat(etcdlink::Client& client, const std::string& etcd_prefix);

}  // namespace petacore::server
