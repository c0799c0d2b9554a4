// RedisSentinel: finds the Redis master through Redis Sentinel and tells
// when it moves, following the Sentinel client rules
// (https://redis.io/docs/latest/develop/reference/sentinel-clients/):
//
//  - Resolve() asks the sentinels in turn, SENTINEL get-master-addr-by-name,
//    and the first that names the master wins; it moves to the front of the
//    list, so the next question goes to a sentinel known to answer;
//  - the data connections verify the answer with ROLE before using it
//    (RedisClient::Options::require_master) and ask again on any disconnect
//    (RedisClient::Options::resolve), with a capped backoff, forever;
//  - every sentinel's +switch-master is listened to, and on_switch tells the
//    owner to reconnect at once instead of waiting for a timeout.
//
// One command connection and one pub/sub connection per sentinel, each a
// RedisClient reconnecting by itself: a sentinel that dies and comes back is
// used again without a restart.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ssebridge/redis_client.h"
#include "ssebridge/redis_subscriber.h"

namespace ssebridge {

class RedisSentinel {
 public:
  struct Options {
    std::vector<RedisAddress> sentinels;  // With the sentinels' password, if any.
    std::string master_name;
    uint64_t connect_timeout_ms = 1000;
    uint64_t command_timeout_ms = 1000;  // A sentinel that does not answer is skipped after it.
  };

  RedisSentinel(uv_loop_t* loop, Options options);
  ~RedisSentinel();
  RedisSentinel(const RedisSentinel&) = delete;
  RedisSentinel& operator=(const RedisSentinel&) = delete;

  // Connects to every sentinel (in the background, retried forever).
  void Start();
  // Closes every sentinel connection; pending Resolve() calls answer nullptr.
  void Stop();

  // RedisClient::Resolver: returns false (and never calls `done`) when no
  // sentinel connection is up; else `done` runs exactly once, later, with
  // the master's address or nullptr when no sentinel named one.
  bool Resolve(RedisClient::AddressCallback done);

  // The master moved (+switch-master for our master name, or a Resolve()
  // naming another address than the last): runs once per move.
  std::function<void(const RedisAddress& master)> on_switch;

  // Moves of the master seen since start (ssebridge_redis_failovers_total).
  uint64_t failovers() const { return failovers_; }
  // Sentinel connections up, for logs and tests.
  size_t sentinels_up() const;

 private:
  struct Query;
  struct Sentinel {
    RedisAddress address;
    std::unique_ptr<RedisClient> commands;
    std::unique_ptr<RedisSubscriber> events;
  };

  // Asks the sentinels from position `next` on; answers `query` when one
  // names the master or none is left.
  void Ask(const std::shared_ptr<Query>& query, size_t next);
  // A sentinel named `master` (by answer or by +switch-master).
  void Learn(const RedisAddress& master, const char* how);
  void OnSwitchMessage(std::string_view payload);

  uv_loop_t* loop_;
  Options options_;
  // In the order they are asked; the last to answer is first.
  std::vector<std::shared_ptr<Sentinel>> sentinels_;
  bool known_ = false;
  RedisAddress master_;  // The last address a sentinel named.
  uint64_t failovers_ = 0;
  bool stopped_ = false;
};

}  // namespace ssebridge
