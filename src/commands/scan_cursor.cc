#include "commands/scan_cursor.h"

#include <deque>
#include <mutex>
#include <unordered_map>

#include "commands/glob.h"
#include "keyspace/types/key.h"

namespace petacore::commands {
namespace {

constexpr size_t kMaxCursors = 65536;

struct CursorTable {
  std::mutex mu;
  uint64_t next = 1;
  std::unordered_map<uint64_t, std::string> keys;
  std::deque<uint64_t> order;  // oldest first, for eviction
};

CursorTable& Table() {
  static CursorTable table;
  return table;
}

}  // namespace

uint64_t SaveCursor(std::string resume_after) {
  auto& t = Table();
  std::lock_guard lock(t.mu);
  uint64_t id = t.next++;
  t.keys.emplace(id, std::move(resume_after));
  t.order.push_back(id);
  if (t.order.size() > kMaxCursors) {
    t.keys.erase(t.order.front());
    t.order.pop_front();
  }
  return id;
}

std::optional<std::string> LoadCursor(uint64_t cursor) {
  auto& t = Table();
  std::lock_guard lock(t.mu);
  auto it = t.keys.find(cursor);
  if (it == t.keys.end()) return std::nullopt;
  return it->second;
}

bool ParseScanOptions(CommandContext& ctx, size_t cursor_index, bool allow_type,
                      ScanOptions* out) {
  // Redis 7.0 reads the cursor with strtoul and rejects only leading space, trailing bytes and
  // overflow: "" is 0, "+5" is 5 and "-1" wraps to 2^64-1.
  std::string_view c = ctx.args[cursor_index];
  uint64_t cursor = 0;
  bool negative = false;
  if (!c.empty() && (c[0] == '+' || c[0] == '-')) {
    negative = c[0] == '-';
    c.remove_prefix(1);
    if (c.empty()) {
      ctx.out.Error(kErrInvalidCursor);
      return false;
    }
  }
  for (char ch : c) {
    if (ch < '0' || ch > '9' || cursor > (UINT64_MAX - (ch - '0')) / 10) {
      ctx.out.Error(kErrInvalidCursor);
      return false;
    }
    cursor = cursor * 10 + static_cast<uint64_t>(ch - '0');
  }
  out->cursor = negative ? 0 - cursor : cursor;
  for (size_t i = cursor_index + 1; i < ctx.args.size(); i += 2) {
    bool has_value = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(ctx.args[i], "count") && has_value) {
      if (!ParseInt64(ctx.args[i + 1], &out->count)) {
        ctx.out.Error(kErrNotInteger);
        return false;
      }
      if (out->count < 1) {
        ctx.out.Error(kErrSyntax);
        return false;
      }
    } else if (EqualsIgnoreCase(ctx.args[i], "match") && has_value) {
      out->pattern = ctx.args[i + 1];
      out->has_pattern = !(out->pattern == "*");
    } else if (allow_type && EqualsIgnoreCase(ctx.args[i], "type") && has_value) {
      static constexpr keyspace::ValueType kTypes[] = {
          keyspace::ValueType::kString, keyspace::ValueType::kHash, keyspace::ValueType::kList,
          keyspace::ValueType::kSet, keyspace::ValueType::kZSet,
          keyspace::ValueType::kStream};
      out->type.reset();
      for (auto t : kTypes) {
        if (EqualsIgnoreCase(ctx.args[i + 1], keyspace::TypeName(t))) out->type = t;
      }
      if (!out->type) {
        // Redis 7.0 accepts an unknown type name and simply matches nothing.
        out->type = static_cast<keyspace::ValueType>(0);
      }
    } else {
      ctx.out.Error(kErrSyntax);
      return false;
    }
  }
  return true;
}

void ForEachKey(keyspace::TxnView& txn, std::string_view start, std::string_view end,
                const std::function<bool(std::string_view, std::string_view)>& fn) {
  // One Range pass runs over consecutive meta keys (strings cost nothing extra); the first
  // subkey met ends the pass, and the next one starts at the end of that key's range.
  std::string pos(start);
  for (;;) {
    std::string restart;
    bool stop = false;
    txn.Range(pos, end, [&](std::string_view key, std::string_view value) {
      std::string_view meta = keyspace::MetaKeyOf(key);
      if (meta.size() != key.size()) {
        // A subkey (or foreign bytes, with no meta key at all): jump past its whole key.
        restart = meta.empty() ? std::string(key) + '\0' : keyspace::KeyEnd(meta);
        return false;
      }
      if (keyspace::IsExpiredMeta(key, value, txn.now_ms())) return true;  // lazy expiry
      if (!fn(key, value)) {
        stop = true;
        return false;
      }
      return true;
    });
    if (stop || restart.empty()) return;
    pos = std::move(restart);
  }
}

std::string GlobLiteralPrefix(std::string_view pattern) {
  std::string prefix;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char ch = pattern[i];
    if (ch == '*' || ch == '?' || ch == '[') break;
    if (ch == '\\') {
      if (i + 1 == pattern.size()) break;  // a trailing backslash: leave it to the matcher
      ch = pattern[++i];
    }
    prefix.push_back(ch);
  }
  return prefix;
}

std::pair<std::string, std::string> KeyPrefixRange(int db, std::string_view prefix) {
  if (prefix.empty()) return {keyspace::DbStart(db), keyspace::DbEnd(db)};
  // The meta key of `prefix` without its 0x00 0x00 terminator prefixes the store key of every
  // Redis key starting with `prefix` (escaping maps bytes one to one, in order).
  std::string start = keyspace::EncodeKey(db, prefix);
  start.resize(start.size() - 2);
  std::string end = start;
  while (static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();  // db byte < 0xff
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return {std::move(start), std::move(end)};
}

void ScanCollection(CommandContext& ctx, keyspace::ValueType type, char tag,
                    ScanValueText value_text) {
  CommandContext cursor_only{ctx.args.first(3), ctx.txn,    ctx.out,
                             ctx.session,       ctx.server, ctx.block};
  ScanOptions opt;
  if (!ParseScanOptions(cursor_only, 2, false, &opt)) return;
  auto r = keyspace::types::ReadKey(ctx.txn, ctx.Key(ctx.args[1]), type);
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (r.missing()) return ReplyScan(ctx, 0, {});
  if (!ParseScanOptions(ctx, 2, false, &opt)) return;
  std::optional<std::string> after;
  if (opt.cursor != 0) {
    after = LoadCursor(opt.cursor);
    if (!after) return ReplyScan(ctx, 0, {});  // unknown or evicted: end the iteration
  }
  std::vector<std::string> items;
  int64_t visited = 0;
  bool more = false;
  std::string last;
  keyspace::types::ScanSubkeysAfter(
      ctx.txn, r.elements, tag, after,
      [&](std::string_view element, std::string_view value) {
        if (visited == opt.count) {
          more = true;
          return false;
        }
        ++visited;
        last.assign(element);
        if (!opt.has_pattern || GlobMatch(opt.pattern, element)) {
          items.emplace_back(element);
          if (value_text != nullptr) items.push_back(value_text(value));
        }
        return true;
      });
  ReplyScan(ctx, more ? SaveCursor(std::move(last)) : 0, items);
}

void ReplyScan(CommandContext& ctx, uint64_t next_cursor, const std::vector<std::string>& items) {
  ctx.out.ArrayHeader(2);
  ctx.out.Bulk(std::to_string(next_cursor));
  ctx.out.ArrayHeader(items.size());
  for (const auto& item : items) ctx.out.Bulk(item);
}

}  // namespace petacore::commands
