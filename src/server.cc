#include "ssebridge/server.h"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstring>
#include <sys/time.h>

#include <vector>

#include "ssebridge/embedded_broker.h"
#include "ssebridge/http_response.h"
#include "ssebridge/log.h"
#include "ssebridge/redis_address.h"

namespace ssebridge {
namespace {

constexpr uint64_t kSweepIntervalMs = 250;

uint64_t MonotonicMillis() { return uv_hrtime() / 1000000; }

uint64_t WallClockMicros() {
  struct timeval now;
  gettimeofday(&now, nullptr);
  return static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_usec);
}

bool IsHeaderToken(const std::string& text) {
  for (char c : text) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ',' || c == ' ')) return false;
  }
  return true;
}

ClientLimits::Options ClientLimitOptions(const Config& config) {
  ClientLimits::Options options;
  options.max_streams = config.max_streams_per_ip;
  options.publish.per_second = config.max_publish_rate_per_ip;
  options.publish.burst = config.publish_burst_per_ip != 0 ? config.publish_burst_per_ip
                                                           : config.max_publish_rate_per_ip;
  return options;
}

}  // namespace

Server::Server(uv_loop_t* loop, Config config)
    : loop_(loop),
      config_(std::move(config)),
      read_buffer_(new char[kReadBufferSize]),
      acceptor_(loop, &counters_,
                BuildResponse(503, "application/json",
                              JsonErrorBody("server out of file descriptors; try again later"),
                              {{"Retry-After", "1"}}, 1, false),
                [this](int fd, const sockaddr_storage& peer) { OnAccepted(fd, peer); }),
      client_limits_(ClientLimitOptions(config_)) {
  for (const std::string& text : config_.trusted_proxies) {
    CidrRange range;
    if (ParseCidrRange(text, &range).empty()) trusted_proxies_.push_back(range);  // Validated by the loader.
  }
  uv_prepare_init(loop_, &flush_prepare_);
  flush_prepare_.data = this;
  uv_timer_init(loop_, &sweep_timer_);
  sweep_timer_.data = this;
  uv_timer_init(loop_, &write_delay_timer_);
  write_delay_timer_.data = this;
  uv_timer_init(loop_, &shutdown_timer_);
  shutdown_timer_.data = this;
}

Server::~Server() = default;

History::Limits Server::HistoryLimits() const {
  History::Limits limits;
  limits.messages_per_channel = config_.history_size;
  limits.ttl_ms = static_cast<uint64_t>(config_.history_ttl_seconds) * 1000;
  limits.max_bytes = config_.history_max_bytes;
  limits.max_channels = config_.history_max_channels;
  return limits;
}

