// tests/etcdlink/etcd_env.h — the one etcd shared by every test in etcdlink_test.
//
// Tests run sequentially and each writes under its own key prefix (TestPrefix()), so they do
// not see each other's keys; the watcher-resume test kills and restarts this etcd, which the
// others tolerate because it is back up (same ports, same data) when that test ends.
#pragma once

#include <memory>
#include <string>

#include "etcdlink/client.h"
#include "tests/support/etcd_process.h"

namespace petacore::etcdlink::testing {

/// The shared etcd, started before the first test.
test::EtcdProcess& Etcd();
/// A client of the shared etcd with the given call timeout.
std::unique_ptr<Client> MakeClient(
    std::chrono::milliseconds call_timeout = std::chrono::milliseconds(5000));
/// "/t/<Suite>.<Test>/": a key prefix private to the running test, emptied by this call.
std::string TestPrefix();

}  // namespace petacore::etcdlink::testing
