// acl_file.cc — ACL LOAD / ACL SAVE's file format (acl_file.h), as Redis 7.0.15's src/acl.c.
#include "auth/acl_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace petacore::auth {
namespace {

std::string_view Trim(std::string_view s, std::string_view chars) {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(chars);
  return s.substr(b, e - b + 1);
}

// Splits on single spaces, as Redis's sdssplitlen(line, " "): empty fields between two
// spaces are kept (and later refused as rules).
std::vector<std::string_view> SplitSpaces(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t sp = line.find(' ', start);
    if (sp == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, sp - start));
    start = sp + 1;
  }
}

constexpr std::string_view kUnknownRule = "Unknown command or category name in ACL";

}  // namespace

std::string LoadAclFile(const std::string& path, bool all_channels, std::vector<User>* users) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return "Error loading ACLs, opening file '" + path + "': " + std::strerror(errno);
  }
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  std::string errors;
  std::set<std::string, std::less<>> seen;
  users->clear();
  size_t pos = 0;
  for (int linenum = 1; pos <= text.size(); ++linenum) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line = Trim(std::string_view(text).substr(pos, nl - pos), " \t\r\n");
    pos = nl + 1;
    if (line.empty()) continue;
    auto argv = SplitSpaces(line);
    std::string where = path + ":" + std::to_string(linenum);
    if (argv[0] != "user" || argv.size() < 2) {
      errors += where + " should start with user keyword followed by the username. ";
      continue;
    }
    std::string_view name = argv[1];
    if (name.find_first_of(std::string_view(" \0", 2)) != std::string_view::npos) {
      errors += "'" + where + ": username '" + std::string(name) + "' contains invalid characters. ";
      continue;
    }
    if (!seen.insert(std::string(name)).second) {
      errors += "WARNING: Duplicate user '" + std::string(name) + "' found on line " +
                std::to_string(linenum) + ". ";
      continue;
    }
    User user{std::string(name), all_channels};
    user.SetPubsubDefault(all_channels);
    bool syntax_error = false;
    for (size_t i = 2; i < argv.size(); ++i) {
      std::string_view rule = Trim(argv[i], "\t\r\n");
      std::string err = user.ApplyRule(rule);
      if (err.empty()) continue;
      if (err == kUnknownRule) {  // Redis's ENOENT: the rule is named, it holds no secret
        errors += where + ": Error in applying operation '" + std::string(rule) + "': " + err +
                  ". ";
      } else if (!syntax_error) {  // only the first: it may explain the next ones
        errors += where + ": " + err + ". ";
        syntax_error = true;
      }
    }
    if (errors.empty()) users->push_back(std::move(user));
  }
  if (!errors.empty()) {
    return errors +
           "WARNING: ACL errors detected, no change to the previously active ACL rules was "
           "performed";
  }
  if (!seen.contains("default")) {
    User def{"default", all_channels};
    static constexpr std::string_view kDefaultRules[] = {"on", "nopass", "~*", "&*", "+@all"};
    std::string failed;
    def.ApplyRules(kDefaultRules, &failed);
    users->push_back(std::move(def));
  }
  return "";
}

std::string SaveAclFile(const std::string& path,
                        const std::vector<std::shared_ptr<const User>>& users) {
  std::string text;
  for (const auto& u : users) text += "user " + u->name() + " " + u->Describe() + "\n";
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::string tmp = path + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(now);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return "opening temp ACL file for ACL SAVE: " + std::string(std::strerror(errno));
  std::string error;
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    error = "writing ACL file for ACL SAVE: " + std::string(std::strerror(errno));
  }
  if (fsync(fd) != 0 && error.empty()) error = "fsync of the ACL file: " + std::string(std::strerror(errno));
  close(fd);
  if (error.empty() && rename(tmp.c_str(), path.c_str()) != 0) {
    error = "renaming ACL file for ACL SAVE: " + std::string(std::strerror(errno));
  }
  if (!error.empty()) unlink(tmp.c_str());
  return error;
}

}  // namespace petacore::auth