int Server::Start() {
  max_connections_ = config_.max_connections;
  if (max_connections_ == 0) {
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    // Keep a few descriptors for Redis, logging and libuv's EMFILE reserve.
    max_connections_ = limit.rlim_cur > 128 ? static_cast<uint32_t>(limit.rlim_cur - 64) : 64;
  }
  // Clients with open streams are bounded by the connection limit; the rest
  // are publishers whose bucket has not refilled yet.
  client_limits_.set_max_entries(65536 + static_cast<size_t>(max_connections_));

  if (config_.redis_url.empty()) {
    broker_ = std::make_unique<EmbeddedBroker>(&completions_, &registry_, &counters_, HistoryLimits(), WallClockMicros,
                                               MonotonicMillis);
  } else {
    RedisBroker::Options options;
    ParseRedisAddress(config_.redis_url, &options.address);  // Validated by the config loader.
    options.recognise_envelopes = config_.redis_envelope;
    options.history = HistoryLimits();
    options.max_frame_bytes = config_.client_buffer_bytes;
    // A refill after a subscriber outage may hold a few MiB of live messages,
    // and at least one stream's worth.
    options.max_held_bytes = std::max<size_t>(8u << 20, config_.client_buffer_bytes);
    broker_ = std::make_unique<RedisBroker>(loop_, &completions_, options, &registry_, &counters_, MonotonicMillis);
  }
  registry_.set_listener(broker_.get());
  ReplayLimits replay_limits;
  replay_limits.max_messages = config_.max_replay_messages;
  replay_limits.max_bytes = config_.client_buffer_bytes;
  broker_->set_replay_limits(replay_limits);

  sockaddr_storage address{};
  int rc = uv_ip4_addr(config_.listen_host.c_str(), config_.listen_port, reinterpret_cast<sockaddr_in*>(&address));
  if (rc != 0) rc = uv_ip6_addr(config_.listen_host.c_str(), config_.listen_port, reinterpret_cast<sockaddr_in6*>(&address));
  if (rc != 0) {
    // A host name such as "localhost": resolve synchronously once at start-up.
    uv_getaddrinfo_t resolver;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    rc = uv_getaddrinfo(loop_, &resolver, nullptr, config_.listen_host.c_str(), nullptr, &hints);
    if (rc != 0) {
      LOG_ERROR("cannot resolve listen host '%s': %s", config_.listen_host.c_str(), uv_strerror(rc));
      return rc;
    }
    memcpy(&address, resolver.addrinfo->ai_addr, resolver.addrinfo->ai_addrlen);
    reinterpret_cast<sockaddr_in*>(&address)->sin_port = htons(config_.listen_port);
    uv_freeaddrinfo(resolver.addrinfo);
  }
  rc = acceptor_.Listen(reinterpret_cast<const sockaddr*>(&address), 4096);
  if (rc != 0) {
    LOG_ERROR("cannot listen on %s:%u: %s", config_.listen_host.c_str(), config_.listen_port, uv_strerror(rc));
    return rc;
  }
  port_ = acceptor_.port();

  uv_prepare_start(&flush_prepare_, OnPrepare);
  uv_timer_start(&sweep_timer_, OnSweep, kSweepIntervalMs, kSweepIntervalMs);
  broker_->Start();
  started_ = true;
  LOG_INFO("listening on %s:%u (%s broker, base path '%s', max %u connections)", config_.listen_host.c_str(), port_,
           broker_->kind(), config_.base_path.c_str(), max_connections_);
  // A newcomer's first question after starting it: where to look and how to stop.
  std::string host = config_.listen_host;
  if (host == "0.0.0.0" || host == "::") host = host == "::" ? "::1" : "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  LOG_INFO("demo page: http://%s:%u%s/ (Ctrl-C or SIGTERM stops the bridge)", host.c_str(), port_,
           config_.base_path.c_str());
  return 0;
}

void Server::OnAccepted(int fd, const sockaddr_storage& peer) {
  IpAddress peer_address;
  IpAddressFromSockaddr(reinterpret_cast<const sockaddr*>(&peer), &peer_address);
  auto* connection = new Connection(this, next_connection_id_++, peer_address);
  connections_.emplace(connection->id(), connection);
  int rc = connection->Open(fd);
  if (rc != 0) {
    LOG_WARN("cannot set up an accepted connection: %s", uv_strerror(rc));
    connection->Close();
    return;
  }
  ++counters_.connections_accepted;
  if (connections_.size() > max_connections_) {
    ++counters_.rejected_max_connections;
    uint64_t suppressed = 0;
    if (overload_log_.Allow(now_ms(), &suppressed)) {
      LOG_WARN("rejecting connection: %zu open, limit %u (%llu similar line(s) suppressed)", connections_.size() - 1,
               max_connections_, static_cast<unsigned long long>(suppressed));
    }
    connection->RejectOverloaded();
  }
}

Connection* Server::FindConnection(uint64_t id) const {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second;
}

void Server::ScheduleFlush(Connection* connection) {
  if (connection->flush_hook.linked()) {
    if (!connection->flush_delayed) return;
    // Something that must not wait (a response, the end of the stream) takes
    // along what was waiting.
    IntrusiveList<Connection>::Remove(&connection->flush_hook);
    connection->flush_delayed = false;
  }
  flush_list_.PushBack(&connection->flush_hook, connection);
}

void Server::ScheduleDelayedFlush(Connection* connection) {
  if (config_.write_delay_ms == 0) {
    ScheduleFlush(connection);
    return;
  }
  if (connection->flush_hook.linked()) return;  // Already due, now or with the batch.
  delayed_flush_list_.PushBack(&connection->flush_hook, connection);
  connection->flush_delayed = true;
  // One timer for all streams: the first waiting message opens the window and
  // everything queued until it closes leaves together.
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&write_delay_timer_))) {
    uv_timer_start(&write_delay_timer_, OnWriteDelay, config_.write_delay_ms, 0);
  }
}

