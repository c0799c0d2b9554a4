// RedisAddress: where and how to reach Redis, parsed from a URL.
#pragma once

#include <string>

namespace ssebridge {

struct RedisAddress {
  bool is_unix = false;
  std::string host = "127.0.0.1";  // Or the socket path when is_unix.
  int port = 6379;
  std::string username;            // Empty: AUTH with password only (Redis < 6 style).
  std::string password;            // Empty: no AUTH.
  int database = 0;
};

// Accepts redis://[user:password@]host[:port][/db] (user may be empty: redis://:pw@h)
// and unix:///path/to/redis.sock[?db=N]. Returns "" on success or what is wrong.
std::string ParseRedisAddress(const std::string& url, RedisAddress* address);

}  // namespace ssebridge
