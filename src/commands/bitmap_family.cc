// bitmap_family.cc — SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO: Redis's
// bitmap commands on string keys, with Redis 7.0's replies, error texts and keyspace events
// (bitops.c). Parsing and replies only; the bit operations are keyspace/types/bitmap.h. A
// bitmap is a plain string: SETBIT then GET returns the same bytes as Redis.
#include <optional>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/notify.h"
#include "commands/table.h"
#include "keyspace/types/bitmap.h"
#include "keyspace/types/string.h"

namespace petacore::commands {

namespace {

namespace types = keyspace::types;
using types::Overflow;
using types::ReadString;
using types::WriteString;

constexpr std::string_view kErrBitOffset = "ERR bit offset is not an integer or out of range";
constexpr std::string_view kErrBitValue = "ERR bit is not an integer or out of range";
constexpr std::string_view kErrBitArg = "ERR The bit argument must be 1 or 0.";
constexpr std::string_view kErrBitopNot = "ERR BITOP NOT must be called with a single source key.";
constexpr std::string_view kErrBitfieldType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";
constexpr std::string_view kErrOverflowType = "ERR Invalid OVERFLOW type specified";
constexpr std::string_view kErrBitfieldRo = "ERR BITFIELD_RO only supports the GET subcommand";

// Redis's getBitOffsetFromArgument: a bit offset (with `bits` > 0, "#n" means n * bits), not
// negative, whose byte is below proto-max-bulk-len. Replies the error and returns false.
bool BitOffsetOrReply(CommandContext& ctx, std::string_view arg, int bits, uint64_t* out) {
  bool hash = bits > 0 && !arg.empty() && arg[0] == '#';
  int64_t v;
  if (!ParseInt64(hash ? arg.substr(1) : arg, &v)) {
    ctx.out.Error(kErrBitOffset);
    return false;
  }
  if (hash) v = static_cast<int64_t>(static_cast<uint64_t>(v) * static_cast<uint64_t>(bits));
  uint64_t max_bulk = ctx.server.Options().proto_max_bulk_len;
  if (v < 0 || static_cast<uint64_t>(v >> 3) >= max_bulk) {
    ctx.out.Error(kErrBitOffset);
    return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

// The string a bit write starts from, and whether the key existed (Redis's
// lookupStringForBitCommand); false after replying WRONGTYPE.
bool ReadForWrite(CommandContext& ctx, const std::string& key, std::string* value, bool* existed) {
  auto r = ReadString(ctx.txn, key);
  if (r.wrong_type()) {
    ctx.out.Error(kErrWrongType);
    return false;
  }
  *existed = !r.missing();
  value->assign(r.value);
  return true;
}

// SETBIT key offset value
void SetBit(CommandContext& ctx) {
  uint64_t offset;
  if (!BitOffsetOrReply(ctx, ctx.args[2], 0, &offset)) return;
  int64_t on;
  if (!ParseInt64(ctx.args[3], &on) || (on & ~int64_t{1}) != 0) {
    return ctx.out.Error(kErrBitValue);
  }
  std::string key = ctx.Key(ctx.args[1]);
  std::string value;
  bool existed;
  if (!ReadForWrite(ctx, key, &value, &existed)) return;
  size_t old_len = value.size();
  int old = types::SetBit(value, offset, static_cast<int>(on));
  bool dirty = !existed || value.size() != old_len;
  if (dirty || old != on) {
    bool created = WriteString(ctx.txn, key, value, /*keep_ttl=*/true);
    if (created) NotifyNew(ctx, ctx.args[1]);
    ctx.Notify(keyspace::notify::kString, "setbit", ctx.args[1]);
  }
  ctx.out.Integer(old);
}

// GETBIT key offset
void GetBit(CommandContext& ctx) {
  uint64_t offset;
  if (!BitOffsetOrReply(ctx, ctx.args[2], 0, &offset)) return;
  auto r = ReadString(ctx.txn, ctx.Key(ctx.args[1]));
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  ctx.out.Integer(types::GetBit(r.value, offset));
}

// Parses BITCOUNT / BITPOS's optional unit argument; false after a syntax error.
bool UnitOrReply(CommandContext& ctx, std::string_view arg, bool* bit_unit) {
  if (EqualsIgnoreCase(arg, "bit")) {
    *bit_unit = true;
  } else if (EqualsIgnoreCase(arg, "byte")) {
    *bit_unit = false;
  } else {
    ctx.out.Error(kErrSyntax);
    return false;
  }
  return true;
}

// BITCOUNT key [start end [BYTE|BIT]]
void BitCount(CommandContext& ctx) {
  auto r = ReadString(ctx.txn, ctx.Key(ctx.args[1]));
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  if (r.missing()) return ctx.out.Integer(0);
  size_t n = ctx.args.size();
  if (n != 2 && n != 4 && n != 5) return ctx.out.Error(kErrSyntax);
  std::optional<int64_t> start, end;
  bool bit_unit = false;
  if (n >= 4) {
    int64_t s, e;
    if (!ParseInt64(ctx.args[2], &s) || !ParseInt64(ctx.args[3], &e)) {
      return ctx.out.Error(kErrNotInteger);
    }
    if (s < 0 && e < 0 && s > e) return ctx.out.Integer(0);
    if (n == 5 && !UnitOrReply(ctx, ctx.args[4], &bit_unit)) return;
    start = s;
    end = e;
  }
  ctx.out.Integer(types::BitCount(r.value, start, end, bit_unit));
}

// BITPOS key bit [start [end [BYTE|BIT]]]
void BitPos(CommandContext& ctx) {
  int64_t bit;
  if (!ParseInt64(ctx.args[2], &bit)) return ctx.out.Error(kErrNotInteger);
  if (bit != 0 && bit != 1) return ctx.out.Error(kErrBitArg);
  auto r = ReadString(ctx.txn, ctx.Key(ctx.args[1]));
  if (r.missing()) return ctx.out.Integer(bit ? -1 : 0);
  if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
  size_t n = ctx.args.size();
  if (n > 6) return ctx.out.Error(kErrSyntax);
  std::optional<int64_t> start, end;
  bool bit_unit = false;
  if (n >= 4) {
    int64_t s;
    if (!ParseInt64(ctx.args[3], &s)) return ctx.out.Error(kErrNotInteger);
    start = s;
    if (n == 6 && !UnitOrReply(ctx, ctx.args[5], &bit_unit)) return;
    if (n >= 5) {
      int64_t e;
      if (!ParseInt64(ctx.args[4], &e)) return ctx.out.Error(kErrNotInteger);
      end = e;
    }
  }
  ctx.out.Integer(types::BitPos(r.value, static_cast<int>(bit), start, end, bit_unit));
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]
void BitOp(CommandContext& ctx) {
  auto name = ctx.args[1];
  types::BitOp op;
  if (EqualsIgnoreCase(name, "and")) {
    op = types::BitOp::kAnd;
  } else if (EqualsIgnoreCase(name, "or")) {
    op = types::BitOp::kOr;
  } else if (EqualsIgnoreCase(name, "xor")) {
    op = types::BitOp::kXor;
  } else if (EqualsIgnoreCase(name, "not")) {
    op = types::BitOp::kNot;
  } else {
    return ctx.out.Error(kErrSyntax);
  }
  if (op == types::BitOp::kNot && ctx.args.size() != 4) return ctx.out.Error(kErrBitopNot);
  std::vector<std::string> values;
  values.reserve(ctx.args.size() - 3);
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    auto r = ReadString(ctx.txn, ctx.Key(ctx.args[i]));
    if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
    values.emplace_back(r.value);  // copied: the next read may move the view's buffers
  }
  std::vector<std::string_view> sources(values.begin(), values.end());
  std::string result = types::BitOpApply(op, sources.data(), sources.size());
  std::string dst = ctx.Key(ctx.args[2]);
  bool existed = ctx.txn.Get(dst).has_value();
  if (!result.empty()) {
    WriteString(ctx.txn, dst, result);
  } else if (existed) {
    types::DeleteKey(ctx.txn, dst);
  }
  NotifyStore(ctx, keyspace::notify::kString, "set", ctx.args[2], existed, !result.empty());
  ctx.out.Integer(static_cast<int64_t>(result.size()));
}

struct FieldOp {
  enum Kind { kGet, kSet, kIncrBy } kind;
  types::BitfieldType type;
  uint64_t offset;
  int64_t value;
  Overflow overflow;
};

// BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment |
// OVERFLOW WRAP|SAT|FAIL] ... (and BITFIELD_RO key [GET type offset ...] when `read_only`).
void BitfieldGeneric(CommandContext& ctx, bool read_only) {
  std::vector<FieldOp> ops;
  Overflow overflow = Overflow::kWrap;
  bool writes = false;
  uint64_t highest = 0;
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    size_t rem = ctx.args.size() - j - 1;
    auto sub = ctx.args[j];
    FieldOp op{};
    if (EqualsIgnoreCase(sub, "get") && rem >= 2) {
      op.kind = FieldOp::kGet;
    } else if (EqualsIgnoreCase(sub, "set") && rem >= 3) {
      op.kind = FieldOp::kSet;
    } else if (EqualsIgnoreCase(sub, "incrby") && rem >= 3) {
      op.kind = FieldOp::kIncrBy;
    } else if (EqualsIgnoreCase(sub, "overflow") && rem >= 1) {
      auto mode = ctx.args[++j];
      if (EqualsIgnoreCase(mode, "wrap")) {
        overflow = Overflow::kWrap;
      } else if (EqualsIgnoreCase(mode, "sat")) {
        overflow = Overflow::kSat;
      } else if (EqualsIgnoreCase(mode, "fail")) {
        overflow = Overflow::kFail;
      } else {
        return ctx.out.Error(kErrOverflowType);
      }
      continue;
    } else {
      return ctx.out.Error(kErrSyntax);
    }
    auto type = types::ParseBitfieldType(ctx.args[j + 1]);
    if (!type) return ctx.out.Error(kErrBitfieldType);
    op.type = *type;
    if (!BitOffsetOrReply(ctx, ctx.args[j + 2], type->bits, &op.offset)) return;
    if (op.kind != FieldOp::kGet) {
      writes = true;
      highest = std::max(highest, op.offset + type->bits - 1);
      if (!ParseInt64(ctx.args[j + 3], &op.value)) return ctx.out.Error(kErrNotInteger);
    }
    op.overflow = overflow;
    ops.push_back(op);
    j += op.kind == FieldOp::kGet ? 2 : 3;
  }
  std::string key = ctx.Key(ctx.args[1]);
  std::string value;
  bool existed = false;
  if (!writes) {
    auto r = ReadString(ctx.txn, key);
    if (r.wrong_type()) return ctx.out.Error(kErrWrongType);
    value.assign(r.value);
  } else {
    if (read_only) return ctx.out.Error(kErrBitfieldRo);
    if (!ReadForWrite(ctx, key, &value, &existed)) return;
  }
  size_t old_len = value.size();
  if (writes && value.size() <= (highest >> 3)) value.resize((highest >> 3) + 1, '\0');
  bool dirty = writes && (!existed || value.size() != old_len);
  int changes = 0;
  ctx.out.ArrayHeader(ops.size());
  for (const auto& op : ops) {
    if (op.kind == FieldOp::kGet) {
      if (op.type.is_signed) {
        ctx.out.Integer(types::GetSignedField(value, op.offset, op.type.bits));
      } else {
        ctx.out.Integer(
            static_cast<int64_t>(types::GetUnsignedField(value, op.offset, op.type.bits)));
      }
      continue;
    }
    bool changed = false;
    auto reply = types::BitfieldWrite(value, op.type, op.offset, op.kind == FieldOp::kIncrBy,
                                      op.value, op.overflow, &changed);
    if (!reply) {
      ctx.out.NullBulk();
      continue;
    }
    ctx.out.Integer(*reply);
    if (dirty || changed) ++changes;
  }
  if (dirty || changes > 0) {
    bool created = WriteString(ctx.txn, key, value, /*keep_ttl=*/true);
    if (created) NotifyNew(ctx, ctx.args[1]);
  }
  if (changes > 0) ctx.Notify(keyspace::notify::kString, "setbit", ctx.args[1]);
}

void Bitfield(CommandContext& ctx) { BitfieldGeneric(ctx, false); }
void BitfieldRo(CommandContext& ctx) { BitfieldGeneric(ctx, true); }

}  // namespace

void RegisterBitmapFamily(CommandTable& t) {
  // BITFIELD's key is RO + access when it only GETs, as Redis's bitfieldGetKeys.
  constexpr KeysFunction kBitfieldKeys = [](std::span<const std::string_view> args,
                                            std::vector<KeyRef>* out) {
    bool read_only = true;
    for (size_t i = 2; i < args.size(); ++i) {
      size_t rem = args.size() - i - 1;
      if (EqualsIgnoreCase(args[i], "get") && rem >= 2) {
        i += 2;
      } else if (EqualsIgnoreCase(args[i], "overflow") && rem >= 1) {
        i += 1;
      } else {
        read_only = false;  // SET, INCRBY, or a syntax error: assume a write, as Redis
        break;
      }
    }
    out->push_back({1, read_only ? kKeyRO | kKeyAccess : kKeyRW | kKeyAccess | kKeyUpdate});
    return true;
  };
  constexpr auto kOneKey = [](uint32_t flags) {
    return KeySpec{.flags = flags, .begin = Index(1), .find = Range(0, 1, 0)};
  };
  t.Add({.name = "setbit",
         .arity = 4,
         .flags = kWrite | kDenyOom,
         .acl = acl::kWrite | acl::kBitmap | acl::kSlow,
         .key_specs = {kOneKey(kKeyRW | kKeyAccess | kKeyUpdate)},
         .handler = WithKeyEvents<SetBit>})
      .Add({.name = "getbit",
            .arity = 3,
            .flags = kReadOnly | kFast,
            .acl = acl::kRead | acl::kBitmap | acl::kFast,
            .key_specs = {kOneKey(kKeyRO | kKeyAccess)},
            .handler = GetBit})
      .Add({.name = "bitcount",
            .arity = -2,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kBitmap | acl::kSlow,
            .key_specs = {kOneKey(kKeyRO | kKeyAccess)},
            .handler = BitCount})
      .Add({.name = "bitpos",
            .arity = -3,
            .flags = kReadOnly,
            .acl = acl::kRead | acl::kBitmap | acl::kSlow,
            .key_specs = {kOneKey(kKeyRO | kKeyAccess)},
            .handler = BitPos})
      .Add({.name = "bitop",
            .arity = -4,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kBitmap | acl::kSlow,
            .key_specs = {{.flags = kKeyOW | kKeyUpdate, .begin = Index(2), .find = Range(0, 1, 0)},
                          {.flags = kKeyRO | kKeyAccess,
                           .begin = Index(3),
                           .find = Range(-1, 1, 0)}},
            .handler = WithKeyEvents<BitOp>})
      .Add({.name = "bitfield",
            .arity = -2,
            .flags = kWrite | kDenyOom,
            .acl = acl::kWrite | acl::kBitmap | acl::kSlow,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags,
                           .begin = Index(1),
                           .find = Range(0, 1, 0),
                           .notes = "This command allows both access and modification of the key"}},
            .handler = WithKeyEvents<Bitfield>,
            .keys_function = kBitfieldKeys})
      .Add({.name = "bitfield_ro",
            .arity = -2,
            .flags = kReadOnly | kFast,
            .acl = acl::kRead | acl::kBitmap | acl::kFast,
            .key_specs = {kOneKey(kKeyRO | kKeyAccess)},
            .handler = BitfieldRo});
}

}  // namespace petacore::commands
