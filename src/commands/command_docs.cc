// command_docs.cc — COMMAND DOCS: the documentation data (generated, command_docs_data.inc)
// and Redis 7.0's reply layout (commandDocsCommand / addReplyCommandDocs).
#include "commands/command_docs.h"

#include <bit>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/table.h"

namespace petacore::commands {
namespace {

enum ArgFlag : uint8_t { kArgOptional = 1, kArgMultiple = 2, kArgMultipleToken = 4 };
enum DocFlag : uint8_t { kDocDeprecated = 1, kDocSyscmd = 2 };

/// One argument of a command's syntax (Redis's "arguments" entries; nested for blocks).
struct ArgDoc {
  std::string_view name = {};
  std::string_view type = {};  ///< "key", "string", "integer", "oneof", "block", ...
  std::string_view display_text = {};
  int key_spec_index = -1;
  std::string_view token = {};
  std::string_view summary = {};
  std::string_view since = {};
  std::string_view deprecated_since = {};
  uint8_t flags = 0;  ///< ArgFlag bits
  std::span<const ArgDoc> arguments = {};
};

struct HistoryDoc {
  std::string_view version;
  std::string_view change;
};

/// One command's or subcommand's docs, by full name.
struct CommandDoc {
  std::string_view name = {};
  std::string_view summary = {};
  std::string_view since = {};
  std::string_view group = {};
  std::string_view complexity = {};
  uint8_t doc_flags = 0;  ///< DocFlag bits
  std::string_view deprecated_since = {};
  std::string_view replaced_by = {};
  std::span<const HistoryDoc> history = {};
  std::span<const ArgDoc> arguments = {};
};

#include "commands/command_docs_data.inc"

// PetaCore's own entries (not in Redis, so not generated).
constexpr CommandDoc kPetacoreDocs[] = {
    {.name = "petacore",
     .summary = "A container for PetaCore connection settings",
     .since = "0.1.0",
     .group = "connection",
     .complexity = "Depends on subcommand."},
    {.name = "petacore|help",
     .summary = "Show helpful text about the different subcommands",
     .since = "0.1.0",
     .group = "connection",
     .complexity = "O(1)"},
    {.name = "petacore|readconsistency",
     .summary = "Get or set the connection's read consistency (LOCAL or LINEARIZABLE)",
     .since = "0.1.0",
     .group = "connection",
     .complexity = "O(1)"},
    {.name = "client|setinfo",
     .summary = "Set client or connection specific info",
     .since = "7.2.0",
     .group = "connection",
     .complexity = "O(1)"},
};

const CommandDoc* FindDoc(std::string_view fullname) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, const CommandDoc*>;
    for (const auto& d : kCommandDocs) (*m)[d.name] = &d;
    for (const auto& d : kPetacoreDocs) (*m)[d.name] = &d;
    return m;
  }();
  auto it = index->find(fullname);
  return it == index->end() ? nullptr : it->second;
}

void ArgsReply(CommandContext& ctx, std::span<const ArgDoc> args) {
  ctx.out.ArrayHeader(args.size());
  for (const auto& a : args) {
    size_t n = 2 + !a.display_text.empty() + (a.key_spec_index >= 0) + (a.token.data() != nullptr) +
               !a.summary.empty() + !a.since.empty() + !a.deprecated_since.empty() +
               (a.flags != 0) + !a.arguments.empty();
    ctx.out.MapHeader(n);
    ctx.out.Bulk("name");
    ctx.out.Bulk(a.name);
    ctx.out.Bulk("type");
    ctx.out.Bulk(a.type);
    auto field = [&](std::string_view key, std::string_view value) {
      if (value.empty()) return;
      ctx.out.Bulk(key);
      ctx.out.Bulk(value);
    };
    field("display_text", a.display_text);
    if (a.key_spec_index >= 0) {
      ctx.out.Bulk("key_spec_index");
      ctx.out.Integer(a.key_spec_index);
    }
    if (a.token.data() != nullptr) {  // present, even "" (MIGRATE's empty-string token)
      ctx.out.Bulk("token");
      ctx.out.Bulk(a.token);
    }
    field("summary", a.summary);
    field("since", a.since);
    field("deprecated_since", a.deprecated_since);
    if (a.flags != 0) {
      ctx.out.Bulk("flags");
      ctx.out.SetHeader(std::popcount(a.flags));  // sets in RESP3, as Redis 7.0.15
      if (a.flags & kArgOptional) ctx.out.Simple("optional");
      if (a.flags & kArgMultiple) ctx.out.Simple("multiple");
      if (a.flags & kArgMultipleToken) ctx.out.Simple("multiple_token");
    }
    if (!a.arguments.empty()) {
      ctx.out.Bulk("arguments");
      ArgsReply(ctx, a.arguments);
    }
  }
}

