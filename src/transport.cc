#include "ssebridge/transport.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ssebridge/log.h"
#include "ssebridge/tls_context.h"
#include "ssebridge/tls_session.h"
#include "ssebridge/write_queue.h"

namespace ssebridge {
namespace {

// Enough iovecs for a deep backlog of small events in one writev.
constexpr size_t kMaxIovecs = 64;

// A TLS connection's pending ciphertext buffer keeps its capacity between
// flushes up to this size; beyond it the memory goes back once sent, so an
// idle TLS stream does not hold a burst's worth.
constexpr size_t kKeptTlsOutputCapacity = 16 * 1024;

// Failed handshakes and garbage on a TLS port are logged, but a scanner
// sending junk must not flood the log: one line a second, with a count.
LogLimiter& TlsFailureLog() {
  static LogLimiter limiter;
  return limiter;
}

}  // namespace

// The asynchronous write and the queue bytes it carries: the count belongs
// to the request, so it costs nothing until a socket first blocks.
struct Transport::WriteRequest {
  uv_write_t request;
  size_t bytes = 0;
};

Transport::Transport(uv_loop_t* loop, const Events* events, void* owner) : events_(events), owner_(owner) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
}

Transport::~Transport() = default;

int Transport::StartTls(TlsContext* context) {
  tls_ = context->NewSession();
  return tls_ ? 0 : UV_ENOMEM;
}

Transport::WriteRequest* Transport::write_request() {
  if (!write_request_) {
    write_request_ = std::make_unique<WriteRequest>();
    write_request_->request.data = this;
  }
  return write_request_.get();
}

int Transport::Open(int fd) {
  int rc = uv_tcp_open(&tcp_, fd);
  if (rc != 0) {
    // The handle did not take the descriptor.
    ::close(fd);
    return rc;
  }
  // The handle is a uv_tcp_t for Unix sockets too: libuv's stream code is the
  // same for both families, and one handle type keeps every connection the
  // same size. Only Nagle's algorithm is TCP's alone.
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0 && local.ss_family != AF_UNIX) {
    uv_tcp_nodelay(&tcp_, 1);
  }
  return 0;
}

int Transport::StartReading() {
  if (reading_) return 0;
  int rc = uv_read_start(stream(), OnAlloc, OnRead);
  if (rc == 0) reading_ = true;
  return rc;
}

void Transport::StopReading() {
  if (!reading_) return;
  uv_read_stop(stream());
  reading_ = false;
}

std::string Transport::Peer() const {
  sockaddr_storage address{};
  int length = sizeof address;
  char text[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    if (address.ss_family == AF_INET) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      uv_ip4_name(v4, text, sizeof text);
      port = ntohs(v4->sin_port);
    } else if (address.ss_family == AF_INET6) {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
      uv_ip6_name(v6, text, sizeof text);
      port = ntohs(v6->sin6_port);
    } else if (address.ss_family == AF_UNIX) {
      // Clients of a Unix socket are unnamed; the socket they came through
      // (our end's name) and the descriptor tell connections apart.
      length = sizeof address;
      std::string name = "unix:";
      if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
        name += reinterpret_cast<sockaddr_un*>(&address)->sun_path;
      }
      uv_os_fd_t fd = -1;
      uv_fileno(reinterpret_cast<const uv_handle_t*>(&tcp_), &fd);
      return name + "#" + std::to_string(fd);
    }
  }
  return std::string(text) + ":" + std::to_string(port);
}

void Transport::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  auto* self = static_cast<Transport*>(handle->data);
  *buf = self->events_->read_buffer(self->owner_);
}

void Transport::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Transport*>(stream->data);
  if (nread == 0) return;
  if (nread < 0) {
    // EOF or a reset. A client that half-closes after its request still gets
    // its answer: queued bytes are flushed before we would have closed anyway,
    // but a peer that is gone cannot read them, so closing now is correct.
    if (nread != UV_EOF) {
      LOG_DEBUG("connection %s: read error: %s", self->Peer().c_str(), uv_strerror(static_cast<int>(nread)));
    }
    self->events_->failed(self->owner_);
    return;
  }
  if (self->tls_) {
    self->OnTlsInput(buf->base, static_cast<size_t>(nread));
    return;
  }
  self->events_->read(self->owner_, buf->base, static_cast<size_t>(nread));
}

