#include "commands/key_access.h"

#include "commands/string_value.h"

namespace petacore::commands {

KeyRead ReadKey(CommandContext& ctx, std::string_view user_key, keyspace::ValueType type) {
  KeyRead r;
  r.meta_key = ctx.Key(user_key);
  auto raw = ctx.txn.Get(r.meta_key);
  if (!raw) return r;
  auto v = keyspace::DecodeValue(*raw);
  if (!v || v->type != type) {
    r.state = KeyRead::State::kWrongType;
    return r;
  }
  r.state = KeyRead::State::kOk;
  r.value = *v;
  return r;
}

std::optional<keyspace::ValueType> KeyType(CommandContext& ctx, const std::string& meta_key) {
  auto raw = ctx.txn.Get(meta_key);
  if (!raw) return std::nullopt;
  auto v = keyspace::DecodeValue(*raw);
  if (!v) return std::nullopt;
  return v->type;
}

bool DeleteKey(CommandContext& ctx, const std::string& meta_key) {
  auto type = KeyType(ctx, meta_key);
  if (!type) return false;
  if (*type == keyspace::ValueType::kString) return ctx.txn.Delete(meta_key);
  ctx.txn.DeleteRange(meta_key, keyspace::KeyEnd(meta_key));
  return true;
}

void ScanSubkeys(CommandContext& ctx, const std::string& meta_key, char tag,
                 const std::function<bool(std::string_view, std::string_view)>& fn) {
  std::string start = keyspace::SubKeyStart(meta_key, tag);
  size_t skip = start.size();
  ctx.txn.Range(start, keyspace::SubKeyEnd(meta_key, tag),
                [&](std::string_view key, std::string_view value) {
                  return fn(key.substr(skip), value);
                });
}

int64_t CurrentExpireAt(CommandContext& ctx, const std::string& meta_key) {
  auto raw = ctx.txn.Get(meta_key);  // an expired key reads as absent
  if (!raw) return 0;
  auto v = keyspace::DecodeValue(*raw);
  return v ? v->expire_at_ms : 0;
}

void WriteMeta(CommandContext& ctx, const std::string& meta_key, keyspace::ValueType type,
               std::string_view payload) {
  ctx.txn.Put(meta_key, keyspace::EncodeValue(type, payload, CurrentExpireAt(ctx, meta_key)));
}

void WriteString(CommandContext& ctx, const std::string& store_key, std::string_view value,
                 bool keep_ttl) {
  int64_t expire_at = keep_ttl ? CurrentExpireAt(ctx, store_key) : 0;
  WriteStringExpire(ctx, store_key, value, expire_at);
}

void WriteStringExpire(CommandContext& ctx, const std::string& store_key, std::string_view value,
                       int64_t expire_at_ms) {
  // SET over a collection replaces it: its subkeys must go too, or they would resurface when
  // the key becomes a collection again. Reading the type also makes the write compare the
  // meta key, so a concurrent HSET from another node cannot slip subkeys in meanwhile.
  auto type = KeyType(ctx, store_key);
  if (type && *type != keyspace::ValueType::kString) {
    ctx.txn.DeleteRange(store_key, keyspace::KeyEnd(store_key));
  }
  ctx.txn.Put(store_key,
              keyspace::EncodeValue(keyspace::ValueType::kString, value, expire_at_ms));
}

}  // namespace petacore::commands