void DocReply(CommandContext& ctx, const CommandSpec& spec) {
  static constexpr CommandDoc kNone = {};
  const CommandDoc* doc = FindDoc(spec.fullname);
  const CommandDoc& d = doc ? *doc : kNone;
  size_t n = 3 + !d.complexity.empty() + (d.doc_flags != 0) + !d.deprecated_since.empty() + !d.replaced_by.empty() +
             !d.history.empty() + !d.arguments.empty() + !spec.subcommands.empty();
  ctx.out.MapHeader(n);
  ctx.out.Bulk("summary");
  ctx.out.Bulk(d.summary);
  ctx.out.Bulk("since");
  ctx.out.Bulk(d.since);
  ctx.out.Bulk("group");
  ctx.out.Bulk(d.group);
  if (!d.complexity.empty()) {  // Redis's docs have none for LOLWUT
    ctx.out.Bulk("complexity");
    ctx.out.Bulk(d.complexity);
  }
  if (d.doc_flags != 0) {
    ctx.out.Bulk("doc_flags");
    ctx.out.SetHeader(std::popcount(d.doc_flags));
    if (d.doc_flags & kDocDeprecated) ctx.out.Simple("deprecated");
    if (d.doc_flags & kDocSyscmd) ctx.out.Simple("syscmd");
  }
  if (!d.deprecated_since.empty()) {
    ctx.out.Bulk("deprecated_since");
    ctx.out.Bulk(d.deprecated_since);
  }
  if (!d.replaced_by.empty()) {
    ctx.out.Bulk("replaced_by");
    ctx.out.Bulk(d.replaced_by);
  }
  if (!d.history.empty()) {
    ctx.out.Bulk("history");
    ctx.out.SetHeader(d.history.size());
    for (const auto& h : d.history) {
      ctx.out.ArrayHeader(2);
      ctx.out.Bulk(h.version);
      ctx.out.Bulk(h.change);
    }
  }
  if (!d.arguments.empty()) {
    ctx.out.Bulk("arguments");
    ArgsReply(ctx, d.arguments);
  }
  if (!spec.subcommands.empty()) {
    ctx.out.Bulk("subcommands");
    ctx.out.MapHeader(spec.subcommands.size());
    for (const auto& sub : spec.subcommands) {
      ctx.out.Bulk(sub.fullname);
      DocReply(ctx, sub);
    }
  }
}

}  // namespace

void CommandDocs(CommandContext& ctx) {
  const auto& table = Table();
  if (ctx.args.size() == 2) {
    ctx.out.MapHeader(table.all().size());
    for (const auto& spec : table.all()) {
      ctx.out.Bulk(spec.fullname);
      DocReply(ctx, spec);
    }
    return;
  }
  std::vector<const CommandSpec*> found;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (const CommandSpec* spec = table.FindFull(ctx.args[i])) found.push_back(spec);
  }
  ctx.out.MapHeader(found.size());
  for (const auto* spec : found) {
    ctx.out.Bulk(spec->fullname);
    DocReply(ctx, *spec);
  }
}

}  // namespace petacore::commands
