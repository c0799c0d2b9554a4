#include "ssebridge/redis_address.h"

#include <cstdlib>

#include "ssebridge/uri.h"

namespace ssebridge {
namespace {

bool ParseSmallInt(const std::string& text, int max, int* out) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  int value = atoi(text.c_str());
  if (value > max) return false;
  *out = value;
  return true;
}

}  // namespace

std::string ParseRedisAddress(const std::string& url, RedisAddress* address) {
  RedisAddress result;
  const std::string kUnix = "unix://";
  const std::string kRedis = "redis://";
  if (url.compare(0, kUnix.size(), kUnix) == 0) {
    std::string rest = url.substr(kUnix.size());
    size_t query = rest.find('?');
    if (query != std::string::npos) {
      std::string params = rest.substr(query + 1);
      rest = rest.substr(0, query);
      for (const auto& [key, value] : ParseQuery(params)) {
        if (key == "db" && !ParseSmallInt(value, 1 << 20, &result.database)) return "bad db in '" + url + "'";
      }
    }
    if (rest.empty() || rest[0] != '/') return "expected unix:///absolute/path, got '" + url + "'";
    result.is_unix = true;
    result.host = rest;
    *address = result;
    return "";
  }
  if (url.compare(0, kRedis.size(), kRedis) != 0) {
    return "expected redis://host[:port][/db] or unix:///path, got '" + url + "'";
  }
  std::string rest = url.substr(kRedis.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) {
    std::string db = rest.substr(slash + 1);
    if (!db.empty() && !ParseSmallInt(db, 1 << 20, &result.database)) return "bad database number in '" + url + "'";
  }
  size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = userinfo.find(':');
    std::optional<std::string> user = PercentDecode(userinfo.substr(0, colon), false);
    std::optional<std::string> password =
        colon == std::string::npos ? std::optional<std::string>("") : PercentDecode(userinfo.substr(colon + 1), false);
    if (!user || !password) return "bad percent-encoding in credentials of '" + url + "'";
    if (colon == std::string::npos) {
      // redis://secret@host: a lone userinfo is the password, as redis-cli reads it.
      result.password = *user;
    } else {
      result.username = *user;
      result.password = *password;
    }
  }
  std::string host = authority;
  std::string port;
  const bool bracketed = !host.empty() && host[0] == '[';
  if (bracketed) {
    size_t close = host.find(']');
    if (close == std::string::npos) return "unterminated IPv6 address in '" + url + "'";
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return "bad host in '" + url + "'";
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else {
    size_t colon = host.rfind(':');
    if (colon != std::string::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
  }
  if (host.empty()) return "missing host in '" + url + "'";
  if (!bracketed && host.find(':') != std::string::npos) return "IPv6 hosts need brackets, e.g. redis://[::1]:6379, in '" + url + "'";
  if (!authority.empty() && authority.back() == ':') return "empty port in '" + url + "'";
  if (!port.empty() && (!ParseSmallInt(port, 65535, &result.port) || result.port == 0)) {
    return "bad port in '" + url + "'";
  }
  result.host = host;
  *address = result;
  return "";
}

}  // namespace ssebridge
