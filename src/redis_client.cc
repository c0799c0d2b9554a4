#include "ssebridge/redis_client.h"

#include <algorithm>

#include <hiredis/async.h>

// The adapter defines static functions with generic names (on_close); it is
// included in this file only.
#include <hiredis/adapters/libuv.h>

#include "ssebridge/log.h"
#include "ssebridge/redis_sentinel_reply.h"

namespace ssebridge {
namespace {

// hiredis 0.14's adapter drops a poll error (`if (status != 0) return;`),
// and libuv stops a poll handle once it has reported one: after a reset
// (RST) the context would wait forever on a handle that never fires again,
// and a connection without commands in flight (the subscriber's) would stay
// ready in name only. These hooks replace the adapter's four, keeping its
// events struct and cleanup, and hand an error to hiredis as readiness for
// what it waits on, so that its read or write fails with the socket's error
// and it disconnects (what hiredis 1.0's adapter does).
void OnPoll(uv_poll_t* handle, int status, int events) {
  auto* watched = static_cast<redisLibuvEvents*>(handle->data);
  const int ready = status != 0 ? watched->events : events;
  if (watched->context != nullptr && (ready & UV_READABLE)) redisAsyncHandleRead(watched->context);
  if (watched->context != nullptr && (ready & UV_WRITABLE)) redisAsyncHandleWrite(watched->context);
}

void Watch(void* privdata, int add, int remove) {
  auto* watched = static_cast<redisLibuvEvents*>(privdata);
  watched->events = (watched->events | add) & ~remove;
  if (watched->events != 0) {
    uv_poll_start(&watched->handle, watched->events, OnPoll);
  } else {
    uv_poll_stop(&watched->handle);
  }
}

void AddRead(void* privdata) { Watch(privdata, UV_READABLE, 0); }
void DelRead(void* privdata) { Watch(privdata, 0, UV_READABLE); }
void AddWrite(void* privdata) { Watch(privdata, UV_WRITABLE, 0); }
void DelWrite(void* privdata) { Watch(privdata, 0, UV_WRITABLE); }

}  // namespace

struct RedisClient::PendingCommand {
  RedisClient* client;
  ReplyCallback callback;
};

RedisClient::RedisClient(uv_loop_t* loop, Options options)
    : loop_(loop),
      options_(std::move(options)),
      retry_timer_(new uv_timer_t),
      timeout_timer_(new uv_timer_t),
      backoff_(options_.backoff_min_ms, options_.backoff_max_ms) {
  uv_timer_init(loop_, retry_timer_);
  uv_timer_init(loop_, timeout_timer_);
  retry_timer_->data = this;
  timeout_timer_->data = this;
}

RedisClient::~RedisClient() {
  // A client destroyed without Stop() stops here: its connection is freed
  // (the adapter's poll handle frees itself in its close callback) and its
  // timers closed, so nothing the loop still holds points at this object.
  // Commands still pending are answered with nullptr from here, so an owner
  // whose callbacks reach into its other members calls Stop() first.
  Stop();
}

// The timers live on the heap and are freed in their close callback, so the
// client may be destroyed as soon as Stop() returns: the loop still walks a
// closing handle (its closing list) on its next turn, and that memory must
// not be the client's.
void RedisClient::CloseTimers() {
  if (timers_closed_) return;
  timers_closed_ = true;
  for (uv_timer_t* timer : {retry_timer_, timeout_timer_}) {
    timer->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* handle) {
      delete reinterpret_cast<uv_timer_t*>(handle);
    });
  }
}

void RedisClient::Start() {
  if (state_ != State::kIdle) return;
  Connect();
}

void RedisClient::Connect() {
  if (options_.resolve) {
    Resolve();
  } else {
    ConnectToAddress();
  }
}

void RedisClient::Resolve() {
  state_ = State::kResolving;
  const uint64_t attempt = ++resolve_attempt_;
  std::weak_ptr<char> alive = alive_;
  const bool asked = options_.resolve([this, attempt, alive](const RedisAddress* found) {
    // A late answer (the connect timeout gave up on it) or one for a client
    // that has gone is dropped.
    if (alive.expired() || state_ != State::kResolving || attempt != resolve_attempt_) return;
    uv_timer_stop(retry_timer_);
    if (found == nullptr) {
      LOG_WARN("%s: no sentinel named the master; asking again", options_.name.c_str());
      ScheduleReconnect();
      return;
    }
    // Sentinel says where; who we are and which database stay ours.
    options_.address.is_unix = false;
    options_.address.host = found->host;
    options_.address.port = found->port;
    ConnectToAddress();
  });
  if (!asked) {
    LOG_WARN("%s: no sentinel is reachable to name the master; asking again", options_.name.c_str());
    ScheduleReconnect();
    return;
  }
  uv_timer_start(retry_timer_, OnRetryTimer, options_.connect_timeout_ms, 0);
}

