// src/auth/user.h — an ACL user: flags, password hashes, key and channel patterns and command
// permissions, changed by Redis's ACL rule words ("on", ">pass", "~key*", "+@read", ...).
//
// The model follows Redis 7.0's root selector (src/acl.c); selectors "(...)" are not
// supported. A User is a plain value: copy it, apply rules to the copy, publish it; it does
// no I/O and knows nothing of storage (src/auth/registry.h keeps the users).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace petacore::auth {

/// SHA-256 of `password`, as 64 lower-case hex digits (Redis's stored password form).
std::string PasswordHash(std::string_view password);

/// A key pattern with its permissions: "~p" (read and write), "%R~p", "%W~p".
struct KeyPattern {
  bool read = true;
  bool write = true;
  std::string pattern;
};

/// Where a permission check failed (Redis's ACL_DENIED_CMD / _KEY / _CHANNEL).
enum class Denial : uint8_t { kNone, kCommand, kKey, kChannel };

class User {
 public:
  /// A new user as Redis creates one: off, no passwords, no keys, no commands, and no
  /// channels — or every channel when `all_channels` (acl-pubsub-default allchannels, which
  /// Redis 7.0 applies to the users it creates). `all_channels` is also what "reset" gives.
  explicit User(std::string name, bool all_channels = false);

  /// What the "reset" rule does to channels from now on: allchannels when `all`, else
  /// resetchannels (Redis 7.0 reads acl-pubsub-default when it applies "reset"). Set it on a
  /// copy before ApplyRules; it is not part of Describe.
  void SetPubsubDefault(bool all) { pubsub_default_all_ = all; }

  /// Applies one rule word, as ACL SETUSER does (case-insensitive keywords). On failure the
  /// user may be half-changed: apply rules to a copy. Returns "" or Redis's reason text (the
  /// part after "Error in ACL SETUSER modifier '<rule>': ").
  std::string ApplyRule(std::string_view rule);
  /// Applies every rule of `rules` in order; stops at the first failure (its rule in
  /// *failed_rule, the reason returned).
  std::string ApplyRules(std::span<const std::string_view> rules, std::string* failed_rule);

  /// The rule line that rebuilds this user from a new one, as ACL LIST shows it after
  /// "user <name> ": "on #<hash> ~k* resetchannels -@all +get". Also the stored form.
  std::string Describe() const;
  /// ACL GETUSER's "commands" field: "+@all", "-@all +get +set", ...
  std::string DescribeCommands() const;
  /// ACL GETUSER's "keys" field: "~*", "%R~a* ~b*", "" (none).
  std::string DescribeKeys() const;
  /// ACL GETUSER's "channels" field: "&*", "&a &b", "".
  std::string DescribeChannels() const;
  /// ACL GETUSER's "flags": on|off, then nopass, sanitize-payload / skip-sanitize-payload.
  std::vector<std::string_view> Flags() const;

  /// Whether `password` matches (any password for a nopass user). Disabled users never match.
  bool CheckPassword(std::string_view password) const;

  /// Whether this user may run permission unit `unit` (src/auth/categories.h) with first
  /// argument `first_arg` (empty when none).
  bool CanRun(int unit, std::string_view first_arg) const;
  /// Whether `key` is covered by a pattern granting read (`read`) and/or write (`write`).
  bool CanAccessKey(std::string_view key, bool read, bool write) const;
  /// Whether the channel rules allow `channel` (Redis 7.0's ACLCheckChannelAgainstList):
  /// always under allchannels; else a channel must match one of the "&" patterns (glob), and
  /// a pattern (`is_pattern`: PSUBSCRIBE's argument) must equal one of them literally.
  bool CanAccessChannel(std::string_view channel, bool is_pattern) const;
  /// Whether `after`'s channel rules drop something `before` allowed (Redis 7.0's test in
  /// ACLKillPubsubClientsIfNeeded): allchannels lost, or one of `before`'s "&" patterns is
  /// not in `after`'s list. Only then may a subscriber of the user have lost a channel.
  static bool ChannelsNarrowed(const User& before, const User& after);

  /// Computes unrestricted(); call once the user is final, before sharing it.
  void Seal();
  /// Every command on every key and channel (the checks can be skipped). False until Seal().
  bool unrestricted() const { return unrestricted_; }

  const std::string& name() const { return name_; }
  bool enabled() const { return enabled_; }
  bool nopass() const { return nopass_; }
  const std::vector<std::string>& password_hashes() const { return passwords_; }

 private:
  void SetUnit(int unit, bool allow);
  void SetCategory(uint32_t category, bool allow);
  void SetAllCommands(bool allow);
  /// Records a command rule for Describe: drops an earlier rule on the same name, appends.
  void RecordRule(char sign, const std::string& name);

  std::string name_;
  bool enabled_ = false;
  bool nopass_ = false;
  int sanitize_ = 0;  ///< 0 unset, 1 sanitize-payload, 2 skip-sanitize-payload (stored only)
  std::vector<std::string> passwords_;  ///< SHA-256 hex, in insertion order, no duplicates
  bool all_keys_ = false;
  std::vector<KeyPattern> keys_;
  bool all_channels_ = false;
  std::vector<std::string> channels_;  ///< "&" patterns, in insertion order, no duplicates
  bool pubsub_default_all_ = false;    ///< "reset" gives allchannels (acl-pubsub-default)
  /// Command permissions: one bit per unit; `all_commands_` also allows units added later
  /// (Redis's +@all "future commands" bit).
  std::vector<bool> allowed_;
  bool all_commands_ = false;
  /// Per unit, first arguments allowed although the unit is not ("+get|x", Redis 7.0).
  std::map<int, std::set<std::string>> first_args_;
  /// The command rules since the last +@all/-@all, for Describe ("+get", "-@read", ...).
  std::vector<std::string> rules_;
  bool unrestricted_ = false;
};

}  // namespace petacore::auth
