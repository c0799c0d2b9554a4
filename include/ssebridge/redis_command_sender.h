// RedisCommandSender: the one thing the Redis broker's parts need from a
// command connection — send a command, get its reply once. RedisClient
// implements it over hiredis; unit tests implement it with a recorder that
// answers with reply trees built in the test (test/unit/fake_redis.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

struct redisReply;

namespace ssebridge {

class RedisCommandSender {
 public:
  // The reply is freed when the callback returns: copy what you need.
  using ReplyCallback = std::function<void(const redisReply* reply)>;

  virtual ~RedisCommandSender() = default;

  // Either returns false and never calls `callback`, or returns true and
  // `callback` runs exactly once, never inside this call: with the reply, or
  // with nullptr when the connection is lost, times out or is stopped.
  // Arguments are binary-safe.
  virtual bool Command(const std::vector<std::string>& args, ReplyCallback callback) = 0;

  // True while Command() can send.
  virtual bool ready() const = 0;
};

}  // namespace ssebridge
