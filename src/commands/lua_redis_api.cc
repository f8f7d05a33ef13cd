// lua_redis_api.cc — the `redis` table scripts see: redis.call / pcall (the called command
// runs on the script's TxnView as the caller's session), error_reply, status_reply,
// sha1hex, log, setresp, set_repl, replicate_commands, breakpoint, debug, acl_check_cmd, and
// Redis 7.0's constants. Texts as Redis 7.0.15's script_lua.c.
#include <cstdio>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "commands/lua_internal.h"
#include "auth/access.h"
#include "commands/lua_engine.h"
#include "commands/table.h"
#include "resp/value_parser.h"

namespace petacore::commands::lua {
namespace {

int RedisGenericCall(lua_State* L, bool raise) {
  Frame* frame = current_frame;
  int argc = lua_gettop(L);
  if (frame == nullptr) RaiseError(L, "redis.call is only available inside a script");
  if (argc == 0) {
    PushError(L, "Please specify at least one argument for this redis lib call");
    if (raise) lua_error(L);
    return 1;
  }
  thread_local std::vector<std::string> strings;
  strings.clear();
  strings.reserve(argc);
  for (int i = 1; i <= argc; ++i) {
    int t = lua_type(L, i);
    if (t == LUA_TNUMBER) {
      char buf[64];
      int len = std::snprintf(buf, sizeof(buf), "%.17g", static_cast<double>(lua_tonumber(L, i)));
      strings.emplace_back(buf, len);
    } else if (t == LUA_TSTRING) {
      size_t len;
      const char* s = lua_tolstring(L, i, &len);
      strings.emplace_back(s, len);
    } else {
      PushError(L, "Lua redis lib command arguments must be strings or integers");
      if (raise) lua_error(L);
      return 1;
    }
  }
  std::string reply;
  {
    std::vector<std::string_view> argv(strings.begin(), strings.end());
    std::string err;
    const CommandSpec* spec = Table().Resolve(argv);
    if (spec == nullptr) {
      err = "Unknown Redis command called from script";
    } else if (!spec->ArityOk(argv.size())) {
      err = "Wrong number of args calling Redis command from script";
    } else if (spec->flags & kNoScript) {
      err = "This Redis command is not allowed from script";
    } else if (frame->read_only && (spec->flags & (kWrite | kInternalWrite))) {
      err = "Write commands are not allowed from read-only scripts.";
    } else if (frame->deny_oom && (spec->flags & kDenyOom) &&
               !(frame->ctx->txn.has_writes() && !frame->started_with_writes)) {
      err = "-OOM command not allowed when used memory > 'maxmemory'.";
    } else {
      CommandContext& ctx = *frame->ctx;
      if (ctx.session.acl_user) {
        std::string_view denied_arg;
        auth::Denial d = auth::Check(*ctx.session.acl_user, *spec, argv, &denied_arg);
        if (d == auth::Denial::kCommand) {
          err = "The user executing the script can't run this command or subcommand";
        } else if (d == auth::Denial::kKey) {
          err = "The user executing the script can't access at least one of the keys "
                "mentioned in the command arguments";
        } else if (d == auth::Denial::kChannel) {
          err = "The user executing the script can't publish to the channel mentioned in the "
                "command";
        }
        if (d != auth::Denial::kNone) {  // ACL LOG, context "lua", as Redis's scriptVerifyACL
          auth::LogScriptDenial(ctx.server.Acl(), ctx.session, d, *spec, argv, denied_arg);
        }
      }
      if (err.empty()) {
        // The command replies in the script's protocol (redis.setresp), not the caller's:
        // Redis runs it on the Lua client, whose resp the script sets. (The session keeps the
        // caller's protocol: no command a script may call answers by it but PING, whose
        // subscribed-mode reply must not apply here.)
        resp::ReplyWriter w(&reply, script_resp);
        CommandContext sub{argv, ctx.txn, w, ctx.session, ctx.server};
        ctx.txn.NextAccessCommand();  // each call's reads count as accesses (OBJECT FREQ)
        spec->handler(sub);  // block stays null: blocking commands answer at once
        if (!(spec->flags & (kSkipMonitor | kAdmin))) {
          ctx.server.Observe().MonitorScriptCall(ctx.session.db, argv);  // MONITOR's "lua"
        }
      }
    }
    if (!err.empty()) {
      PushError(L, err);
      if (raise) lua_error(L);
      return 1;
    }
  }
  resp::Limits limits;
  limits.max_bulk_len = SIZE_MAX / 2;  // our own handler's reply: no client limits
  limits.max_multibulk_len = SIZE_MAX / 2;
  limits.max_inline_len = SIZE_MAX / 2;
  resp::ValueParser parser(limits, 1024);
  resp::Value value;
  auto r = parser.Parse(reply, &value);
  if (r.status != resp::ValueParser::Status::kValue) {
    RaiseError(L, "PetaCore: unparsable reply from a command called by a script");
  }
  const bool is_error = value.type == resp::Value::Type::kError;
  PushValue(L, value, script_resp);
  if (raise && is_error) lua_error(L);
  return 1;
}

int RedisCall(lua_State* L) { return RedisGenericCall(L, true); }
int RedisPCall(lua_State* L) { return RedisGenericCall(L, false); }

int RedisSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseError(L, "wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  std::string hex = Sha1Hex(s ? std::string_view(s, len) : std::string_view());
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

int RedisErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    PushError(L, "wrong number or type of arguments");
    return 1;
  }
  std::string text = lua_tostring(L, 1);  // up to a NUL, as Redis
  if (text.empty() || text[0] != '-') text = "-" + text;
  PushError(L, text);
  return 1;
}

int RedisStatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    PushError(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "ok");
  return 1;
}

