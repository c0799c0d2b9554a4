#include "ssebridge/redis_sentinel_reply.h"

#include <hiredis/hiredis.h>

namespace ssebridge {
namespace {

bool ParsePort(std::string_view text, int* port) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string_view::npos) return false;
  int value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  if (value < 1 || value > 65535) return false;
  *port = value;
  return true;
}

// "host:port" or "[v6]:port" into `out`; false when malformed.
bool ParseEndpoint(std::string_view text, RedisAddress* out) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = text.substr(0, colon);
    // An unbracketed IPv6 address would split at its last colon: refuse it.
    if (host.find(':') != std::string_view::npos) return false;
    port = text.substr(colon + 1);
  }
  if (host.empty() || host.find_first_of(" \t,[]/") != std::string_view::npos) return false;
  if (!ParsePort(port, &out->port)) return false;
  out->is_unix = false;
  out->host.assign(host.data(), host.size());
  return true;
}

std::string_view Text(const redisReply* reply) {
  if (reply == nullptr || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)) return {};
  return std::string_view(reply->str, reply->len);
}

}  // namespace

std::string ParseSentinelList(const std::string& text, const std::string& password, std::vector<RedisAddress>* out) {
  std::vector<RedisAddress> parsed;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find(',', begin);
    if (end == std::string::npos) end = text.size();
    std::string_view entry(text.data() + begin, end - begin);
    RedisAddress address;
    address.password = password;
    if (!ParseEndpoint(entry, &address)) {
      return "expected host:port[,host:port...] (IPv6 as [addr]:port), got '" + std::string(entry) + "'";
    }
    parsed.push_back(address);
    begin = end + 1;
  }
  out->insert(out->end(), parsed.begin(), parsed.end());
  return "";
}

bool ParseMasterAddressReply(const redisReply* reply, RedisAddress* out) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) return false;
  const std::string_view host = Text(reply->element[0]);
  int port = 0;
  if (host.empty() || !ParsePort(Text(reply->element[1]), &port)) return false;
  out->is_unix = false;
  out->host.assign(host.data(), host.size());
  out->port = port;
  return true;
}

bool ParseSwitchMaster(std::string_view payload, std::string* name, RedisAddress* to) {
  std::vector<std::string_view> words;
  size_t begin = 0;
  while (begin < payload.size()) {
    size_t end = payload.find(' ', begin);
    if (end == std::string_view::npos) end = payload.size();
    if (end > begin) words.push_back(payload.substr(begin, end - begin));
    begin = end + 1;
  }
  int port = 0;
  if (words.size() != 5 || !ParsePort(words[4], &port)) return false;
  name->assign(words[0].data(), words[0].size());
  to->is_unix = false;
  to->host.assign(words[3].data(), words[3].size());
  to->port = port;
  return true;
}

bool IsMasterRoleReply(const redisReply* reply) {
  return reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
         Text(reply->element[0]) == "master";
}

std::string EndpointText(const RedisAddress& address) {
  if (address.is_unix) return address.host;
  const bool v6 = address.host.find(':') != std::string::npos;
  return (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

}  // namespace ssebridge
