// src/server/write_keys.h — the store keys a write command names, for KeyLocks and folding.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/table.h"

namespace petacore::server {

/// Appends the store keys (database `db`) of every key `args` names through `spec`'s key specs
/// (commands::ExtractKeys: read keys too, so a write locks all it touches), if `spec` is a
/// write command; nothing otherwise. Pure.
void AppendWriteKeys(const commands::CommandSpec& spec, std::span<const std::string_view> args,
                     int db, std::vector<std::string>* keys);

}  // namespace petacore::server
