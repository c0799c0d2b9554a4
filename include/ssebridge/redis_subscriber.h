// RedisSubscriber: the dedicated subscriber connection. It keeps Redis's
// SUBSCRIBE/PSUBSCRIBE set equal to the set of locally wanted topics, one
// command at a time per name, and re-subscribes everything after a reconnect.
//
// Each name has a wanted flag (local truth) and a remote state (what Redis has
// confirmed). A name is never re-subscribed while its UNSUBSCRIBE is still in
// flight: hiredis 0.14 would drop the new callback when the old unsubscribe
// confirmation arrives, silently losing every later message.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ssebridge/redis_client.h"

namespace ssebridge {

class RedisSubscriber {
 public:
  // source is the subscribed channel or pattern; channel is where it was published.
  using MessageHandler =
      std::function<void(std::string_view source, bool is_pattern, std::string_view channel, std::string_view payload)>;

  RedisSubscriber(uv_loop_t* loop, RedisClient::Options options, MessageHandler handler);

  void Start() { client_.Start(); }
  void Stop() { client_.Stop(); }
  // See RedisClient::Reconnect (the master moved).
  void Reconnect(const char* reason) { client_.Reconnect(reason); }
  // The connection, for its state and counters.
  const RedisClient& client() const { return client_; }

  void Want(const std::string& name, bool is_pattern);
  void Unwant(const std::string& name, bool is_pattern);

  bool ready() const { return client_.ready(); }
  uint64_t reconnects() const { return client_.reconnects(); }
  // Names Redis has confirmed (for tests and metrics).
  size_t confirmed_count() const;

  // True when Redis has confirmed every wanted name and nothing is pending.
  bool AllConfirmed() const;

  std::function<void()> on_ready;  // After a (re)connect, once commands are sent.
  std::function<void()> on_lost;
  // Redis confirmed a (P)SUBSCRIBE: from now on its messages arrive.
  std::function<void(const std::string& name, bool is_pattern)> on_confirmed;

 private:
  enum class Remote { kOff, kSubscribing, kOn, kUnsubscribing };
  struct Entry {
    bool wanted = false;
    Remote remote = Remote::kOff;
  };
  using Table = std::unordered_map<std::string, Entry>;

  static void OnSubscriptionReply(redisAsyncContext* context, void* reply, void* privdata);
  void HandleReply(const redisReply* reply);
  void Reconcile(const std::string& name, bool is_pattern);
  void SubscribeAllWanted();

  RedisClient client_;
  MessageHandler handler_;
  Table channels_;
  Table patterns_;
};

}  // namespace ssebridge
