#include "keyspace/messages.h"

#include <charconv>
#include <cstdio>

namespace petacore::keyspace {
namespace {

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool ReadVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    auto byte = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

bool ReadString(std::string_view* in, std::string_view* out) {
  uint64_t len;
  if (!ReadVarint(in, &len) || len > in->size()) return false;
  *out = in->substr(0, len);
  in->remove_prefix(len);
  return true;
}

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

void AppendMessage(std::string* record, MessageKind kind, std::string_view channel,
                   std::string_view payload) {
  record->push_back(static_cast<char>(kind));
  AppendVarint(record, channel.size());
  record->append(channel);
  AppendVarint(record, payload.size());
  record->append(payload);
}

bool ForEachMessage(std::string_view record,
                    const std::function<void(MessageKind, std::string_view, std::string_view)>& fn) {
  while (!record.empty()) {
    char kind = record.front();
    if (kind != static_cast<char>(MessageKind::kChannel) &&
        kind != static_cast<char>(MessageKind::kShard)) {
      return false;
    }
    record.remove_prefix(1);
    std::string_view channel, payload;
    if (!ReadString(&record, &channel) || !ReadString(&record, &payload)) return false;
    fn(static_cast<MessageKind>(kind), channel, payload);
  }
  return true;
}

std::string MessageRecordPrefix(std::string_view node_id) {
  std::string p(kMessageRecordPrefix);
  p.append(node_id);
  p.push_back('/');
  return p;
}

std::string ClientSubscriptionsStart(uint64_t process, int64_t client_id) {
  std::string k(kSubscriptionPrefix);
  k += Hex(process);
  k += '/';
  k += std::to_string(client_id);
  k += '/';
  return k;
}

std::string ClientSubscriptionsEnd(uint64_t process, int64_t client_id) {
  std::string k = ClientSubscriptionsStart(process, client_id);
  k.back() = '/' + 1;
  return k;
}

std::string SubscriptionKey(uint64_t process, int64_t client_id, SubscriptionKind kind,
                            std::string_view name) {
  std::string k = ClientSubscriptionsStart(process, client_id);
  k.push_back(static_cast<char>(kind));
  k.append(name);
  return k;
}

DecodedSubscription DecodeSubscriptionKey(std::string_view key) {
  DecodedSubscription d;
  if (!key.starts_with(kSubscriptionPrefix)) return d;
  key.remove_prefix(kSubscriptionPrefix.size());
  if (key.size() < 17 || key[16] != '/') return d;
  auto r = std::from_chars(key.data(), key.data() + 16, d.process, 16);
  if (r.ec != std::errc() || r.ptr != key.data() + 16) return d;
  key.remove_prefix(17);
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return d;
  auto r2 = std::from_chars(key.data(), key.data() + slash, d.client_id);
  if (r2.ec != std::errc() || r2.ptr != key.data() + slash) return d;
  key.remove_prefix(slash + 1);
  if (key.empty()) return d;
  char kind = key.front();
  if (kind != 'c' && kind != 'p' && kind != 's') return d;
  d.kind = static_cast<SubscriptionKind>(kind);
  d.name = key.substr(1);
  d.ok = true;
  return d;
}

namespace notify {
int ParseFlags(std::string_view text) {
  int flags = 0;
  for (char ch : text) {
    switch (ch) {
      case 'A': flags |= kAll; break;
      case 'g': flags |= kGeneric; break;
      case '$': flags |= kString; break;
      case 'l': flags |= kList; break;
      case 's': flags |= kSet; break;
      case 'h': flags |= kHash; break;
      case 'z': flags |= kZSet; break;
      case 'x': flags |= kExpired; break;
      case 'e': flags |= kEvicted; break;
      case 'K': flags |= kKeyspace; break;
      case 'E': flags |= kKeyevent; break;
      case 't': flags |= kStream; break;
      case 'm': flags |= kKeyMiss; break;
      case 'd': flags |= kModule; break;
      case 'n': flags |= kNew; break;
      default: return -1;
    }
  }
  return flags;
}
}  // namespace notify

void AppendKeyspaceEvent(std::string* record, int flags, int type, std::string_view event,
                         int db, std::string_view user_key) {
  if (!(flags & type)) return;
  std::string channel;
  if (flags & notify::kKeyspace) {
    channel = "__keyspace@" + std::to_string(db) + "__:";
    channel.append(user_key);
    AppendMessage(record, MessageKind::kChannel, channel, event);
  }
  if (flags & notify::kKeyevent) {
    channel = "__keyevent@" + std::to_string(db) + "__:";
    channel.append(event);
    AppendMessage(record, MessageKind::kChannel, channel, user_key);
  }
}

}  // namespace petacore::keyspace
