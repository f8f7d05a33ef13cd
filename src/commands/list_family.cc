// list_family.cc — LPUSH, LPOP, LRANGE, BLPOP…: Redis lists on the replicated key space
// (layout and invariants in list_store.h), with Redis 7.0's replies and error texts.
//
// Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH) that find nothing to take ask the
// Driver to park the client on the lists' meta keys; it re-runs the handler when one of them
// changes on any node. Two woken clients racing for one element both read the meta key, so
// the commit of one makes the other retry, see the list empty and park again.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/key_access.h"
#include "commands/notify.h"
#include "commands/table.h"
#include "keyspace/encoding.h"
#include "keyspace/types/list.h"

namespace petacore::commands {
namespace {

using keyspace::types::ListEnd;
using keyspace::types::ListHandle;
constexpr int kListEvents = keyspace::notify::kList;

std::string_view PushEvent(ListEnd end) { return end == ListEnd::kHead ? "lpush" : "rpush"; }
std::string_view PopEvent(ListEnd end) { return end == ListEnd::kHead ? "lpop" : "rpop"; }

void ReplyArray(CommandContext& ctx, const std::vector<std::string>& elements) {
  ctx.out.ArrayHeader(elements.size());
  for (const auto& e : elements) ctx.out.Bulk(e);
}

void WrongArity(CommandContext& ctx, std::string_view name) {
  ctx.out.Error(ErrWrongArgs(name));
}

// LEFT/RIGHT as Redis's getListPositionFromObjectOrReply.
bool ParseEnd(std::string_view s, ListEnd* end) {
  if (EqualsIgnoreCase(s, "left")) {
    *end = ListEnd::kHead;
  } else if (EqualsIgnoreCase(s, "right")) {
    *end = ListEnd::kTail;
  } else {
    return false;
  }
  return true;
}

// A blocking command's timeout in seconds, as Redis 7.0's getTimeoutFromObjectOrReply:
// milliseconds = ceil(seconds * 1000), 0 = forever. A product beyond int64 converts to
// LLONG_MIN on x86 in Redis ("timeout is negative"); a valid but absurd one (more than ~30
// years) is treated as forever instead of overflowing the timer.
bool ParseTimeout(CommandContext& ctx, std::string_view arg, int64_t* timeout_ms) {
  long double seconds;
  if (!ParseLongDouble(arg, &seconds)) {
    ctx.out.Error(kErrTimeoutNotFloat);
    return false;
  }
  long double ms = std::ceil(seconds * 1000.0L);
  if (!(ms < 9.2e18L) || ms < 0) {
    ctx.out.Error(kErrTimeoutNegative);
    return false;
  }
  *timeout_ms = ms > 1e12L ? 0 : static_cast<int64_t>(ms);
  return true;
}

void Push(CommandContext& ctx, ListEnd end, bool only_existing) {
  ListHandle list(ctx.txn, ctx.Key(ctx.args[1]));
  if (list.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (only_existing && !list.exists()) return ctx.out.Integer(0);
  bool created = !list.exists();
  for (size_t i = 2; i < ctx.args.size(); ++i) list.Push(end, ctx.args[i]);
  list.Flush();
  if (created) NotifyNew(ctx, ctx.args[1]);
  ctx.Notify(kListEvents, PushEvent(end), ctx.args[1]);
  ctx.out.Integer(list.size());
}

void LPush(CommandContext& ctx) { Push(ctx, ListEnd::kHead, false); }
void RPush(CommandContext& ctx) { Push(ctx, ListEnd::kTail, false); }
void LPushX(CommandContext& ctx) { Push(ctx, ListEnd::kHead, true); }
void RPushX(CommandContext& ctx) { Push(ctx, ListEnd::kTail, true); }

// LPOP/RPOP key [count]: without count a bulk (nil when missing), with count an array (a null
// array when missing, empty for count 0).
void Pop(CommandContext& ctx, ListEnd end, std::string_view name) {
  if (ctx.args.size() > 3) return WrongArity(ctx, name);
  bool has_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (has_count && (!ParseInt64(ctx.args[2], &count) || count < 0)) {
    return ctx.out.Error(kErrNotPositive);
  }
  ListHandle list(ctx.txn, ctx.Key(ctx.args[1]));
  if (list.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (!list.exists()) return has_count ? ctx.out.NullArray() : ctx.out.NullBulk();
  if (has_count && count == 0) return ctx.out.ArrayHeader(0);
  auto popped = list.Pop(end, count);
  list.Flush();
  ctx.Notify(kListEvents, PopEvent(end), ctx.args[1]);
  if (!list.exists()) NotifyDel(ctx, ctx.args[1]);
  if (has_count) return ReplyArray(ctx, popped);
  ctx.out.Bulk(popped.front());
}

void LPop(CommandContext& ctx) { Pop(ctx, ListEnd::kHead, "lpop"); }
void RPop(CommandContext& ctx) { Pop(ctx, ListEnd::kTail, "rpop"); }

void LLen(CommandContext& ctx) {
  ListHandle list(ctx.txn, ctx.Key(ctx.args[1]));
  if (list.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.Integer(list.size());
}

void LRange(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseInt64(ctx.args[2], &start) || !ParseInt64(ctx.args[3], &end)) {
    return ctx.out.Error(kErrNotInteger);
  }
  ListHandle list(ctx.txn, ctx.Key(ctx.args[1]));
  if (list.wrong_type()) return ctx.out.Error(kErrWrongType);
  int64_t len = list.size();
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return ctx.out.ArrayHeader(0);
  if (end >= len) end = len - 1;
  ReplyArray(ctx, list.Read(start, end + 1));
}

void LIndex(CommandContext& ctx) {
  ListHandle list(ctx.txn, ctx.Key(ctx.args[1]));
  if (list.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (!list.exists()) return ctx.out.NullBulk();
  int64_t index;
  if (!ParseInt64(ctx.args[2], &index)) return ctx.out.Error(kErrNotInteger);
  if (index < 0) index += list.size();
  if (index < 0 || index >= list.size()) return ctx.out.NullBulk();
  ctx.out.Bulk(list.At(index));
}

void LSet(CommandContext& ctx) {
  ListHandle list(ctx.txn, ctx.Key(ctx.args[1]));
  if (list.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (!list.exists()) return ctx.out.Error(kErrNoSuchKey);
  int64_t index;
  if (!ParseInt64(ctx.args[2], &index)) return ctx.out.Error(kErrNotInteger);
  if (index < 0) index += list.size();
  if (index < 0 || index >= list.size()) return ctx.out.Error(kErrIndexOutOfRange);
  list.Set(index, ctx.args[3]);
  list.Flush();
  ctx.Notify(kListEvents, "lset", ctx.args[1]);
  ctx.out.Ok();
}

// LREM key count element: count > 0 removes from the head, < 0 from the tail, 0 all.
void LRem(CommandContext& ctx) {
  int64_t count;
  if (!ParseInt64(ctx.args[2], &count)) return ctx.out.Error(kErrNotInteger);
  ListHandle list(ctx.txn, ctx.Key(ctx.args[1]));
  if (list.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (!list.exists()) return ctx.out.Integer(0);
  auto old = list.ReadAll();
  std::string_view target = ctx.args[3];
  std::vector<bool> remove(old.size(), false);
  int64_t removed = 0;
  // Redis's count is a long: -LONG_MIN stays negative there and means "all" in effect.
  uint64_t limit = count == 0 ? UINT64_MAX
                              : (count < 0 ? 0 - static_cast<uint64_t>(count)
                                           : static_cast<uint64_t>(count));
  for (size_t k = 0; k < old.size() && static_cast<uint64_t>(removed) < limit; ++k) {
    size_t i = count < 0 ? old.size() - 1 - k : k;
    if (old[i] == target) {
      remove[i] = true;
      ++removed;
    }
  }
  if (removed == 0) return ctx.out.Integer(0);
  std::vector<std::string> updated;
  updated.reserve(old.size() - removed);
  for (size_t i = 0; i < old.size(); ++i) {
    if (!remove[i]) updated.push_back(old[i]);
  }
  list.Replace(old, updated);
  list.Flush();
  ctx.Notify(kListEvents, "lrem", ctx.args[1]);
  if (!list.exists()) NotifyDel(ctx, ctx.args[1]);
  ctx.out.Integer(removed);
}

void LTrim(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseInt64(ctx.args[2], &start) || !ParseInt64(ctx.args[3], &end)) {
    return ctx.out.Error(kErrNotInteger);
  }
  ListHandle list(ctx.txn, ctx.Key(ctx.args[1]));
  if (list.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (!list.exists()) return ctx.out.Ok();
  int64_t len = list.size();
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) {
    list.Trim(0, 0);
  } else {
    if (end >= len) end = len - 1;
    if (start > 0 || end < len - 1) list.Trim(start, end + 1);
  }
  list.Flush();
  ctx.Notify(kListEvents, "ltrim", ctx.args[1]);
  if (!list.exists()) NotifyDel(ctx, ctx.args[1]);
  ctx.out.Ok();
}

void LInsert(CommandContext& ctx) {
  bool after;
  if (EqualsIgnoreCase(ctx.args[2], "after")) {
    after = true;
  } else if (EqualsIgnoreCase(ctx.args[2], "before")) {
    after = false;
  } else {
    return ctx.out.Error(kErrSyntax);
  }
  ListHandle list(ctx.txn, ctx.Key(ctx.args[1]));
  if (list.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (!list.exists()) return ctx.out.Integer(0);
  auto old = list.ReadAll();
  size_t pivot = 0;
  while (pivot < old.size() && old[pivot] != ctx.args[3]) ++pivot;
  if (pivot == old.size()) return ctx.out.Integer(-1);
  std::vector<std::string> updated = old;
  updated.insert(updated.begin() + static_cast<std::ptrdiff_t>(pivot + (after ? 1 : 0)),
                 std::string(ctx.args[4]));
  list.Replace(old, updated);
  list.Flush();
  ctx.Notify(kListEvents, "linsert", ctx.args[1]);
  ctx.out.Integer(list.size());
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len].
void LPos(CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    auto opt = ctx.args[j];
    bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "rank") && more) {
      if (!ParseInt64(ctx.args[++j], &rank)) return ctx.out.Error(kErrNotInteger);
      if (rank == 0) {
        return ctx.out.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second "
            "... or use negative to start from the end of the list");
      }
    } else if (EqualsIgnoreCase(opt, "count") && more) {
      if (!ParseInt64(ctx.args[++j], &count) || count < 0) {
        return ctx.out.Error("ERR COUNT can't be negative");
      }
    } else if (EqualsIgnoreCase(opt, "maxlen") && more) {
      if (!ParseInt64(ctx.args[++j], &maxlen) || maxlen < 0) {
        return ctx.out.Error("ERR MAXLEN can't be negative");
      }
    } else {
      return ctx.out.Error(kErrSyntax);
    }
  }
  // Redis negates a negative rank in a long: LONG_MIN stays negative, so it matches from the
  // first match on (as rank -1) and its COUNT test (matches - rank + 1 >= count) overflows
  // and never stops the scan (as COUNT 0).
  int64_t limit = count;
  if (rank == std::numeric_limits<int64_t>::min()) {
    rank = -1;
    if (limit > 0) limit = 0;
  }
  bool from_tail = rank < 0;
  if (from_tail) rank = -rank;
  ListHandle list(ctx.txn, ctx.Key(ctx.args[1]));
  if (list.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (!list.exists()) return count != -1 ? ctx.out.ArrayHeader(0) : ctx.out.NullBulk();
  int64_t len = list.size();
  int64_t scan = maxlen == 0 ? len : std::min(maxlen, len);
  auto elements = from_tail ? list.Read(len - scan, len) : list.Read(0, scan);
  std::vector<int64_t> found;
  int64_t matches = 0;
  for (int64_t k = 0; k < scan; ++k) {
    int64_t i = from_tail ? len - 1 - k : k;
    const std::string& e = elements[from_tail ? scan - 1 - k : k];
    if (e != ctx.args[2]) continue;
    if (++matches < rank) continue;
    found.push_back(i);
    if (limit == -1 || (limit != 0 && static_cast<int64_t>(found.size()) >= limit)) break;
  }
  if (count == -1) return found.empty() ? ctx.out.NullBulk() : ctx.out.Integer(found[0]);
  ctx.out.ArrayHeader(found.size());
  for (int64_t i : found) ctx.out.Integer(i);
}

// Moves one element from `src` to `dst` (possibly the same list). Replies nil when the source
// is missing, WRONGTYPE (and no write) when either key holds another type.
void Move(CommandContext& ctx, std::string_view src_key, std::string_view dst_key,
          ListEnd from, ListEnd to) {
  ListHandle src(ctx.txn, ctx.Key(src_key));
  if (src.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (!src.exists()) return ctx.out.NullBulk();
  if (src.meta_key() == ctx.Key(dst_key)) {
    std::string value = src.Pop(from, 1).front();
    src.Push(to, value);
    src.Flush();
    // Redis's lmoveHandlePush then the pop's event (t_list.c lmoveGenericCommand).
    ctx.Notify(kListEvents, PushEvent(to), dst_key);
    ctx.Notify(kListEvents, PopEvent(from), src_key);
    return ctx.out.Bulk(value);
  }
  ListHandle dst(ctx.txn, ctx.Key(dst_key));
  if (dst.wrong_type()) return ctx.out.Error(kErrWrongType);
  bool created = !dst.exists();
  std::string value = src.Pop(from, 1).front();
  dst.Push(to, value);
  src.Flush();
  dst.Flush();
  if (created) NotifyNew(ctx, dst_key);
  ctx.Notify(kListEvents, PushEvent(to), dst_key);
  ctx.Notify(kListEvents, PopEvent(from), src_key);
  if (!src.exists()) NotifyDel(ctx, src_key);
  ctx.out.Bulk(value);
}

void LMove(CommandContext& ctx) {
  ListEnd from, to;
  if (!ParseEnd(ctx.args[3], &from) || !ParseEnd(ctx.args[4], &to)) {
    return ctx.out.Error(kErrSyntax);
  }
  Move(ctx, ctx.args[1], ctx.args[2], from, to);
}

void RPopLPush(CommandContext& ctx) {
  Move(ctx, ctx.args[1], ctx.args[2], ListEnd::kTail, ListEnd::kHead);
}

// Parks the client on `keys` (user keys), or answers nil at once where blocking is not
// allowed (inside MULTI/EXEC): a null array for BLPOP/BRPOP, a null bulk for BLMOVE.
void Block(CommandContext& ctx, std::span<const std::string_view> keys, int64_t timeout_ms,
           bool null_array) {
  if (ctx.block == nullptr) return null_array ? ctx.out.NullArray() : ctx.out.NullBulk();
  ctx.block->requested = true;
  ctx.block->timeout_ms = timeout_ms;
  ctx.block->keys.clear();
  for (auto k : keys) ctx.block->keys.push_back(ctx.Key(k));
}

// BLPOP/BRPOP key [key ...] timeout: the first non-empty list in argument order gives one
// element, replied as [key, element].
void BlockingPop(CommandContext& ctx, ListEnd end) {
  int64_t timeout_ms;
  if (!ParseTimeout(ctx, ctx.args.back(), &timeout_ms)) return;
  auto keys = ctx.args.subspan(1, ctx.args.size() - 2);
  for (auto key : keys) {
    ListHandle list(ctx.txn, ctx.Key(key));
    if (list.wrong_type()) return ctx.out.Error(kErrWrongType);
    if (!list.exists()) continue;
    auto popped = list.Pop(end, 1);
    list.Flush();
    ctx.Notify(kListEvents, PopEvent(end), key);
    if (!list.exists()) NotifyDel(ctx, key);
    ctx.out.ArrayHeader(2);
    ctx.out.Bulk(key);
    return ctx.out.Bulk(popped.front());
  }
  Block(ctx, keys, timeout_ms, true);
}

void BLPop(CommandContext& ctx) { BlockingPop(ctx, ListEnd::kHead); }
void BRPop(CommandContext& ctx) { BlockingPop(ctx, ListEnd::kTail); }

void BlockingMove(CommandContext& ctx, ListEnd from, ListEnd to, std::string_view timeout) {
  int64_t timeout_ms;
  if (!ParseTimeout(ctx, timeout, &timeout_ms)) return;
  {
    ListHandle src(ctx.txn, ctx.Key(ctx.args[1]));
    if (src.wrong_type()) return ctx.out.Error(kErrWrongType);
    if (!src.exists()) return Block(ctx, ctx.args.subspan(1, 1), timeout_ms, false);
  }
  Move(ctx, ctx.args[1], ctx.args[2], from, to);
}

void BLMove(CommandContext& ctx) {
  ListEnd from, to;
  if (!ParseEnd(ctx.args[3], &from) || !ParseEnd(ctx.args[4], &to)) {
    return ctx.out.Error(kErrSyntax);
  }
  BlockingMove(ctx, from, to, ctx.args[5]);
}

void BRPopLPush(CommandContext& ctx) {
  BlockingMove(ctx, ListEnd::kTail, ListEnd::kHead, ctx.args[3]);
}

}  // namespace

void RegisterListFamily(CommandTable& t) {
  t.Add({.name = "lpush",
         .arity = -3,
         .flags = kWrite | kDenyOom | kFast,
         .acl = acl::kWrite | acl::kList | acl::kFast,
         .key_specs = {{.flags = kKeyRW | kKeyInsert, .begin = Index(1), .find = Range(0, 1, 0)}},
         .handler = WithKeyEvents<LPush>})
      .Add(
          {.name = "rpush",
           .arity = -3,
           .flags = kWrite | kDenyOom | kFast,
           .acl = acl::kWrite | acl::kList | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyInsert, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<RPush>})
      .Add(
          {.name = "lpushx",
           .arity = -3,
           .flags = kWrite | kDenyOom | kFast,
           .acl = acl::kWrite | acl::kList | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyInsert, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<LPushX>})
      .Add(
          {.name = "rpushx",
           .arity = -3,
           .flags = kWrite | kDenyOom | kFast,
           .acl = acl::kWrite | acl::kList | acl::kFast,
           .key_specs = {{.flags = kKeyRW | kKeyInsert, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<RPushX>})
      .Add({.name = "lpop",
            .arity = -2,
            .flags = kWrite | kFast,
            .acl = acl::kWrite | acl::kList | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<LPop>})
      .Add({.name = "rpop",
            .arity = -2,
            .flags = kWrite | kFast,
            .acl = acl::kWrite | acl::kList | acl::kFast,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                           .begin = Index(1),
                           .find = Range(0, 1, 0)}},
            .handler = WithKeyEvents<RPop>})
      .Add({.name = "llen",
            .arity = 2,
            .flags = kReadOnly | kFast,
            .acl = acl::kRead | acl::kList | acl::kFast,
            .key_specs = {{.flags = kKeyRO, .begin = Index(1), .find = Range(0, 1, 0)}},
            .handler = LLen})
      .Add(
          {.name = "lrange",
           .arity = 4,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kList | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = LRange})
      .Add(
          {.name = "lindex",
           .arity = 3,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kList | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = LIndex})
      .Add(
          {.name = "lset",
           .arity = 4,
           .flags = kWrite | kDenyOom,
           .acl = acl::kWrite | acl::kList | acl::kSlow,
           .key_specs = {{.flags = kKeyRW | kKeyUpdate, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<LSet>})
      .Add(
          {.name = "lrem",
           .arity = 4,
           .flags = kWrite,
           .acl = acl::kWrite | acl::kList | acl::kSlow,
           .key_specs = {{.flags = kKeyRW | kKeyDelete, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<LRem>})
      .Add(
          {.name = "ltrim",
           .arity = 4,
           .flags = kWrite,
           .acl = acl::kWrite | acl::kList | acl::kSlow,
           .key_specs = {{.flags = kKeyRW | kKeyDelete, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<LTrim>})
      .Add(
          {.name = "linsert",
           .arity = 5,
           .flags = kWrite | kDenyOom,
           .acl = acl::kWrite | acl::kList | acl::kSlow,
           .key_specs = {{.flags = kKeyRW | kKeyInsert, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<LInsert>})
      .Add(
          {.name = "lpos",
           .arity = -3,
           .flags = kReadOnly,
           .acl = acl::kRead | acl::kList | acl::kSlow,
           .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(1), .find = Range(0, 1, 0)}},
           .handler = LPos})
      .Add(
          {.name = "lmove",
           .arity = 5,
           .flags = kWrite | kDenyOom,
           .acl = acl::kWrite | acl::kList | acl::kSlow,
           .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                          .begin = Index(1),
                          .find = Range(0, 1, 0)},
                         {.flags = kKeyRW | kKeyInsert, .begin = Index(2), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<LMove>})
      .Add(
          {.name = "rpoplpush",
           .arity = 3,
           .flags = kWrite | kDenyOom,
           .acl = acl::kWrite | acl::kList | acl::kSlow,
           .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                          .begin = Index(1),
                          .find = Range(0, 1, 0)},
                         {.flags = kKeyRW | kKeyInsert, .begin = Index(2), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<RPopLPush>})
      // Blocking commands take no KeyLocks (the Driver skips kBlocking), so a parked client
      // never keeps out the push that should wake it.
      .Add({.name = "blpop",
            .arity = -3,
            .flags = kWrite | kNoScript | kBlocking,
            .acl = acl::kWrite | acl::kList | acl::kSlow | acl::kBlocking,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                           .begin = Index(1),
                           .find = Range(-2, 1, 0)}},
            .handler = WithKeyEvents<BLPop>})
      .Add({.name = "brpop",
            .arity = -3,
            .flags = kWrite | kNoScript | kBlocking,
            .acl = acl::kWrite | acl::kList | acl::kSlow | acl::kBlocking,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                           .begin = Index(1),
                           .find = Range(-2, 1, 0)}},
            .handler = WithKeyEvents<BRPop>})
      .Add(
          {.name = "blmove",
           .arity = 6,
           .flags = kWrite | kDenyOom | kNoScript | kBlocking,
           .acl = acl::kWrite | acl::kList | acl::kSlow | acl::kBlocking,
           .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                          .begin = Index(1),
                          .find = Range(0, 1, 0)},
                         {.flags = kKeyRW | kKeyInsert, .begin = Index(2), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<BLMove>})
      .Add(
          {.name = "brpoplpush",
           .arity = 4,
           .flags = kWrite | kDenyOom | kNoScript | kBlocking,
           .acl = acl::kWrite | acl::kList | acl::kSlow | acl::kBlocking,
           .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyDelete,
                          .begin = Index(1),
                          .find = Range(0, 1, 0)},
                         {.flags = kKeyRW | kKeyInsert, .begin = Index(2), .find = Range(0, 1, 0)}},
           .handler = WithKeyEvents<BRPopLPush>});
}

}  // namespace petacore::commands