void Transport::OnTlsInput(const char* data, size_t length) {
  TlsSession& tls = *tls_;
  if (!tls.Feed(data, length)) {
    LOG_WARN("connection %s: out of memory for TLS input", Peer().c_str());
    events_->failed(owner_);
    return;
  }
  // The session copied the ciphertext, so the loop's read buffer is free
  // again: plaintext is decrypted into it and handed over from there.
  const uv_buf_t plain = events_->read_buffer(owner_);
  const bool handshaking = !tls.handshake_done();
  for (;;) {
    const ssize_t n = tls.Read(plain.base, plain.len);
    if (n > 0) {
      events_->read(owner_, plain.base, static_cast<size_t>(n));
      if (closing_) return;
      continue;
    }
    if (n == TlsSession::kWantInput) break;
    if (n == TlsSession::kFailed) {
      uint64_t suppressed = 0;
      if (TlsFailureLog().Allow(uv_now(tcp_.loop), &suppressed)) {
        LOG_INFO("connection %s: TLS %s failed: %s (%llu similar line(s) suppressed)", Peer().c_str(),
                 tls.handshake_done() ? "connection" : "handshake", tls.error().c_str(),
                 static_cast<unsigned long long>(suppressed));
      }
    }
    // The alert (or our close_notify) goes out best effort before the close.
    FlushResult ignored;
    if (!lingering_ && tls.CollectOutput()) WriteTlsOutput(&ignored);
    events_->failed(owner_);
    return;
  }
  if (tls.TakeHandshakeCompleted()) {
    LOG_DEBUG("connection %s: %s", Peer().c_str(), tls.Describe().c_str());
  }
  // Handshake messages (and TLS 1.3 session tickets) go out now. After FIN
  // nothing may be written: the peer's late records are only drained.
  FlushResult result;
  if (!lingering_ && tls.CollectOutput() && !WriteTlsOutput(&result)) {
    events_->failed(owner_);
    return;
  }
  // Whatever the owner queued before the handshake finished (a 503 for a
  // connection over the limit) could not be encrypted then; a written
  // report with no bytes tells it the transport takes its queue now.
  if (handshaking && tls.handshake_done() && !closing_) events_->written(owner_, 0);
}

bool Transport::WriteTlsOutput(FlushResult* result, bool synchronous) {
  if (write_in_flight_ || closing_) return true;  // OnWrite sends what piled up meanwhile.
  std::string& out = tls_->pending();
  size_t offset = 0;
  for (int round = 0; synchronous && round < 4 && offset < out.size(); ++round) {
    uv_buf_t buffer = uv_buf_init(&out[offset], static_cast<unsigned>(out.size() - offset));
    const int written = uv_try_write(stream(), &buffer, 1);
    if (written == UV_EAGAIN) break;
    if (written < 0) {
      LOG_DEBUG("connection %s: write failed: %s", Peer().c_str(), uv_strerror(written));
      return false;
    }
    offset += static_cast<size_t>(written);
    result->wrote = true;
    ++result->writes;
    if (static_cast<size_t>(written) < buffer.len) break;
  }
  if (offset == out.size()) {
    if (out.capacity() > kKeptTlsOutputCapacity) {
      std::string().swap(out);
    } else {
      out.clear();
    }
    return true;
  }
  // The rest leaves with one asynchronous write, from a buffer that does not
  // move until it completes: records produced meanwhile go to `pending`.
  std::string& flight = tls_->in_flight();
  flight.swap(out);
  out.clear();
  WriteRequest* request = write_request();
  request->bytes = 0;  // The queue's bytes left it when they were encrypted.
  uv_buf_t buffer = uv_buf_init(&flight[offset], static_cast<unsigned>(flight.size() - offset));
  if (uv_write(&request->request, stream(), &buffer, 1, OnWrite) != 0) return false;
  ++result->writes;
  write_in_flight_ = true;
  return true;
}

Transport::FlushResult Transport::FlushTls(WriteQueue* queue) {
  FlushResult result;
  // Nothing can be encrypted before the handshake; OnTlsInput reports when
  // it completes.
  if (!tls_->handshake_done()) return result;
  // What is queued becomes one run of records and leaves in one write, as
  // on the plain path. At most kTlsFlushBytes are encrypted per round, so a
  // client that does not read leaves its backlog in the queue, where the
  // limit is; after a few rounds the rest goes to one asynchronous write,
  // whose completion continues, so one deep backlog cannot hold the loop.
  for (int round = 0; round < 4 && !write_in_flight_; ++round) {
    size_t encrypted = 0;
    while (!queue->empty() && encrypted < kTlsFlushBytes) {
      uv_buf_t buffers[kMaxIovecs];
      size_t total = 0;
      size_t count = queue->Fill(buffers, kMaxIovecs, &total);
      if (!tls_->Encrypt(buffers, count)) {
        LOG_DEBUG("connection %s: TLS encryption failed: %s", Peer().c_str(), tls_->error().c_str());
        result.failed = true;
        return result;
      }
      queue->Consume(total);
      encrypted += total;
    }
    if (!tls_->CollectOutput()) break;
    if (!WriteTlsOutput(&result, round < 3)) {
      result.failed = true;
      return result;
    }
    if (queue->empty()) break;
  }
  return result;
}

