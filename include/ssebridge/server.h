// Server: the listener, the connection registry and limits, the per-turn
// flush, the sweeps (request timeouts, lingering closes, heartbeats), and
// graceful shutdown. Owns the pub/sub registry and the broker.
//
// Timers: there is no timer per connection. Connections waiting for a request
// sit in a list ordered by the time they started waiting (all share one
// timeout), streams in a list ordered by their last write; one periodic sweep
// walks each list from the front and stops at the first entry not yet due.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <uv.h>

#include "ssebridge/acceptor.h"
#include "ssebridge/broker.h"
#include "ssebridge/client_limits.h"
#include "ssebridge/completion_queue.h"
#include "ssebridge/config.h"
#include "ssebridge/connection.h"
#include "ssebridge/intrusive_list.h"
#include "ssebridge/metrics.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/redis_broker.h"

namespace ssebridge {

class Server {
 public:
  Server(uv_loop_t* loop, Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the broker. Returns 0 or a libuv error code.
  int Start();

  // Stops accepting, ends every stream cleanly and closes all handles; the
  // loop then runs out of work. Idempotent.
  void Shutdown();

  uint16_t port() const { return port_; }
  uv_loop_t* loop() const { return loop_; }
  const Config& config() const { return config_; }
  PubsubRegistry& registry() { return registry_; }
  Broker& broker() { return *broker_; }
  Counters& counters() { return counters_; }
  ClientLimits& client_limits() { return client_limits_; }
  const std::vector<CidrRange>& trusted_proxies() const { return trusted_proxies_; }
  // Shared by every connection for lines a flood could repeat (429s, say).
  LogLimiter& limit_log() { return limit_log_; }
  bool shutting_down() const { return shutting_down_; }
  uint64_t now_ms() const { return uv_now(loop_); }
  uv_buf_t read_buffer() { return uv_buf_init(read_buffer_.get(), kReadBufferSize); }

  Connection* FindConnection(uint64_t id) const;
  // A small pool of parsed-request objects shared by all connections; see
  // Connection::Consume. Recursion-safe: each caller holds its own object.
  HttpRequest TakeSpareRequest();
  void ReturnSpareRequest(HttpRequest request);
  HeaderList CorsHeaders(const HttpRequest& request) const;
  // Access-Control-Allow-Methods/-Headers/-Max-Age for an allowed origin
  // (without the Allow-Origin headers, which every response gets from CorsHeaders).
  HeaderList PreflightHeaders(const HttpRequest& request) const;
  std::pair<int, std::string> HealthReport() const;
  std::string MetricsText() const;
  Gauges CurrentGauges() const;

  // Called by connections.
  void ScheduleFlush(Connection* connection);
  // For live messages: flushes within --write-delay ms (this turn when 0), so
  // that messages arriving meanwhile share the write.
  void ScheduleDelayedFlush(Connection* connection);
  void TrackReading(Connection* connection);
  void TrackLingering(Connection* connection);
  void UntrackDeadline(Connection* connection);
  void TrackStream(Connection* connection);
  void UntrackStream(Connection* connection);
  void OnConnectionClosing(Connection* connection);
  void OnConnectionClosed(Connection* connection);

 private:
  static constexpr unsigned kReadBufferSize = 64 * 1024;
  static constexpr uint64_t kLingerMs = 2000;
  static constexpr uint64_t kShutdownGraceMs = 4000;
  static constexpr size_t kMaxSpareRequests = 8;

  // Per-client entries are swept this often; an idle entry lives at most
  // this long after its bucket refilled.
  static constexpr uint64_t kClientSweepMs = 5000;

  static void OnPrepare(uv_prepare_t* handle);
  static void OnSweep(uv_timer_t* timer);
  static void OnWriteDelay(uv_timer_t* timer);
  static void OnShutdownDeadline(uv_timer_t* timer);

  History::Limits HistoryLimits() const;
  void OnAccepted(int fd, const sockaddr_storage& peer);
  void FlushPending();
  void Sweep();
  void MaybeFinishShutdown();

  uv_loop_t* loop_;
  Config config_;
  Counters counters_;
  PubsubRegistry registry_;
  // Declared before the broker, which posts to it, so it outlives the broker.
  CompletionQueue completions_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<char[]> read_buffer_;
  std::vector<HttpRequest> spare_requests_;
  Acceptor acceptor_;
  ClientLimits client_limits_;
  std::vector<CidrRange> trusted_proxies_;
  LogLimiter limit_log_;
  LogLimiter overload_log_;
  uint64_t last_client_sweep_ms_ = 0;
  uv_prepare_t flush_prepare_;
  uv_timer_t sweep_timer_;
  uv_timer_t shutdown_timer_;
  uv_timer_t write_delay_timer_;
  uint16_t port_ = 0;
  uint32_t max_connections_ = 0;
  uint64_t next_connection_id_ = 1;
  std::unordered_map<uint64_t, Connection*> connections_;
  IntrusiveList<Connection> flush_list_;
  IntrusiveList<Connection> delayed_flush_list_;
  IntrusiveList<Connection> reading_list_;
  IntrusiveList<Connection> lingering_list_;
  IntrusiveList<Connection> stream_list_;
  bool started_ = false;
  bool shutting_down_ = false;
  bool handles_closed_ = false;
};

}  // namespace ssebridge
