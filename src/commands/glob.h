// src/commands/glob.h — Redis's glob-style pattern matching (KEYS, SCAN MATCH).
#pragma once

#include <string_view>

namespace petacore::commands {

/// Matches `text` against `pattern` with Redis's rules: '*' any run, '?' one byte,
/// '[abc]' '[^abc]' '[a-z]' classes, '\x' a literal x. Binary safe; case-sensitive.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace petacore::commands
