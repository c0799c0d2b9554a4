#include "ssebridge/server.h"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstring>

#include <vector>

#include "ssebridge/connection.h"
#include "ssebridge/broker.h"
#include "ssebridge/broker_factory.h"
#include "ssebridge/client_command.h"
#include "ssebridge/control_line.h"
#include "ssebridge/control_listener.h"
#include "ssebridge/fifo_reader.h"
#include "ssebridge/handlers/publish_handler.h"
#include "ssebridge/http_response.h"
#include "ssebridge/json_quote.h"
#include "ssebridge/log.h"
#include "ssebridge/tls_context.h"

namespace ssebridge {
namespace {

ClientLimits::Options ClientLimitOptions(const Config& config) {
  ClientLimits::Options options;
  options.max_streams = config.max_streams_per_ip;
  options.publish.per_second = config.max_publish_rate_per_ip;
  options.publish.burst = config.publish_burst_per_ip != 0 ? config.publish_burst_per_ip
                                                           : config.max_publish_rate_per_ip;
  return options;
}

LoopScheduler::Timeouts SchedulerTimeouts(const Config& config, uint64_t linger_ms) {
  LoopScheduler::Timeouts timeouts;
  timeouts.request_ms = static_cast<uint64_t>(config.header_timeout_seconds) * 1000;
  timeouts.linger_ms = linger_ms;
  timeouts.heartbeat_ms = static_cast<uint64_t>(config.heartbeat_seconds) * 1000;
  timeouts.write_delay_ms = config.write_delay_ms;
  timeouts.poll_ms = static_cast<uint64_t>(config.poll_timeout_seconds) * 1000;
  timeouts.max_stream_age_ms = static_cast<uint64_t>(config.max_stream_age_seconds) * 1000;
  return timeouts;
}

PollHolds::Options PollHoldOptions(const Config& config) {
  PollHolds::Options options;
  options.hold_ms = static_cast<uint64_t>(config.poll_hold_seconds) * 1000;
  options.max_bytes = config.client_buffer_bytes;
  return options;
}

}  // namespace

Server::Server(uv_loop_t* loop, Config config)
    : loop_(loop),
      config_(std::move(config)),
      poll_holds_(&registry_, PollHoldOptions(config_)),
      read_buffer_(new char[kReadBufferSize]),
      client_limits_(ClientLimitOptions(config_)),
      cors_(config_.cors_origins),
      scheduler_(loop, SchedulerTimeouts(config_, kLingerMs), Connection::kSchedulerActions) {
  for (const std::string& text : config_.trusted_proxies) {
    CidrRange range;
    if (ParseCidrRange(text, &range).empty()) trusted_proxies_.push_back(range);  // Validated by the loader.
  }
  context_.config = &config_;
  context_.counters = &counters_;
  context_.registry = &registry_;
  context_.clients = &clients_;
  context_.poll_holds = &poll_holds_;
  context_.client_limits = &client_limits_;
  context_.trusted_proxies = &trusted_proxies_;
  context_.limit_log = &limit_log_;
  context_.scheduler = &scheduler_;
  context_.cors = &cors_;
  authorizer_ = std::make_unique<Authorizer>(AccessPolicyFrom(config_), nullptr);
  context_.authorizer = authorizer_.get();
  context_.expiries = &expiries_;
  context_.owner = this;
  context_.read_buffer = read_buffer_.get();
  context_.read_buffer_size = kReadBufferSize;
  uv_timer_init(loop_, &shutdown_timer_);
  shutdown_timer_.data = this;
  uv_timer_init(loop_, &drain_timer_);
  drain_timer_.data = this;
}

Server::~Server() = default;

void Server::AttachBroker(std::unique_ptr<Broker> broker) {
  broker_ = std::move(broker);
  context_.broker = broker_.get();
  registry_.set_listener(broker_.get());
  broker_->set_client_command_handler(
      MakeClientCommandReceiver(&clients_, &completions_, config_.max_channels_per_subscribe));
}

void Server::AttachTls(std::unique_ptr<TlsContext> tls) { tls_ = std::move(tls); }

void Server::ReloadTls() {
  if (!tls_) return;
  std::string error = tls_->Reload();
  if (error.empty()) {
    LOG_INFO("received SIGHUP: TLS certificate reloaded (%s); new connections use it", tls_->description().c_str());
  } else {
    LOG_ERROR("received SIGHUP: TLS certificate not reloaded, keeping the previous one: %s", error.c_str());
  }
}

void Server::AttachAuthorizer(std::unique_ptr<Authorizer> authorizer) {
  authorizer_ = std::move(authorizer);
  context_.authorizer = authorizer_.get();
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

  int rc = StartAppAuthorizer();
  if (rc != 0) return rc;
  rc = StartListeners();
  if (rc != 0) return rc;
  rc = StartLineSources();
  if (rc != 0) return rc;

  scheduler_.Start(&completions_, broker_.get(), [this](uint64_t now) { SweepClients(now); });
  broker_->Start();
  started_ = true;
  if (notifier_.enabled() && !broker_->ready()) LOG_INFO("service manager: ready once Redis is connected");
  for (const auto& acceptor : acceptors_) {
    // One line per listener, in the form scripts and tests look for.
    LOG_INFO("listening on %s (%s broker, base path '%s', max %u connections%s)",
             acceptor->address().ToString(acceptor->port()).c_str(), broker_->kind(), config_.base_path.c_str(),
             max_connections_, acceptor->is_unix() || !config_.reuse_port ? "" : ", port shared (SO_REUSEPORT)");
  }
  // A newcomer's first question after starting it: where to look and how to stop.
  for (const auto& acceptor : acceptors_) {
    if (acceptor->is_unix()) continue;
    std::string host = acceptor->address().host;
    if (host == "0.0.0.0" || host == "::") host = host == "::" ? "::1" : "127.0.0.1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    LOG_INFO("demo page: %s://%s:%u%s/ (Ctrl-C or SIGTERM stops the bridge)",
             acceptor->address().tls ? "https" : "http", host.c_str(), acceptor->port(), config_.base_path.c_str());
    break;
  }
  LogAccessPolicy();
  NotifyReadyIfServing();
  return 0;
}