void RedisClient::ConnectToAddress() {
  const RedisAddress& address = options_.address;
  redisAsyncContext* context = address.is_unix ? redisAsyncConnectUnix(address.host.c_str())
                                               : redisAsyncConnect(address.host.c_str(), address.port);
  if (context == nullptr || context->err) {
    LOG_WARN("%s: cannot start connecting to %s: %s", options_.name.c_str(), address.host.c_str(),
             context ? context->errstr : "out of memory");
    if (context) redisAsyncFree(context);
    ScheduleReconnect();
    return;
  }
  context->data = this;
  if (redisLibuvAttach(context, loop_) != REDIS_OK) {
    LOG_ERROR("%s: cannot attach to the event loop", options_.name.c_str());
    redisAsyncFree(context);
    ScheduleReconnect();
    return;
  }
  // Before the first event is asked for (setting the connect callback asks
  // for writability): see OnPoll.
  context->ev.addRead = AddRead;
  context->ev.delRead = DelRead;
  context->ev.addWrite = AddWrite;
  context->ev.delWrite = DelWrite;
  redisAsyncSetConnectCallback(context, OnConnect);
  redisAsyncSetDisconnectCallback(context, OnDisconnect);
  context_ = context;
  state_ = State::kConnecting;
  // hiredis 0.14 has no connect timeout: a peer that never answers (a
  // dropped SYN, a stalled handshake) is only noticed by this timer.
  uv_timer_start(retry_timer_, OnRetryTimer, options_.connect_timeout_ms, 0);
}

void RedisClient::OnConnect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisClient*>(context->data);
  if (self->context_ != context) return;
  if (status != REDIS_OK) {
    // hiredis frees the context after this callback returns.
    LOG_WARN("%s: connect failed: %s", self->options_.name.c_str(), context->errstr);
    self->context_ = nullptr;
    self->ScheduleReconnect();
    return;
  }
  self->StartHandshake();
}

void RedisClient::StartHandshake() {
  state_ = State::kHandshaking;
  const RedisAddress& address = options_.address;
  auto fail_on_error = [this](const char* step) {
    return [this, step](const redisReply* reply) {
      if (reply == nullptr) return;  // Connection already lost; OnDisconnect handles it.
      if (reply->type == REDIS_REPLY_ERROR) {
        LOG_ERROR("%s: %s failed: %s", options_.name.c_str(), step, reply->str);
        Drop("handshake failed");
      }
    };
  };
  if (!address.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!address.username.empty()) auth.push_back(address.username);
    auth.push_back(address.password);
    Send(auth, fail_on_error("AUTH"));
  }
  if (address.database != 0) Send({"SELECT", std::to_string(address.database)}, fail_on_error("SELECT"));
  Send({"CLIENT", "SETNAME", "ssebridge-" + options_.name}, [](const redisReply*) {});
  if (options_.require_master) {
    // Sentinel may name a server before its promotion has finished, or one
    // that was demoted since: writing to a replica fails, subscribing to
    // one would relay nothing the master publishes.
    Send({"ROLE"}, [this](const redisReply* reply) {
      if (reply == nullptr || state_ != State::kHandshaking || IsMasterRoleReply(reply)) return;
      LOG_WARN("%s: %s is not a master (%s); asking Sentinel again", options_.name.c_str(),
               EndpointText(options_.address).c_str(),
               reply->type == REDIS_REPLY_ERROR ? reply->str : "ROLE says so");
      Drop("not a master");
    });
  }
  Send({"PING"}, [this](const redisReply* reply) {
    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR || state_ != State::kHandshaking) return;
    uv_timer_stop(retry_timer_);
    state_ = State::kReady;
    backoff_.Reset();
    if (was_ready_) ++reconnects_;
    was_ready_ = true;
    if (options_.address.is_unix) {
      LOG_INFO("%s: connected to %s", options_.name.c_str(), options_.address.host.c_str());
    } else {
      LOG_INFO("%s: connected to %s:%d", options_.name.c_str(), options_.address.host.c_str(), options_.address.port);
    }
    if (on_ready) on_ready();
  });
}

bool RedisClient::Command(const std::vector<std::string>& args, ReplyCallback callback) {
  if (state_ != State::kReady) return false;
  return Send(args, std::move(callback));
}

