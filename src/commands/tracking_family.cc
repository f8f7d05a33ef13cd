// tracking_family.cc — CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT
// TRACKINGINFO: client-side caching's commands, with Redis 7.0.15's checks, error texts and
// reply shapes (networking.c's clientCommand; our code). The session keeps the mode
// (client::Session::tracking); the server's tracking table (ServerView::TrackingOn/Off) keeps
// the keys and sends the invalidations.
#include <algorithm>
#include <string>
#include <vector>

#include "auth/categories.h"
#include "commands/context.h"
#include "commands/errors.h"
#include "commands/tracking_specs.h"

namespace petacore::commands {
namespace {

// Redis's stringCheckPrefix: one is a prefix of the other.
bool Overlap(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  return a.substr(0, n) == b.substr(0, n);
}

void Tracking(CommandContext& ctx) {
  auto& t = ctx.session.tracking;
  int64_t redirect = 0;
  bool bcast = false, optin = false, optout = false, noloop = false;
  std::vector<std::string> prefixes;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    const bool more = j + 1 < ctx.args.size();
    std::string_view opt = ctx.args[j];
    if (EqualsIgnoreCase(opt, "redirect") && more) {
      ++j;
      if (redirect != 0) {
        return ctx.out.Error("ERR A client can only redirect to a single other client");
      }
      if (!ParseInt64(ctx.args[j], &redirect)) return ctx.out.Error(kErrNotInteger);
      bool exists;
      {
        std::lock_guard lock(ctx.server.ClientsMutex());
        exists = ctx.server.Clients().count(redirect) > 0;
      }
      if (!exists) return ctx.out.Error("ERR The client ID you want redirect to does not exist");
    } else if (EqualsIgnoreCase(opt, "bcast")) {
      bcast = true;
    } else if (EqualsIgnoreCase(opt, "optin")) {
      optin = true;
    } else if (EqualsIgnoreCase(opt, "optout")) {
      optout = true;
    } else if (EqualsIgnoreCase(opt, "noloop")) {
      noloop = true;
    } else if (EqualsIgnoreCase(opt, "prefix") && more) {
      prefixes.emplace_back(ctx.args[++j]);
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  if (EqualsIgnoreCase(ctx.args[2], "off")) {
    ctx.server.TrackingOff(ctx.session.id);
    t = {};
    return ctx.out.Ok();
  }
  if (!EqualsIgnoreCase(ctx.args[2], "on")) return ctx.out.Error(kErrSyntax);
  if (!bcast && !prefixes.empty()) {
    return ctx.out.Error("ERR PREFIX option requires BCAST mode to be enabled");
  }
  if (t.on && t.bcast != bcast) {
    return ctx.out.Error(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
        "then re-enabling it with a different mode.");
  }
  if (bcast && (optin || optout)) {
    return ctx.out.Error("ERR OPTIN and OPTOUT are not compatible with BCAST");
  }
  if (optin && optout) {
    return ctx.out.Error("ERR You can't specify both OPTIN mode and OPTOUT mode");
  }
  if ((optin && t.optout) || (optout && t.optin)) {
    return ctx.out.Error(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and "
        "then re-enabling it with a different mode.");
  }
  if (bcast) {  // Redis's checkPrefixCollisionsOrReply
    for (size_t i = 0; i < prefixes.size(); ++i) {
      for (const auto& existing : t.prefixes) {
        if (Overlap(existing, prefixes[i])) {
          return ctx.out.Error("ERR Prefix '" + prefixes[i] +
                               "' overlaps with an existing prefix '" + existing +
                               "'. Prefixes for a single client must not overlap.");
        }
      }
      for (size_t k = i + 1; k < prefixes.size(); ++k) {
        if (Overlap(prefixes[i], prefixes[k])) {
          return ctx.out.Error("ERR Prefix '" + prefixes[i] +
                               "' overlaps with another provided prefix '" + prefixes[k] +
                               "'. Prefixes for a single client must not overlap.");
        }
      }
    }
    if (prefixes.empty()) prefixes.emplace_back();  // every key
    for (auto& p : prefixes) {
      if (std::find(t.prefixes.begin(), t.prefixes.end(), p) == t.prefixes.end()) {
        t.prefixes.push_back(std::move(p));
      }
    }
    std::sort(t.prefixes.begin(), t.prefixes.end());  // Redis lists them from its radix tree
  }
  // As Redis's enableTracking: the mode flags are replaced, CLIENT CACHING's flag kept.
  t.on = true;
  t.bcast = bcast;
  t.optin = optin;
  t.optout = optout;
  t.noloop = noloop;
  t.redirect = redirect;
  t.broken_redirect = false;
  ctx.server.TrackingOn(ctx.session.id, bcast, noloop, redirect, t.prefixes);
  ctx.out.Ok();
}

void Caching(CommandContext& ctx) {
  auto& t = ctx.session.tracking;
  if (!t.on) {
    return ctx.out.Error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
        "or OPTOUT mode enabled");
  }
  if (EqualsIgnoreCase(ctx.args[2], "yes")) {
    if (!t.optin) {
      return ctx.out.Error(
          "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
    }
  } else if (EqualsIgnoreCase(ctx.args[2], "no")) {
    if (!t.optout) {
      return ctx.out.Error(
          "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
    }
  } else {
    return ctx.out.Error(kErrSyntax);
  }
  t.caching = true;
  ctx.out.Ok();
}

void GetRedir(CommandContext& ctx) {
  const auto& t = ctx.session.tracking;
  ctx.out.Integer(t.on ? t.redirect : -1);
}

void TrackingInfo(CommandContext& ctx) {
  const auto& t = ctx.session.tracking;
  ctx.out.MapHeader(3);
  ctx.out.Bulk("flags");
  std::vector<std::string_view> flags;
  if (!t.on) {
    flags.push_back("off");
  } else {
    flags.push_back("on");
    if (t.bcast) flags.push_back("bcast");
    if (t.optin) flags.push_back("optin");
    if (t.optin && t.caching) flags.push_back("caching-yes");
    if (t.optout) flags.push_back("optout");
    if (t.optout && t.caching) flags.push_back("caching-no");
    if (t.noloop) flags.push_back("noloop");
    if (t.broken_redirect) flags.push_back("broken_redirect");
  }
  ctx.out.SetHeader(flags.size());
  for (auto f : flags) ctx.out.Bulk(f);
  ctx.out.Bulk("redirect");
  ctx.out.Integer(t.on ? t.redirect : -1);
  ctx.out.Bulk("prefixes");
  ctx.out.ArrayHeader(t.prefixes.size());
  for (const auto& p : t.prefixes) ctx.out.Bulk(p);
}

}  // namespace

std::vector<CommandSpec> TrackingSubcommandSpecs() {
  return {{.name = "tracking",
           .arity = -3,
           .flags = kNoScript | kLoading | kStale,
           .acl = acl::kSlow | acl::kConnection,
           .handler = Tracking},
          {.name = "caching",
           .arity = 3,
           .flags = kNoScript | kLoading | kStale,
           .acl = acl::kSlow | acl::kConnection,
           .handler = Caching},
          {.name = "getredir",
           .arity = 2,
           .flags = kNoScript | kLoading | kStale,
           .acl = acl::kSlow | acl::kConnection,
           .handler = GetRedir},
          {.name = "trackinginfo",
           .arity = 2,
           .flags = kNoScript | kLoading | kStale,
           .acl = acl::kSlow | acl::kConnection,
           .handler = TrackingInfo}};
}

/// RESET and disconnection turn tracking off (Redis's disableTracking): see tracking_specs.h.
void TrackingOff(client::Session& session, ServerView& server) {
  server.TrackingOff(session.id);
  session.tracking = {};
}

}  // namespace petacore::commands