int Server::StartListeners() {
  Acceptor::UnixSocketOptions unix_options;
  unix_options.mode_set = config_.unix_socket_mode_set;
  unix_options.mode = config_.unix_socket_mode;
  unix_options.uid = config_.unix_socket_uid;
  unix_options.gid = config_.unix_socket_gid;
  const std::string overload_answer =
      BuildResponse(503, "application/json", JsonErrorBody("server out of file descriptors; try again later"),
                    {{"Retry-After", "1"}}, 1, false);
  for (const ListenAddress& address : config_.listen) {
    if (address.tls && !tls_) {
      LOG_ERROR("cannot listen on %s: no TLS certificate (--tls-cert, --tls-key)", address.ToString().c_str());
      return UV_EINVAL;
    }
    const bool tls = address.tls;
    auto acceptor = std::make_unique<Acceptor>(
        loop_, &counters_, overload_answer,
        [this, tls](int fd, const sockaddr_storage& peer) { OnAccepted(fd, peer, tls); }, address);
    int rc = 0;
    if (address.is_unix()) {
      std::string error;
      rc = acceptor->ListenUnix(address.path, unix_options, kListenBacklog, &error);
      if (rc != 0) LOG_ERROR("cannot listen on %s: %s", address.ToString().c_str(), error.c_str());
    } else {
      sockaddr_storage resolved{};
      socklen_t length = 0;
      std::string error = ResolveTcpAddress(address, &resolved, &length);
      if (!error.empty()) {
        LOG_ERROR("cannot listen on %s: %s", address.ToString().c_str(), error.c_str());
        rc = UV_EINVAL;
      } else {
        rc = acceptor->Listen(reinterpret_cast<const sockaddr*>(&resolved), kListenBacklog, config_.reuse_port);
        if (rc != 0) {
          LOG_ERROR("cannot listen on %s: %s%s", address.ToString().c_str(), uv_strerror(rc),
                    rc == UV_EADDRINUSE && !config_.reuse_port
                        ? " (another process has the port; --reuse-port lets several ssebridge processes share it)"
                        : "");
        }
      }
    }
    // Kept even when it failed, so that Shutdown() closes its handles.
    acceptors_.push_back(std::move(acceptor));
    if (rc != 0) return rc;
    if (port_ == 0 && !address.is_unix()) port_ = acceptors_.back()->port();
  }
  return 0;
}

uint16_t Server::control_port() const { return control_ ? control_->port() : 0; }