Transport::FlushResult Transport::Flush(WriteQueue* queue) {
  if (tls_) return FlushTls(queue);
  FlushResult result;
  if (write_in_flight_) return result;  // OnWrite continues from where it stopped.
  // A few synchronous writev rounds, then hand the rest to libuv so one client
  // with a deep backlog cannot monopolise the loop turn.
  for (int round = 0; round < 4 && !queue->empty(); ++round) {
    uv_buf_t buffers[kMaxIovecs];
    size_t total = 0;
    size_t count = queue->Fill(buffers, kMaxIovecs, &total);
    int written = uv_try_write(stream(), buffers, static_cast<unsigned>(count));
    if (written == UV_EAGAIN) break;
    if (written < 0) {
      LOG_DEBUG("connection %s: write failed: %s", Peer().c_str(), uv_strerror(written));
      result.failed = true;
      return result;
    }
    queue->Consume(static_cast<size_t>(written));
    result.bytes += static_cast<size_t>(written);
    result.wrote = true;
    ++result.writes;
    if (static_cast<size_t>(written) < total) break;
  }
  if (!queue->empty()) {
    uv_buf_t buffers[kMaxIovecs];
    size_t total = 0;
    size_t count = queue->Fill(buffers, kMaxIovecs, &total);
    WriteRequest* request = write_request();
    if (uv_write(&request->request, stream(), buffers, static_cast<unsigned>(count), OnWrite) != 0) {
      result.failed = true;
      return result;
    }
    ++result.writes;
    write_in_flight_ = true;
    request->bytes = total;
  }
  return result;
}

void Transport::OnWrite(uv_write_t* request, int status) {
  auto* self = static_cast<Transport*>(request->data);
  self->write_in_flight_ = false;
  // The ciphertext that was in flight is sent; its memory goes back now.
  if (self->tls_) std::string().swap(self->tls_->in_flight());
  if (status == UV_ECANCELED || self->closing_) return;  // Closing; memory goes in OnClosed.
  if (status < 0) {
    LOG_DEBUG("connection %s: write failed: %s", self->Peer().c_str(), uv_strerror(status));
    self->events_->failed(self->owner_);
    return;
  }
  if (self->tls_) {
    if (self->lingering_) {
      // Linger() waited for this write: close_notify and FIN follow it.
      if (!self->shutdown_request_ && !self->ShutdownTls()) self->events_->failed(self->owner_);
      return;
    }
    // Records produced while the write was in flight (handshake messages,
    // session tickets) go next.
    FlushResult ignored;
    if (self->tls_->CollectOutput() && !self->WriteTlsOutput(&ignored)) {
      self->events_->failed(self->owner_);
      return;
    }
  }
  const size_t bytes = self->write_request_->bytes;
  self->write_request_->bytes = 0;
  self->events_->written(self->owner_, bytes);
}

bool Transport::StartShutdown() {
  if (!shutdown_request_) {
    shutdown_request_ = std::make_unique<uv_shutdown_t>();
    shutdown_request_->data = this;
  }
  return uv_shutdown(shutdown_request_.get(), stream(), OnShutdown) == 0;
}

bool Transport::ShutdownTls() {
  tls_->Shutdown();
  tls_->CollectOutput();
  FlushResult ignored;
  // A write left unfinished here is sent before the FIN: libuv shuts the
  // socket down only once its write queue is empty.
  if (!WriteTlsOutput(&ignored)) return false;
  return StartShutdown();
}

bool Transport::Linger() {
  if (lingering_) return true;
  lingering_ = true;
  if (tls_) {
    StartReading();
    // libuv refuses writes once a shutdown is requested, so close_notify
    // must be queued first; with a write in flight, OnWrite does both.
    return write_in_flight_ ? true : ShutdownTls();
  }
  if (!StartShutdown()) return false;
  StartReading();
  return true;
}

void Transport::OnShutdown(uv_shutdown_t* request, int status) {
  auto* self = static_cast<Transport*>(request->data);
  if (status < 0 && status != UV_ECANCELED && !self->closing_) self->events_->failed(self->owner_);
}

void Transport::Close() {
  if (closing_) return;
  closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), OnClosed);
}

void Transport::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<Transport*>(handle->data);
  // The owner frees the transport here; nothing of it is touched afterwards.
  self->events_->closed(self->owner_);
}

}  // namespace ssebridge
