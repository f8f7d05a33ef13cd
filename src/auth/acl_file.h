// src/auth/acl_file.h — Redis's ACL file (the `aclfile` option): one "user <name> <rule>..."
// line per user, read by ACL LOAD and written by ACL SAVE (acl_family.cc), as Redis 7.0.15's
// ACLLoadFromFile / ACLSaveToFile (src/acl.c). The file is node-local; the users it loads are
// stored in etcd like ACL SETUSER's (auth/registry.h), so every node enforces them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/user.h"

namespace petacore::auth {

/// Reads and checks the ACL file at `path`. On success returns "" and fills *users (in file
/// order; a file without "default" gets Redis's new default user: on, nopass, every key,
/// channel and command). On any error returns Redis's one-line error text (every line's
/// problem, then "WARNING: ACL errors detected, no change to the previously active ACL rules
/// was performed"; or "Error loading ACLs, opening file '<path>': <reason>") and *users is
/// unspecified. `all_channels`: acl-pubsub-default is allchannels (the users it creates).
/// Pure apart from reading the file; thread-safe.
std::string LoadAclFile(const std::string& path, bool all_channels, std::vector<User>* users);

/// Writes `users` to `path` as "user <name> <Describe()>\n" lines, through a temporary file
/// renamed over it (as Redis). Returns "" or the reason it failed (for the log).
std::string SaveAclFile(const std::string& path,
                        const std::vector<std::shared_ptr<const User>>& users);

}  // namespace petacore::auth