int Server::StartLineSources() {
  auto handler_for = [this](LineSource kind) {
    return [this, kind](std::string_view line, const std::string& source) { HandleControlLine(line, source, kind); };
  };
  auto too_long_for = [this](LineSource kind) {
    return [this, kind] { CountControlLine(&counters_, kind, false); };
  };
  const char* commands = config_.allow_commands ? "status and halt allowed" : "commands refused";
  if (config_.control_enabled) {
    control_ = std::make_unique<ControlListener>(loop_, handler_for(LineSource::kControlPort));
    control_->on_line_too_long = too_long_for(LineSource::kControlPort);
    int rc = control_->Listen(config_.control_host, config_.control_port);
    if (rc != 0) {
      LOG_ERROR("cannot open the control port on %s:%u: %s", config_.control_host.c_str(), config_.control_port,
                uv_strerror(rc));
      return rc;
    }
    // Worded unlike the HTTP line, which scripts and tests look for.
    LOG_INFO("control port: taking lines on %s:%u (%s)", config_.control_host.c_str(), control_->port(), commands);
  }
  if (!config_.fifo_path.empty()) {
    fifo_ = std::make_unique<FifoReader>(loop_, handler_for(LineSource::kFifo));
    fifo_->on_line_too_long = too_long_for(LineSource::kFifo);
    int rc = fifo_->Open(config_.fifo_path);
    if (rc != 0) return rc;  // Logged by the reader.
    LOG_INFO("fifo: taking lines from %s (%s)", config_.fifo_path.c_str(), commands);
  }
  return 0;
}

void Server::HandleControlLine(std::string_view text, const std::string& source, LineSource kind) {
  if (shutting_down_) return;
  ControlLine line = ParseControlLine(text);
  switch (line.kind) {
    case ControlLine::Kind::kBlank:
      return;
    case ControlLine::Kind::kInvalid:
      CountControlLine(&counters_, kind, false);
      // Quoted and cut short: the line is untrusted input going into the log.
      LOG_WARN("%s: skipped a bad line (%s): %s", source.c_str(), line.error.c_str(),
               JsonQuote(text.substr(0, 200)).c_str());
      return;
    case ControlLine::Kind::kStatus:
    case ControlLine::Kind::kHalt: {
      const char* command = line.kind == ControlLine::Kind::kStatus ? "status" : "halt";
      if (!config_.allow_commands) {
        CountControlLine(&counters_, kind, false);
        LOG_WARN("%s: command '%s' refused: start ssebridge with --allow-commands", source.c_str(), command);
        return;
      }
      CountControlLine(&counters_, kind, true);
      LOG_INFO("%s: command '%s'", source.c_str(), command);
      if (line.kind == ControlLine::Kind::kStatus) {
        LogStatus();
      } else {
        Shutdown();
      }
      return;
    }
    case ControlLine::Kind::kPublish:
      break;
  }
  // The same path as POST /publish: the size a stream can queue, then the broker.
  if (std::string too_large = TooLargeToQueue(line.publish, config_.client_buffer_bytes); !too_large.empty()) {
    CountControlLine(&counters_, kind, false);
    LOG_WARN("%s: skipped a line: %s", source.c_str(), too_large.c_str());
    return;
  }
  // Accepted once handed to the broker; a publish the broker then fails is
  // logged below (as for POST /publish, the line was well-formed).
  CountControlLine(&counters_, kind, true);
  std::string what = "'" + line.publish.channels[0] + "/" +
                     (line.publish.event.empty() ? std::string("message") : line.publish.event) + "'";
  broker_->Publish(line.publish, [source, what](const PublishOutcome& outcome) {
    if (outcome.status == 200) {
      LOG_DEBUG("%s: published %s as id %s", source.c_str(), what.c_str(), outcome.id.c_str());
    } else {
      LOG_WARN("%s: %s not published: %s", source.c_str(), what.c_str(), outcome.error.c_str());
    }
  });
}

void Server::LogStatus() {
  size_t streams = 0;
  for (const auto& entry : connections_) streams += entry.second->is_stream() ? 1 : 0;
  LOG_INFO("status: %zu connection(s), %zu stream(s), %s broker%s", connections_.size(), streams, broker_->kind(),
           broker_->ready() ? "" : " (not ready)");
  // Oldest first: ids grow with each accept.
  std::vector<uint64_t> ids;
  ids.reserve(connections_.size());
  for (const auto& entry : connections_) ids.push_back(entry.first);
  std::sort(ids.begin(), ids.end());
  // Bounded, so that "status" on a busy bridge cannot hold the loop for long.
  constexpr size_t kMaxStatusLines = 1000;
  for (size_t i = 0; i < ids.size() && i < kMaxStatusLines; ++i) {
    LOG_INFO("status: %s", connections_.at(ids[i])->Describe().c_str());
  }
  if (ids.size() > kMaxStatusLines) LOG_INFO("status: and %zu more connection(s)", ids.size() - kMaxStatusLines);
}

