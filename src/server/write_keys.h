// src/server/write_keys.h — the store keys a write command names, for KeyLocks and folding.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/table.h"

namespace petacore::server {

/// Appends the store keys (database `db`) that `args` names at the key positions of `spec`
/// (Redis's first/last/step), if `spec` is a write command; nothing otherwise. Pure.
void AppendWriteKeys(const commands::CommandSpec& spec, std::span<const std::string_view> args,
                     int db, std::vector<std::string>* keys);

}  // namespace petacore::server
