// RedisClient: one hiredis async connection on the libuv loop, with an explicit
// state machine, a connect timeout, a command timeout and reconnection with
// capped exponential backoff (Debian's hiredis 0.14 has no timeouts of its own,
// so uv timers provide them).
//
// Commands follow RedisCommandSender's contract: the callback runs exactly
// once, with the reply or with nullptr when the connection is lost, times out
// or the client stops.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <uv.h>

#include "ssebridge/backoff.h"
#include "ssebridge/redis_address.h"
#include "ssebridge/redis_command_sender.h"

struct redisAsyncContext;

namespace ssebridge {

class RedisClient : public RedisCommandSender {
 public:
  enum class State { kIdle, kResolving, kConnecting, kHandshaking, kReady, kBackoff, kStopped };

  // Where to connect, when Sentinel says (redis_sentinel.h): nullptr when no
  // sentinel named a master.
  using AddressCallback = std::function<void(const RedisAddress* found)>;
  // Asks where the master is. Either returns false (nobody can be asked now)
  // and never calls `done`, or returns true and `done` runs exactly once,
  // never inside this call.
  using Resolver = std::function<bool(AddressCallback done)>;

  struct Options {
    RedisAddress address;
    std::string name = "redis";          // For log lines and CLIENT SETNAME.
    uint64_t connect_timeout_ms = 1000;  // Also bounds the AUTH/SELECT/PING handshake.
    uint64_t command_timeout_ms = 5000;  // 0 disables (subscriber connection).
    uint64_t backoff_min_ms = 100;
    uint64_t backoff_max_ms = 5000;
    // Sentinel mode: set, it is asked before every connection attempt (so
    // any disconnect rediscovers the master) and its answer replaces host
    // and port of `address`; credentials and database stay ours. The
    // connect timeout bounds the question too.
    Resolver resolve;
    // Checks with ROLE during the handshake that the server is a master,
    // and drops it (to ask again after a backoff) when it is not.
    bool require_master = false;
  };

  RedisClient(uv_loop_t* loop, Options options);
  // Stops the client if Stop() has not run.
  ~RedisClient() override;
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Begins connecting; reconnects by itself until Stop().
  void Start();

  // Frees the connection (pending callbacks get nullptr) and closes timers.
  // Safe to call more than once. The object may be destroyed as soon as it
  // returns: the timers are freed in their own close callbacks, never with
  // the object.
  void Stop();

  // Drops the connection, if there is one, and connects again soon with a
  // fresh backoff: Sentinel announced that the master moved. A client still
  // asking where to connect keeps asking.
  void Reconnect(const char* reason);

  // Sends a command when ready. Arguments are binary-safe.
  bool Command(const std::vector<std::string>& args, ReplyCallback callback) override;

  // The live context while ready (for SUBSCRIBE with hiredis's own callback
  // registry); nullptr otherwise.
  redisAsyncContext* context() const { return state_ == State::kReady ? context_ : nullptr; }

  State state() const { return state_; }
  bool ready() const override { return state_ == State::kReady; }
  uint64_t reconnects() const { return reconnects_; }
  // Connection attempts (including the handshake) that passed
  // connect_timeout_ms, and commands that passed command_timeout_ms: each
  // dropped the connection, which was then re-established with backoff.
  uint64_t connect_timeouts() const { return connect_timeouts_; }
  uint64_t command_timeouts() const { return command_timeouts_; }
  // Where the client connects (or last connected): in Sentinel mode, the
  // master Sentinel named last.
  const RedisAddress& address() const { return options_.address; }

  // Called when the handshake completes / when a ready connection is lost.
  std::function<void()> on_ready;
  std::function<void()> on_lost;

 private:
  struct PendingCommand;
  static void OnConnect(const redisAsyncContext* context, int status);
  static void OnDisconnect(const redisAsyncContext* context, int status);
  static void OnReply(redisAsyncContext* context, void* reply, void* privdata);
  static void OnRetryTimer(uv_timer_t* timer);
  static void OnTimeoutTimer(uv_timer_t* timer);

  void Connect();
  void Resolve();
  void ConnectToAddress();
  void StartHandshake();
  bool Send(const std::vector<std::string>& args, ReplyCallback callback);
  void Drop(const char* reason);      // Forces the connection closed now.
  void ScheduleReconnect();
  void HandleLost();
  void CloseTimers();  // Idempotent; the close callbacks free the timers.

  uv_loop_t* loop_;
  Options options_;
  State state_ = State::kIdle;
  redisAsyncContext* context_ = nullptr;
  // Heap-allocated and freed in their close callbacks (see CloseTimers).
  uv_timer_t* retry_timer_;    // Connect/handshake timeout, then backoff delay.
  uv_timer_t* timeout_timer_;  // Periodic command-timeout check.
  std::deque<uint64_t> deadlines_;  // Per in-flight command, in send order.
  Backoff backoff_;
  uint64_t reconnects_ = 0;
  uint64_t connect_timeouts_ = 0;
  uint64_t command_timeouts_ = 0;
  // Resolver answers are matched to the attempt that asked, and dropped
  // once the client is gone (the resolver may outlive it).
  uint64_t resolve_attempt_ = 0;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
  bool was_ready_ = false;
  bool timers_closed_ = false;
};

}  // namespace ssebridge
