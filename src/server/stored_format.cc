#include "server/stored_format.h"

#include <memory>

#include "keyspace/chunked_value.h"

namespace petacore::server {

absl::Status CheckStoredFormat(etcdlink::Client& client, const std::string& etcd_prefix) {
  const std::string key = etcd_prefix + std::string(keyspace::kFormatKey);
  etcdlink::TxnRequest txn;
  etcdlink::Compare absent;
  absent.target = etcdlink::Compare::Target::kCreate;
  absent.result = etcdlink::Compare::Result::kEqual;
  absent.key = key;
  absent.number = 0;
  txn.compare.push_back(absent);
  txn.success.push_back(etcdlink::Op::Put(key, std::string(keyspace::kStoredFormat)));
  txn.failure.push_back(etcdlink::Op::Get(key));
  auto r = client.Txn(txn);
  if (!r.ok()) return r.status();
  if (r->succeeded) return absl::OkStatus();
  std::string found;
  if (!r->responses.empty() && !r->responses[0].kvs.empty()) found = r->responses[0].kvs[0].value;
  if (found == keyspace::kStoredFormat) return absl::OkStatus();
  if (keyspace::IsUpgradableFormat(found)) {
    // Formats 2 and 3 are format 4 without its later additions: mark the data set 4, so that
    // nodes of a build that knows only an older format refuse to start on it from now on.
    etcdlink::TxnRequest up;
    etcdlink::Compare still;
    still.target = etcdlink::Compare::Target::kValue;
    still.key = key;
    still.value = found;
    up.compare.push_back(std::move(still));
    up.success.push_back(etcdlink::Op::Put(key, std::string(keyspace::kStoredFormat)));
    up.failure.push_back(etcdlink::Op::Get(key));
    auto u = client.Txn(up);
    if (!u.ok()) return u.status();
    if (u->succeeded) return absl::OkStatus();
    if (!u->responses.empty() && !u->responses[0].kvs.empty() &&
        u->responses[0].kvs[0].value == keyspace::kStoredFormat) {
      return absl::OkStatus();  // another node upgraded it meanwhile
    }
    found = u->responses.empty() || u->responses[0].kvs.empty() ? ""
                                                               : u->responses[0].kvs[0].value;
  }
  return absl::FailedPreconditionError(
      "etcd holds PetaCore data in stored format '" + found + "' (key '" + etcd_prefix +
      "\\xffformat'); this build reads only format '" + std::string(keyspace::kStoredFormat) +
      "' (and upgrades '2' and '3' to it). Refusing to start: run a PetaCore version that "
      "knows that format, or point "
      "--etcd-prefix elsewhere.");
}

}  // namespace petacore::server