void Server::OnWriteDelay(uv_timer_t* timer) {
  auto* self = static_cast<Server*>(timer->data);
  // Hand the batch to this turn's flush (the prepare callback runs next).
  while (Connection* connection = self->delayed_flush_list_.Front()) {
    IntrusiveList<Connection>::Remove(&connection->flush_hook);
    connection->flush_delayed = false;
    self->flush_list_.PushBack(&connection->flush_hook, connection);
  }
}

void Server::OnPrepare(uv_prepare_t* handle) { static_cast<Server*>(handle->data)->FlushPending(); }

void Server::FlushPending() {
  // Broker results that were known at once run here, never inside the call
  // that asked for them. Then the publishes batched during this turn go to
  // Redis; the refusals that produces are answered in this same turn.
  completions_.RunAll();
  if (broker_) broker_->Flush();
  completions_.RunAll();
  // Runs right before the loop blocks: everything queued during this turn
  // (fan-out, responses, heartbeats) leaves in one writev per connection.
  while (Connection* connection = flush_list_.Front()) {
    IntrusiveList<Connection>::Remove(&connection->flush_hook);
    connection->Flush();
  }
}

void Server::TrackReading(Connection* connection) { reading_list_.MoveToBack(&connection->deadline_hook, connection); }

void Server::TrackLingering(Connection* connection) {
  lingering_list_.MoveToBack(&connection->deadline_hook, connection);
}

void Server::UntrackDeadline(Connection* connection) { IntrusiveList<Connection>::Remove(&connection->deadline_hook); }

void Server::TrackStream(Connection* connection) { stream_list_.MoveToBack(&connection->stream_hook, connection); }

void Server::UntrackStream(Connection* connection) { IntrusiveList<Connection>::Remove(&connection->stream_hook); }

void Server::OnConnectionClosing(Connection* connection) {
  IntrusiveList<Connection>::Remove(&connection->deadline_hook);
  IntrusiveList<Connection>::Remove(&connection->stream_hook);
  IntrusiveList<Connection>::Remove(&connection->flush_hook);
  connection->flush_delayed = false;
  connections_.erase(connection->id());
}

void Server::OnConnectionClosed(Connection* /*connection*/) {
  if (shutting_down_) MaybeFinishShutdown();
}

void Server::OnSweep(uv_timer_t* timer) { static_cast<Server*>(timer->data)->Sweep(); }

void Server::Sweep() {
  const uint64_t now = uv_now(loop_);
  const uint64_t request_timeout_ms = static_cast<uint64_t>(config_.header_timeout_seconds) * 1000;
  while (Connection* connection = reading_list_.Front()) {
    if (now - connection->deadline_start_ms() < request_timeout_ms) break;
    IntrusiveList<Connection>::Remove(&connection->deadline_hook);
    connection->OnRequestTimeout();
  }
  while (Connection* connection = lingering_list_.Front()) {
    if (now - connection->deadline_start_ms() < kLingerMs) break;
    IntrusiveList<Connection>::Remove(&connection->deadline_hook);
    connection->OnLingerTimeout();
  }
  broker_->Maintain(MonotonicMillis());
  if (now - last_client_sweep_ms_ >= kClientSweepMs) {
    last_client_sweep_ms_ = now;
    client_limits_.Sweep(now);
  }
  const uint64_t heartbeat_ms = static_cast<uint64_t>(config_.heartbeat_seconds) * 1000;
  while (Connection* connection = stream_list_.Front()) {
    if (now - connection->last_write_ms() < heartbeat_ms) break;
    connection->SendHeartbeat();  // Moves it to the back of the list.
  }
}

HttpRequest Server::TakeSpareRequest() {
  if (spare_requests_.empty()) return HttpRequest();
  HttpRequest request = std::move(spare_requests_.back());
  spare_requests_.pop_back();
  return request;
}

void Server::ReturnSpareRequest(HttpRequest request) {
  if (spare_requests_.size() >= kMaxSpareRequests) return;
  // Bodies can be up to --max-body-bytes, and a spare ends up in an idle
  // keep-alive connection's parser: keep only typical small buffers.
  if (request.body.capacity() > 4096) request.body = std::string();
  if (request.target.capacity() > 4096) request.target = std::string();
  spare_requests_.push_back(std::move(request));
}

