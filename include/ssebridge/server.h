// Server: the listener, the connection registry and limits, and graceful
// shutdown. Owns the pub/sub registry, the broker, the loop scheduler (per-turn
// flush, sweeps; see loop_scheduler.h) and the BridgeContext through which
// connections reach all of them.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <uv.h>

#include "ssebridge/acceptor.h"
#include "ssebridge/app_authorizer.h"
#include "ssebridge/authorizer.h"
#include "ssebridge/bridge_context.h"
#include "ssebridge/client_limits.h"
#include "ssebridge/completion_queue.h"
#include "ssebridge/config.h"
#include "ssebridge/cors_policy.h"
#include "ssebridge/loop_scheduler.h"
#include "ssebridge/metrics.h"
#include "ssebridge/client_registry.h"
#include "ssebridge/poll_holds.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/stream_expiry.h"
#include "ssebridge/service_notifier.h"

namespace ssebridge {

class Broker;
class Connection;
class ControlListener;
class FifoReader;
class TlsContext;

class Server : public ConnectionOwner {
 public:
  Server(uv_loop_t* loop, Config config);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The broker (see MakeBroker), built on completions(), registry() and
  // counters(); called once, before Start().
  void AttachBroker(std::unique_ptr<Broker> broker);

  // The access policy with its token keys (see MakeAuthorizer). Until one is
  // attached, the configuration's anonymous policy applies and no token is
  // accepted. Called before Start().
  void AttachAuthorizer(std::unique_ptr<Authorizer> authorizer);

  // The certificate for tls: listeners (see MakeTlsContext); needed before
  // Start() when any --listen address starts with "tls:".
  void AttachTls(std::unique_ptr<TlsContext> tls);

  // SIGHUP: rereads --tls-cert and --tls-key. New handshakes use the new
  // certificate; open connections keep theirs. A file that cannot be used
  // leaves the old certificate in place (logged, counted). No-op without TLS.
  void ReloadTls();

  // Binds, listens (also the control port and the FIFO, when configured) and
  // starts the broker. Returns 0 or a libuv error code.
  int Start();

  // Stops accepting, ends every stream cleanly and closes all handles; the
  // loop then runs out of work. Idempotent. The same as Drain(0).
  void Shutdown() { Drain(0); }

  // The graceful shutdown (SIGTERM): stops accepting at once, answers or
  // closes every connection that is not a stream as Shutdown() does, and
  // ends the streams in a few batches spread over `window_ms`, each with a
  // `retry:` drawn at random below the batch spacing (at least 1 s), so
  // that clients come back spread out rather than all at once. A later
  // Drain(0) (SIGINT after SIGTERM) ends the remaining streams at once.
  void Drain(uint64_t window_ms);

  // The port of the first TCP listener (0 when there is none).
  uint16_t port() const { return port_; }
  uint16_t control_port() const;
  uv_loop_t* loop() const { return loop_; }
  const Config& config() const { return config_; }
  PubsubRegistry& registry() { return registry_; }
  CompletionQueue& completions() { return completions_; }
  Broker& broker() { return *broker_; }
  Counters& counters() { return counters_; }
  ClientLimits& client_limits() { return client_limits_; }
  bool shutting_down() const { return shutting_down_; }
  uint64_t now_ms() const { return uv_now(loop_); }

  // ConnectionOwner.
  Connection* FindConnection(uint64_t id) const override;
  void OnConnectionClosing(Connection* connection) override;
  void OnConnectionClosed(Connection* connection) override;
  bool CompleteAnswer(uint64_t id, uint64_t sequence, std::string response) override;
  bool ResumeRequest(uint64_t id) override;
  size_t open_connections() const override { return connections_.size(); }
  size_t queued_bytes() const override;

 private:
  static constexpr unsigned kReadBufferSize = 64 * 1024;
  static constexpr uint64_t kLingerMs = 2000;
  static constexpr uint64_t kShutdownGraceMs = 4000;
  static constexpr int kListenBacklog = 4096;
  // A drain ends streams in batches this far apart, at most kMaxDrainBatches.
  static constexpr uint64_t kDrainBatchMs = 250;
  static constexpr uint64_t kMaxDrainBatches = 20;
  // Streams ended together are told to reconnect within at least this long.
  static constexpr uint64_t kMinRetryJitterMs = 1000;

  // Per-client entries are swept this often; an idle entry lives at most
  // this long after its bucket refilled.
  static constexpr uint64_t kClientSweepMs = 5000;

  static void OnShutdownDeadline(uv_timer_t* timer);
  static void OnDrainTimer(uv_timer_t* timer);
  // Ends the next share of the open streams: all that are left divided by
  // the batches left (rounded up).
  void EndStreamBatch();

  void OnAccepted(int fd, const sockaddr_storage& peer, bool tls);
  // One acceptor per --listen address, in order; stops at the first failure.
  int StartAppAuthorizer();
  int StartListeners();
  int StartLineSources();
  // One line from the control port or the FIFO (control_line.h): a publish
  // through the broker like POST /publish, or a command. Counted in
  // ssebridge_control_lines_total under `kind`.
  void HandleControlLine(std::string_view line, const std::string& source, LineSource kind);
  void LogStatus();
  // The access policy in one line; a warning when a non-loopback listener
  // lets anyone publish.
  void LogAccessPolicy() const;
  void SweepClients(uint64_t now);
  // READY=1 once listening and the broker is ready (Redis connected).
  void NotifyReadyIfServing();
  void MaybeFinishShutdown();

  uv_loop_t* loop_;
  Config config_;
  Counters counters_;
  PubsubRegistry registry_;
  ClientRegistry clients_;
  // Declared before the broker, which posts to it, so it outlives the broker.
  CompletionQueue completions_;
  std::unique_ptr<Broker> broker_;
  // After the broker: its holds unsubscribe (telling the broker) when destroyed.
  PollHolds poll_holds_;
  std::unique_ptr<char[]> read_buffer_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  ClientLimits client_limits_;
  std::vector<CidrRange> trusted_proxies_;
  LogLimiter limit_log_;
  LogLimiter overload_log_;
  uint64_t last_client_sweep_ms_ = 0;
  CorsPolicy cors_;
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<TlsContext> tls_;  // Null without tls: listeners.
  std::unique_ptr<AppAuthorizer> app_authorizer_;  // --auth-url; null without it.
  StreamExpiries expiries_;
  ServiceNotifier notifier_;
  LoopScheduler scheduler_;
  BridgeContext context_;
  uv_timer_t shutdown_timer_;
  uv_timer_t drain_timer_;  // One timer for all the drain's batches: no timer per stream.
  uint64_t drain_batches_left_ = 0;
  uint64_t drain_jitter_ms_ = kMinRetryJitterMs;
  std::minstd_rand jitter_random_;
  uint16_t port_ = 0;
  uint32_t max_connections_ = 0;
  uint64_t next_connection_id_ = 1;
  std::unordered_map<uint64_t, Connection*> connections_;
  std::unique_ptr<ControlListener> control_;  // --control-port / --control-listen.
  std::unique_ptr<FifoReader> fifo_;          // --fifo.
  bool started_ = false;
  bool shutting_down_ = false;
  bool handles_closed_ = false;
};

}  // namespace ssebridge