bool RedisClient::Send(const std::vector<std::string>& args, ReplyCallback callback) {
  if (context_ == nullptr) return false;
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  argv.reserve(args.size());
  argvlen.reserve(args.size());
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    argvlen.push_back(arg.size());
  }
  auto* pending = new PendingCommand{this, std::move(callback)};
  if (redisAsyncCommandArgv(context_, OnReply, pending, static_cast<int>(args.size()), argv.data(),
                            argvlen.data()) != REDIS_OK) {
    delete pending;
    return false;
  }
  uint64_t deadline = options_.command_timeout_ms ? uv_now(loop_) + options_.command_timeout_ms : UINT64_MAX;
  deadlines_.push_back(deadline);
  if (options_.command_timeout_ms && !uv_is_active(reinterpret_cast<uv_handle_t*>(timeout_timer_))) {
    uint64_t period = std::max<uint64_t>(options_.command_timeout_ms / 4, 10);
    uv_timer_start(timeout_timer_, OnTimeoutTimer, period, period);
  }
  return true;
}

void RedisClient::OnReply(redisAsyncContext* /*context*/, void* reply, void* privdata) {
  auto* pending = static_cast<PendingCommand*>(privdata);
  RedisClient* self = pending->client;
  if (!self->deadlines_.empty()) self->deadlines_.pop_front();
  pending->callback(static_cast<const redisReply*>(reply));
  delete pending;
}

void RedisClient::OnTimeoutTimer(uv_timer_t* timer) {
  auto* self = static_cast<RedisClient*>(timer->data);
  if (self->deadlines_.empty()) {
    uv_timer_stop(timer);
    return;
  }
  if (self->deadlines_.front() <= uv_now(self->loop_)) {
    LOG_WARN("%s: command timed out after %llu ms; dropping the connection", self->options_.name.c_str(),
             static_cast<unsigned long long>(self->options_.command_timeout_ms));
    ++self->command_timeouts_;
    self->Drop("command timeout");
  }
}

void RedisClient::OnRetryTimer(uv_timer_t* timer) {
  auto* self = static_cast<RedisClient*>(timer->data);
  switch (self->state_) {
    case State::kResolving:
      LOG_WARN("%s: no sentinel named the master within %llu ms", self->options_.name.c_str(),
               static_cast<unsigned long long>(self->options_.connect_timeout_ms));
      ++self->connect_timeouts_;
      self->ScheduleReconnect();
      break;
    case State::kConnecting:
    case State::kHandshaking:
      LOG_WARN("%s: no connection to %s within %llu ms", self->options_.name.c_str(),
               EndpointText(self->options_.address).c_str(),
               static_cast<unsigned long long>(self->options_.connect_timeout_ms));
      ++self->connect_timeouts_;
      self->Drop("connect timeout");
      break;
    case State::kBackoff:
      self->Connect();
      break;
    default:
      break;
  }
}

void RedisClient::Drop(const char* reason) {
  redisAsyncContext* context = context_;
  if (context == nullptr) return;
  LOG_DEBUG("%s: dropping connection: %s", options_.name.c_str(), reason);
  // Detach first so callbacks that run during the free (with nullptr replies)
  // see a client that is not ready and cannot send on a dying context.
  context_ = nullptr;
  bool was_ready = state_ == State::kReady;
  if (state_ != State::kStopped) state_ = State::kBackoff;
  redisAsyncFree(context);
  deadlines_.clear();
  if (was_ready && on_lost) on_lost();
  if (state_ != State::kStopped) ScheduleReconnect();
}

void RedisClient::OnDisconnect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisClient*>(context->data);
  if (self->context_ != context) return;  // Drop() already handled it.
  LOG_WARN("%s: connection lost%s%s", self->options_.name.c_str(), status == REDIS_OK ? "" : ": ",
           status == REDIS_OK ? "" : context->errstr);
  self->context_ = nullptr;
  self->deadlines_.clear();
  self->HandleLost();
}

void RedisClient::HandleLost() {
  bool was_ready = state_ == State::kReady;
  if (state_ == State::kStopped) return;
  state_ = State::kBackoff;
  if (was_ready && on_lost) on_lost();
  ScheduleReconnect();
}

void RedisClient::ScheduleReconnect() {
  if (state_ == State::kStopped) return;
  state_ = State::kBackoff;
  const uint64_t delay = backoff_.Next();
  uv_timer_start(retry_timer_, OnRetryTimer, delay, 0);
}

void RedisClient::Reconnect(const char* reason) {
  if (state_ == State::kIdle || state_ == State::kStopped) return;
  // Whatever the sentinels answer next, the next failure retries soon.
  backoff_.Reset();
  if (state_ == State::kResolving) return;
  if (context_ != nullptr) {
    LOG_INFO("%s: reconnecting: %s", options_.name.c_str(), reason);
    Drop(reason);
    return;
  }
  // Waiting out a backoff: the reason to wait is gone.
  uv_timer_start(retry_timer_, OnRetryTimer, 0, 0);
}

void RedisClient::Stop() {
  if (state_ == State::kStopped) return;
  state_ = State::kStopped;
  if (context_ != nullptr) {
    redisAsyncContext* context = context_;
    context_ = nullptr;
    redisAsyncFree(context);
  }
  deadlines_.clear();
  CloseTimers();
}

}  // namespace ssebridge