HeaderList Server::CorsHeaders(const HttpRequest& request) const {
  HeaderList headers;
  if (config_.cors_origins.empty()) return headers;
  const std::string* origin = request.Header("origin");
  if (origin == nullptr) return headers;
  for (const std::string& allowed : config_.cors_origins) {
    if (allowed == "*") {
      headers.emplace_back("Access-Control-Allow-Origin", "*");
      return headers;
    }
    if (allowed == *origin) {
      // An explicitly listed origin may also send cookies (withCredentials).
      headers.emplace_back("Access-Control-Allow-Origin", *origin);
      headers.emplace_back("Access-Control-Allow-Credentials", "true");
      headers.emplace_back("Vary", "Origin");
      return headers;
    }
  }
  return headers;
}

HeaderList Server::PreflightHeaders(const HttpRequest& request) const {
  // Only the preflight-specific headers: the response adds CorsHeaders() itself.
  HeaderList headers;
  if (CorsHeaders(request).empty()) return headers;
  headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  const std::string* requested = request.Header("access-control-request-headers");
  headers.emplace_back("Access-Control-Allow-Headers", requested && IsHeaderToken(*requested)
                                                           ? *requested
                                                           : "Content-Type, Last-Event-ID, Cache-Control");
  headers.emplace_back("Access-Control-Max-Age", "600");
  return headers;
}

std::pair<int, std::string> Server::HealthReport() const {
  if (std::string_view(broker_->kind()) == "embedded") return {200, "{\"status\":\"ok\",\"broker\":\"embedded\"}"};
  if (shutting_down_) return {503, "{\"status\":\"shutting down\",\"broker\":\"redis\"}"};
  if (broker_->ready()) return {200, "{\"status\":\"ok\",\"broker\":\"redis\",\"redis\":\"connected\"}"};
  return {503, "{\"status\":\"unavailable\",\"broker\":\"redis\",\"redis\":\"disconnected\","
               "\"error\":\"the Redis connection is down; reconnecting\"}"};
}

Gauges Server::CurrentGauges() const {
  Gauges gauges;
  gauges.open_connections = connections_.size();
  gauges.open_streams = registry_.subscriber_count();
  gauges.subscriptions = registry_.subscription_count();
  gauges.channels = registry_.exact_topic_count();
  gauges.patterns = registry_.pattern_topic_count();
  for (const auto& entry : connections_) gauges.queued_bytes += entry.second->queued_bytes();
  gauges.history_messages = broker_ ? broker_->history_messages() : 0;
  gauges.history_bytes = broker_ ? broker_->history_bytes() : 0;
  gauges.history_channels = broker_ ? broker_->history_channels() : 0;
  gauges.history_channels_evicted = broker_ ? broker_->history_channels_evicted() : 0;
  gauges.redis_mode = broker_ && std::string_view(broker_->kind()) == "redis";
  gauges.redis_connected = broker_ && broker_->ready();
  return gauges;
}

std::string Server::MetricsText() const {
  Counters counters = counters_;
  if (broker_) counters.redis_reconnects = broker_->reconnects();
  return RenderPrometheus(counters, CurrentGauges());
}

void Server::Shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  LOG_INFO("shutting down: %zu connection(s) open", connections_.size());
  acceptor_.Close();
  std::vector<uint64_t> ids;
  ids.reserve(connections_.size());
  for (const auto& entry : connections_) ids.push_back(entry.first);
  for (uint64_t id : ids) {
    if (Connection* connection = FindConnection(id)) connection->EndGracefully();
  }
  uv_timer_start(&shutdown_timer_, OnShutdownDeadline, kShutdownGraceMs, 0);
  MaybeFinishShutdown();
}

void Server::OnShutdownDeadline(uv_timer_t* timer) {
  auto* self = static_cast<Server*>(timer->data);
  LOG_WARN("shutdown grace period over; closing %zu connection(s)", self->connections_.size());
  std::vector<Connection*> remaining;
  for (const auto& entry : self->connections_) remaining.push_back(entry.second);
  for (Connection* connection : remaining) connection->Close();
  self->MaybeFinishShutdown();
}

void Server::MaybeFinishShutdown() {
  if (!connections_.empty() || handles_closed_) return;
  handles_closed_ = true;
  if (broker_) broker_->Shutdown();
  // Whatever the broker answered on its way out (lost publishes, replays) is
  // delivered now: the prepare handle that would run it is closing.
  completions_.RunAll();
  uv_close(reinterpret_cast<uv_handle_t*>(&flush_prepare_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sweep_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&shutdown_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&write_delay_timer_), nullptr);
}

}  // namespace ssebridge