// redis.acl_check_cmd(command, args...): whether the script's caller may run that command
// with those arguments (Redis 7.0's luaRedisAclCheckCmdPermissionsCommand). Arguments convert
// as redis.call's; an unknown command or subcommand raises an error.
int RedisAclCheckCmd(lua_State* L) {
  Frame* frame = current_frame;
  if (frame == nullptr) {
    RaiseError(L, "redis.acl_check_cmd can only be called inside a script invocation");
  }
  const int argc = lua_gettop(L);
  if (argc == 0) RaiseError(L, "Please specify at least one argument for this redis lib call");
  std::vector<std::string> strings;
  strings.reserve(argc);
  for (int i = 1; i <= argc; ++i) {
    if (lua_type(L, i) == LUA_TNUMBER) {
      char buf[64];
      const int len = std::snprintf(buf, sizeof(buf), "%.17g", lua_tonumber(L, i));
      strings.emplace_back(buf, len);
    } else if (lua_type(L, i) == LUA_TSTRING) {
      size_t len;
      const char* s = lua_tolstring(L, i, &len);
      strings.emplace_back(s, len);
    } else {
      RaiseError(L, "Lua redis lib command arguments must be strings or integers");
    }
  }
  std::vector<std::string_view> argv(strings.begin(), strings.end());
  const CommandSpec* spec = Table().Resolve(argv);
  if (spec == nullptr) RaiseError(L, "Invalid command passed to redis.acl_check_cmd()");
  const auto& user = frame->ctx->session.acl_user;
  lua_pushboolean(L, !user || auth::Check(*user, *spec, argv) == auth::Denial::kNone);
  return 1;
}

int RedisLog(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) RaiseError(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) RaiseError(L, "First argument must be a number (log level).");
  int level = static_cast<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) RaiseError(L, "Invalid debug level.");
  std::string msg;
  for (int i = 2; i <= argc; ++i) {
    size_t len = 0;
    const char* s = lua_tolstring(L, i, &len);
    if (s == nullptr) continue;
    if (!msg.empty()) msg.push_back(' ');
    msg.append(s, len);
  }
  static constexpr spdlog::level::level_enum kLevels[] = {
      spdlog::level::debug, spdlog::level::info, spdlog::level::info, spdlog::level::warn};
  spdlog::log(kLevels[level], "script: {}", msg);
  return 0;
}

// redis.setresp(2|3): the protocol of the replies redis.call returns to this run (and of its
// booleans in the script's own reply); each run starts at 2.
int RedisSetResp(lua_State* L) {
  if (current_frame == nullptr) {
    RaiseError(L, "redis.setresp can only be called inside a script invocation");
  }
  const int argc = lua_gettop(L);
  if (argc != 1) RaiseError(L, "redis.setresp() requires one argument.");
  const int resp = static_cast<int>(lua_tonumber(L, -argc));
  if (resp != 2 && resp != 3) RaiseError(L, "RESP version must be 2 or 3.");
  script_resp = resp;
  return 0;
}

int RedisSetRepl(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseError(L, "redis.set_repl() requires two arguments.");
  int flags = static_cast<int>(lua_tonumber(L, 1));
  if ((flags & ~3) != 0) {
    RaiseError(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  return 0;  // accepted: a script's effects are what it commits
}

int RedisReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}
int RedisBreakpoint(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}
int RedisDebug(lua_State*) { return 0; }

void Register(lua_State* L, const char* name, lua_CFunction fn) {
  lua_pushcfunction(L, fn);
  lua_setfield(L, -2, name);
}

}  // namespace

void OpenRedisLib(lua_State* L) {
  lua_newtable(L);
  Register(L, "call", RedisCall);
  Register(L, "pcall", RedisPCall);
  Register(L, "sha1hex", RedisSha1Hex);
  Register(L, "error_reply", RedisErrorReply);
  Register(L, "status_reply", RedisStatusReply);
  Register(L, "log", RedisLog);
  Register(L, "setresp", RedisSetResp);
  Register(L, "set_repl", RedisSetRepl);
  Register(L, "replicate_commands", RedisReplicateCommands);
  Register(L, "breakpoint", RedisBreakpoint);
  Register(L, "debug", RedisDebug);
  Register(L, "acl_check_cmd", RedisAclCheckCmd);
  struct {
    const char* name;
    int value;
  } constants[] = {{"LOG_DEBUG", 0},   {"LOG_VERBOSE", 1}, {"LOG_NOTICE", 2},
                   {"LOG_WARNING", 3}, {"REPL_NONE", 0},   {"REPL_AOF", 1},
                   {"REPL_SLAVE", 2},  {"REPL_REPLICA", 2}, {"REPL_ALL", 3},
                   {"REDIS_VERSION_NUM", 0x0007000f}};
  for (const auto& c : constants) {
    lua_pushnumber(L, c.value);
    lua_setfield(L, -2, c.name);
  }
  lua_pushstring(L, "7.0.15");
  lua_setfield(L, -2, "REDIS_VERSION");
  lua_setglobal(L, "redis");
}

}  // namespace petacore::commands::lua