void Server::OnAccepted(int fd, const sockaddr_storage& peer, bool tls) {
  IpAddress peer_address;
  IpAddressFromSockaddr(reinterpret_cast<const sockaddr*>(&peer), &peer_address);
  auto* connection = new Connection(&context_, next_connection_id_++, peer_address);
  connections_.emplace(connection->id(), connection);
  int rc = connection->Open(fd, tls ? tls_.get() : nullptr);
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

void Server::OnConnectionClosing(Connection* connection) {
  connections_.erase(connection->id());
  // A check the client no longer waits for is cancelled, not left to run.
  if (app_authorizer_) app_authorizer_->Forget(connection->id());
}

void Server::OnConnectionClosed(Connection* /*connection*/) {
  if (shutting_down_) MaybeFinishShutdown();
}

void Server::LogAccessPolicy() const {
  static const char* const kPublish[] = {"off", "on", "local (loopback clients)"};
  LOG_INFO("access: tokens %s; without one, subscribe %s, publish %s",
           authorizer_->accepts_tokens() ? "accepted" : "not configured",
           config_.anonymous_subscribe ? "on" : "off", kPublish[static_cast<int>(config_.anonymous_publish)]);
  // Anyone who can reach a non-loopback listener could publish anything.
  // Unix sockets are reachable only through the file system: local by construction.
  if (config_.anonymous_publish != AnonymousPublish::kOn) return;
  for (const ListenAddress& listen : config_.listen) {
    if (listen.is_unix()) continue;
    IpAddress address;
    const bool loopback = ParseIpAddress(listen.host, &address) ? IsLoopback(address) : listen.host == "localhost";
    if (loopback) continue;
    LOG_WARN("listening on %s with --anonymous-publish on: anyone who can reach this address may publish to "
             "every channel; use --anonymous-publish local or off and tokens (docs/security.md)",
             listen.ToString().c_str());
  }
}

void Server::NotifyReadyIfServing() {
  if (notifier_.ready_sent() || shutting_down_ || !started_ || !broker_->ready()) return;
  std::string where;
  for (const auto& acceptor : acceptors_) {
    where += (where.empty() ? "" : ", ") + acceptor->address().ToString(acceptor->port());
  }
  notifier_.Ready("listening on " + where + " (" + broker_->kind() + " broker)");
}

void Server::SweepClients(uint64_t now) {
  // Both from the loop's own timer: a loop that stops turning stops pinging.
  notifier_.MaybePing(now);
  NotifyReadyIfServing();
  broker_->Maintain(MonotonicMillis());
  // Streams whose token has expired end with a token-expired event.
  expiries_.ExpireDue(now, [](EventStream* stream) { stream->EndTokenExpired(); });
  poll_holds_.Expire(now);
  if (now - last_client_sweep_ms_ >= kClientSweepMs) {
    last_client_sweep_ms_ = now;
    client_limits_.Sweep(now);
  }
}

bool Server::ResumeRequest(uint64_t id) {
  Connection* connection = FindConnection(id);
  if (connection == nullptr) return false;
  connection->ResumeSuspended();
  return true;
}

// --auth-url's host is resolved here, once, blocking like the listeners'
// names: the checks themselves then never wait for a name lookup.
int Server::StartAppAuthorizer() {
  if (config_.auth_url.empty()) return 0;
  AppAuthOptions options;
  std::string error = ParseHttpUrl(config_.auth_url, &options.url);
  if (error.empty()) error = ResolveHttpUrl(options.url, &options.address);
  if (!error.empty()) {
    LOG_ERROR("--auth-url %s: %s", config_.auth_url.c_str(), error.c_str());
    return UV_EINVAL;
  }
  options.timeout_ms = config_.auth_timeout_ms;
  options.cache_ms = static_cast<uint64_t>(config_.auth_cache_seconds) * 1000;
  options.check_publish = config_.auth_publish;
  app_authorizer_ = std::make_unique<AppAuthorizer>(loop_, std::move(options), &counters_);
  context_.app_authorizer = app_authorizer_.get();
  LOG_INFO("access: clients without a token are checked at %s (subscribe%s; timeout %u ms, cache %u s)",
           config_.auth_url.c_str(), config_.auth_publish ? " and publish" : "", config_.auth_timeout_ms,
           config_.auth_cache_seconds);
  return 0;
}

bool Server::CompleteAnswer(uint64_t id, uint64_t sequence, std::string response) {
  Connection* connection = FindConnection(id);
  if (connection == nullptr) return false;
  connection->CompleteSlot(sequence, std::move(response));
  return true;
}

size_t Server::queued_bytes() const {
  size_t bytes = 0;
  for (const auto& entry : connections_) bytes += entry.second->queued_bytes();
  return bytes;
}

void Server::Drain(uint64_t window_ms) {
  if (shutting_down_) {
    // Asked again to hurry (SIGINT during a SIGTERM drain): the rest now.
    if (window_ms == 0 && drain_batches_left_ > 0) {
      LOG_INFO("ending the remaining streams at once");
      drain_batches_left_ = 1;
      EndStreamBatch();
      MaybeFinishShutdown();
    }
    return;
  }
  shutting_down_ = true;
  context_.shutting_down = true;
  notifier_.Stopping("draining " + std::to_string(connections_.size()) + " connection(s)");
  for (const auto& acceptor : acceptors_) acceptor->Close();
  if (control_) control_->Close();
  if (fifo_) fifo_->Close();
  // Logged once nothing is accepted any more, so that whoever reads this
  // line knows new connections are refused.
  size_t streams = 0;
  for (const auto& entry : connections_) streams += entry.second->is_open_stream() ? 1 : 0;
  LOG_INFO("shutting down: %zu connection(s) open, %zu stream(s) to end %s%s", connections_.size(), streams,
           window_ms == 0 ? "at once" : "over ",
           window_ms == 0 ? "" : (std::to_string(window_ms) + " ms").c_str());
  std::vector<uint64_t> ids;
  ids.reserve(connections_.size());
  for (const auto& entry : connections_) ids.push_back(entry.first);
  for (uint64_t id : ids) {
    Connection* connection = FindConnection(id);
    if (connection != nullptr && !connection->is_open_stream()) connection->EndGracefully();
  }
  drain_batches_left_ = std::clamp<uint64_t>(window_ms / kDrainBatchMs, 1, kMaxDrainBatches);
  const uint64_t spacing = window_ms / drain_batches_left_;
  drain_jitter_ms_ = std::max(spacing, kMinRetryJitterMs);
  jitter_random_.seed(static_cast<uint32_t>(uv_hrtime()));
  EndStreamBatch();
  if (drain_batches_left_ > 0) uv_timer_start(&drain_timer_, OnDrainTimer, spacing, spacing);
  MaybeFinishShutdown();
}

void Server::OnDrainTimer(uv_timer_t* timer) {
  auto* self = static_cast<Server*>(timer->data);
  self->EndStreamBatch();
  self->MaybeFinishShutdown();
}

void Server::EndStreamBatch() {
  if (drain_batches_left_ == 0) return;
  // Streams that started during the drain (a request that was being read
  // when it began) are open streams too, and are ended with a later batch.
  std::vector<Connection*> open;
  for (const auto& entry : connections_) {
    if (entry.second->is_open_stream()) open.push_back(entry.second);
  }
  const size_t count = (open.size() + drain_batches_left_ - 1) / drain_batches_left_;
  for (size_t i = 0; i < count; ++i) {
    open[i]->EndStream(static_cast<uint32_t>(jitter_random_() % drain_jitter_ms_));
  }
  --drain_batches_left_;
  LOG_DEBUG("drain: ended %zu stream(s), %zu left, %llu batch(es) to go", count, open.size() - count,
            static_cast<unsigned long long>(drain_batches_left_));
  if (drain_batches_left_ == 0) {
    uv_timer_stop(&drain_timer_);
    // Whatever is still open this long after the last batch (a client that
    // does not read its final chunk, a request still arriving) is closed.
    uv_timer_start(&shutdown_timer_, OnShutdownDeadline, kShutdownGraceMs, 0);
  }
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
  poll_holds_.Clear();
  if (broker_) broker_->Shutdown();
  // Whatever the broker answered on its way out (lost publishes, replays) is
  // delivered now: the prepare handle that would run it is closing.
  completions_.RunAll();
  scheduler_.Close();
  uv_close(reinterpret_cast<uv_handle_t*>(&shutdown_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&drain_timer_), nullptr);
}

}  // namespace ssebridge
