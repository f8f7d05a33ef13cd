// registry.cc — the published ACL users, rebuilt from applied store batches.
#include "auth/registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

namespace petacore::auth {
namespace {

std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

}  // namespace

std::string UserKey(std::string_view name) {
  std::string key(kUserKeyPrefix);
  key.append(name);
  return key;
}

std::shared_ptr<const User> ParseStoredUser(std::string_view name, std::string_view line) {
  auto user = std::make_shared<User>(std::string(name));
  auto words = SplitWords(line);
  std::string failed;
  std::string err = user->ApplyRules(words, &failed);
  if (!err.empty()) {
    spdlog::error("ACL user '{}' stored with an invalid rule '{}': {}; ignored", name, failed, err);
    return nullptr;
  }
  user->Seal();
  return user;
}

Registry::Registry() { Configure(""); }

void Registry::Configure(std::string_view requirepass) {
  auto user = std::make_shared<User>("default");
  std::string rules = requirepass.empty() ? "on nopass ~* &* +@all"
                                          : "on #" + PasswordHash(requirepass) + " ~* &* +@all";
  std::string failed;
  user->ApplyRules(SplitWords(rules), &failed);
  user->Seal();
  {
    std::unique_lock lock(mu_);
    config_default_ = std::move(user);
  }
  epoch_.fetch_add(1, std::memory_order_acq_rel);
}

std::vector<std::string> Registry::OnApplied(std::span<const mvcc::Mutation> batch,
                                             std::vector<std::string>* narrowed) {
  std::vector<std::string> gone;
  bool changed = false;
  for (const auto& m : batch) {
    if (!std::string_view(m.key).starts_with(kUserKeyPrefix)) continue;
    std::string name = m.key.substr(kUserKeyPrefix.size());
    std::shared_ptr<const User> user;
    if (m.kind == mvcc::Mutation::Kind::kPut) user = ParseStoredUser(name, m.value);
    std::unique_lock lock(mu_);
    if (user) {
      if (narrowed != nullptr) {
        auto it = stored_.find(name);
        const User* before = it != stored_.end() ? it->second.get()
                             : name == "default" ? config_default_.get()
                                                 : nullptr;
        if (before != nullptr && User::ChannelsNarrowed(*before, *user)) {
          narrowed->push_back(name);
        }
      }
      stored_[name] = std::move(user);
    } else if (stored_.erase(name) > 0 && name != "default") {
      gone.push_back(name);
    }
    changed = true;
  }
  if (changed) epoch_.fetch_add(1, std::memory_order_acq_rel);
  return gone;
}

std::shared_ptr<const User> Registry::Find(std::string_view name) const {
  std::shared_lock lock(mu_);
  if (auto it = stored_.find(name); it != stored_.end()) return it->second;
  if (name == "default") return config_default_;
  return nullptr;
}

std::shared_ptr<const User> Registry::Default() const { return Find("default"); }

std::vector<std::shared_ptr<const User>> Registry::All() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<const User>> all;
  if (!stored_.count("default")) all.push_back(config_default_);
  for (const auto& [name, user] : stored_) all.push_back(user);
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a->name() < b->name(); });
  return all;
}

void AclLog::Add(AclLogEntry entry) {
  std::lock_guard lock(mu_);
  size_t scan = std::min<size_t>(10, entries_.size());
  for (size_t i = 0; i < scan; ++i) {
    AclLogEntry& e = entries_[i];
    if (e.reason == entry.reason && e.context == entry.context && e.object == entry.object &&
        e.username == entry.username && entry.ctime_ms - e.ctime_ms <= kGroupingMs) {
      AclLogEntry merged = std::move(e);
      merged.count++;
      merged.ctime_ms = entry.ctime_ms;
      merged.client_info = std::move(entry.client_info);
      entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
      entries_.push_front(std::move(merged));
      return;
    }
  }
  entry.count = 1;
  entries_.push_front(std::move(entry));
  while (entries_.size() > kMaxLen) entries_.pop_back();
}

std::vector<AclLogEntry> AclLog::Newest(size_t count) const {
  std::lock_guard lock(mu_);
  count = std::min(count, entries_.size());
  return {entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(count)};
}

void AclLog::Reset() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

}  // namespace petacore::auth
