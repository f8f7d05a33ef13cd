// user.cc — ACL rule words applied to a User, and the User's descriptions (ACL LIST/GETUSER),
// with Redis 7.0's semantics and error texts (src/acl.c, ACLSetUser / ACLSetSelector).
#include "auth/user.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "auth/categories.h"
#include "commands/glob.h"

namespace petacore::auth {
namespace {

// Redis's ACLSetUserStringError texts, by the errno Redis uses for each.
constexpr std::string_view kErrUnknown = "Unknown command or category name in ACL";  // ENOENT
constexpr std::string_view kErrSyntax = "Syntax error";                              // EINVAL
constexpr std::string_view kErrKeyAfterAll =                                         // EEXIST
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns";
constexpr std::string_view kErrChannelAfterAll =  // EISDIR
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does "
    "not have any effect. Try 'resetchannels' to start with an empty list of channels";
constexpr std::string_view kErrNoSuchPassword =  // ENODEV
    "The password you are trying to remove from the user does not exist";
constexpr std::string_view kErrBadHash =  // EBADMSG
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";
constexpr std::string_view kErrSubFirstArg =  // ECHILD
    "Allowing first-arg of a subcommand is not supported";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsHash(std::string_view h) {
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Compares without an early exit, so the time does not tell how many bytes matched (as
// Redis's time_independent_strcmp).
bool SameHash(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

void Join(std::string* out, std::string_view word) {
  if (!out->empty()) out->push_back(' ');
  out->append(word);
}

}  // namespace

std::string PasswordHash(std::string_view password) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(password.data(), password.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 15]);
  }
  return hex;
}

User::User(std::string name, bool all_channels)
    : name_(std::move(name)),
      all_channels_(all_channels),
      pubsub_default_all_(all_channels),
      allowed_(Units().size(), false) {}

void User::SetUnit(int unit, bool allow) {
  allowed_[unit] = allow;
  first_args_.erase(unit);
  for (int sub : SubUnits(unit)) {
    allowed_[sub] = allow;
    first_args_.erase(sub);
  }
}

void User::SetCategory(uint32_t category, bool allow) {
  const auto& units = Units();
  for (size_t i = 0; i < units.size(); ++i) {
    if (units[i].categories & category) {
      allowed_[i] = allow;
      first_args_.erase(static_cast<int>(i));
    }
  }
}

void User::SetAllCommands(bool allow) {
  std::fill(allowed_.begin(), allowed_.end(), allow);
  first_args_.clear();
  all_commands_ = allow;
  rules_.clear();
}

void User::RecordRule(char sign, const std::string& name) {
  // A rule on "cmd" also replaces earlier ones on its subcommands and first args "cmd|...".
  std::erase_if(rules_, [&](const std::string& r) {
    std::string_view n = std::string_view(r).substr(1);
    return n == name || (n.size() > name.size() && n.starts_with(name) && n[name.size()] == '|');
  });
  rules_.push_back(sign + name);
}

std::string User::ApplyRule(std::string_view rule) {
  std::string word = Lower(rule);
  if (word == "on") {
    enabled_ = true;
  } else if (word == "off") {
    enabled_ = false;
  } else if (word == "skip-sanitize-payload") {
    sanitize_ = 2;
  } else if (word == "sanitize-payload") {
    sanitize_ = 1;
  } else if (word == "nopass") {
    nopass_ = true;
    passwords_.clear();
  } else if (word == "resetpass") {
    nopass_ = false;
    passwords_.clear();
  } else if (word == "allkeys") {
    all_keys_ = true;
    keys_.clear();
  } else if (word == "resetkeys") {
    all_keys_ = false;
    keys_.clear();
  } else if (word == "allchannels") {
    all_channels_ = true;
    channels_.clear();
  } else if (word == "resetchannels") {
    all_channels_ = false;
    channels_.clear();
  } else if (word == "allcommands" || word == "+@all") {
    SetAllCommands(true);
  } else if (word == "nocommands" || word == "-@all") {
    SetAllCommands(false);
  } else if (word == "clearselectors") {
    // Selectors are not supported, so there are none to clear.
  } else if (word == "reset") {
    // As Redis 7.0: resetchannels, then allchannels when acl-pubsub-default says so.
    for (std::string_view r : {"resetpass", "resetkeys", "resetchannels"}) ApplyRule(r);
    if (pubsub_default_all_) ApplyRule("allchannels");
    for (std::string_view r : {"off", "sanitize-payload", "-@all"}) ApplyRule(r);
  } else if (!rule.empty() && (rule[0] == '>' || rule[0] == '#')) {
    std::string hash;
    if (rule[0] == '>') {
      hash = PasswordHash(rule.substr(1));
    } else {
      if (!IsHash(rule.substr(1))) return std::string(kErrBadHash);
      hash = std::string(rule.substr(1));
    }
    if (std::find(passwords_.begin(), passwords_.end(), hash) == passwords_.end()) {
      passwords_.push_back(hash);
    }
    nopass_ = false;
  } else if (!rule.empty() && (rule[0] == '<' || rule[0] == '!')) {
    std::string hash;
    if (rule[0] == '<') {
      hash = PasswordHash(rule.substr(1));
    } else {
      if (!IsHash(rule.substr(1))) return std::string(kErrBadHash);
      hash = std::string(rule.substr(1));
    }
    auto it = std::find(passwords_.begin(), passwords_.end(), hash);
    if (it == passwords_.end()) return std::string(kErrNoSuchPassword);
    passwords_.erase(it);
  } else if (!rule.empty() && (rule[0] == '~' || rule[0] == '%')) {
    KeyPattern p;
    size_t tilde = 0;
    if (rule[0] == '%') {
      p.read = p.write = false;
      for (tilde = 1; tilde < rule.size() && rule[tilde] != '~'; ++tilde) {
        char c = static_cast<char>(std::toupper(static_cast<unsigned char>(rule[tilde])));
        if (c == 'R') {
          p.read = true;
        } else if (c == 'W') {
          p.write = true;
        } else {
          return std::string(kErrSyntax);
        }
      }
      if (tilde == rule.size() || (!p.read && !p.write)) return std::string(kErrSyntax);
    }
    if (all_keys_) return std::string(kErrKeyAfterAll);
    p.pattern = std::string(rule.substr(tilde + 1));
    if (p.pattern == "*" && p.read && p.write) {
      all_keys_ = true;
      keys_.clear();
      return "";
    }
    auto it = std::find_if(keys_.begin(), keys_.end(),
                           [&](const KeyPattern& k) { return k.pattern == p.pattern; });
    if (it == keys_.end()) {
      keys_.push_back(std::move(p));
    } else {
      it->read = it->read || p.read;
      it->write = it->write || p.write;
    }
  } else if (!rule.empty() && rule[0] == '&') {
    if (all_channels_) return std::string(kErrChannelAfterAll);
    std::string pattern(rule.substr(1));
    if (pattern == "*") {
      all_channels_ = true;
      channels_.clear();
    } else if (std::find(channels_.begin(), channels_.end(), pattern) == channels_.end()) {
      channels_.push_back(std::move(pattern));
    }
  } else if (word.size() > 1 && (word[0] == '+' || word[0] == '-')) {
    bool allow = word[0] == '+';
    std::string name = word.substr(1);
    if (name[0] == '@') {
      uint32_t category = CategoryByName(name.substr(1));
      if (category == 0) return std::string(kErrUnknown);
      SetCategory(category, allow);
      RecordRule(word[0], name);
      return "";
    }
    size_t bar = name.find('|');
    if (bar == std::string::npos) {
      int unit = FindUnit(name);
      if (unit < 0) return std::string(kErrUnknown);
      SetUnit(unit, allow);
      RecordRule(word[0], name);
      return "";
    }
    int parent = FindUnit(name.substr(0, bar));
    if (parent < 0 || Units()[parent].parent >= 0) return std::string(kErrUnknown);
    if (!SubUnits(parent).empty()) {  // a container: the name is a subcommand
      int sub = FindUnit(name);
      if (sub < 0) {
        return std::string(name.find('|', bar + 1) != std::string::npos ? kErrSubFirstArg
                                                                        : kErrUnknown);
      }
      SetUnit(sub, allow);
      RecordRule(word[0], name);
      return "";
    }
    // A plain command: "+cmd|arg" allows that first argument (Redis 7.0); "-cmd|arg" is
    // not a rule Redis accepts.
    std::string arg = name.substr(bar + 1);
    if (!allow || arg.empty()) return std::string(kErrUnknown);
    if (arg.find('|') != std::string::npos) return std::string(kErrSubFirstArg);
    if (!allowed_[parent]) first_args_[parent].insert(arg);
    RecordRule('+', name);
  } else {
    return std::string(kErrSyntax);  // also selectors "(...)", which are not supported
  }
  return "";
}

std::string User::ApplyRules(std::span<const std::string_view> rules, std::string* failed_rule) {
  for (auto rule : rules) {
    std::string err = ApplyRule(rule);
    if (!err.empty()) {
      *failed_rule = std::string(rule);
      return err;
    }
  }
  return "";
}

std::vector<std::string_view> User::Flags() const {
  std::vector<std::string_view> flags{enabled_ ? "on" : "off"};
  if (nopass_) flags.push_back("nopass");
  if (sanitize_ == 1) flags.push_back("sanitize-payload");
  if (sanitize_ == 2) flags.push_back("skip-sanitize-payload");
  return flags;
}

std::string User::DescribeCommands() const {
  std::string out = all_commands_ ? "+@all" : "-@all";
  for (const auto& r : rules_) Join(&out, r);
  return out;
}

std::string User::DescribeKeys() const {
  if (all_keys_) return "~*";
  std::string out;
  for (const auto& k : keys_) {
    std::string word = k.read && k.write ? "~" : k.read ? "%R~" : "%W~";
    Join(&out, word + k.pattern);
  }
  return out;
}

std::string User::DescribeChannels() const {
  if (all_channels_) return "&*";
  std::string out;
  for (const auto& c : channels_) Join(&out, "&" + c);
  return out;
}

std::string User::Describe() const {
  std::string out;
  for (auto f : Flags()) Join(&out, f);
  for (const auto& h : passwords_) Join(&out, "#" + h);
  if (std::string keys = DescribeKeys(); !keys.empty()) Join(&out, keys);
  if (all_channels_) {
    Join(&out, "&*");
  } else {
    Join(&out, "resetchannels");
    if (!channels_.empty()) Join(&out, DescribeChannels());
  }
  Join(&out, DescribeCommands());
  return out;
}

void User::Seal() {
  unrestricted_ = all_keys_ && all_channels_ &&
                  std::all_of(allowed_.begin(), allowed_.end(), [](bool b) { return b; });
}

bool User::CheckPassword(std::string_view password) const {
  if (!enabled_) return false;
  if (nopass_) return true;
  std::string hash = PasswordHash(password);
  bool match = false;
  for (const auto& h : passwords_) match = SameHash(h, hash) || match;
  return match;
}

bool User::CanRun(int unit, std::string_view first_arg) const {
  if (unit < 0 || unit >= static_cast<int>(allowed_.size())) return all_commands_;
  if (allowed_[unit]) return true;
  auto it = first_args_.find(unit);
  return it != first_args_.end() && !first_arg.empty() && it->second.count(Lower(first_arg));
}

bool User::CanAccessKey(std::string_view key, bool read, bool write) const {
  if (all_keys_) return true;
  for (const auto& k : keys_) {
    if ((read && !k.read) || (write && !k.write)) continue;
    if (commands::GlobMatch(k.pattern, key)) return true;
  }
  return false;
}

bool User::CanAccessChannel(std::string_view channel, bool is_pattern) const {
  if (all_channels_) return true;
  for (const auto& p : channels_) {
    if (is_pattern ? p == channel : commands::GlobMatch(p, channel)) return true;
  }
  return false;
}

bool User::ChannelsNarrowed(const User& before, const User& after) {
  if (after.all_channels_) return false;
  if (before.all_channels_) return true;
  for (const auto& p : before.channels_) {
    if (std::find(after.channels_.begin(), after.channels_.end(), p) == after.channels_.end()) {
      return true;
    }
  }
  return false;
}

}  // namespace petacore::auth
