#include "ssebridge/transport.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ssebridge/log.h"
#include "ssebridge/write_queue.h"

namespace ssebridge {
namespace {

// Enough iovecs for a deep backlog of small events in one writev.
constexpr size_t kMaxIovecs = 64;

}  // namespace

Transport::Transport(uv_loop_t* loop, const Events* events, void* owner) : events_(events), owner_(owner) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
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
  self->events_->read(self->owner_, buf->base, static_cast<size_t>(nread));
}

Transport::FlushResult Transport::Flush(WriteQueue* queue) {
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
    if (!write_request_) {
      write_request_ = std::make_unique<uv_write_t>();
      write_request_->data = this;
    }
    if (uv_write(write_request_.get(), stream(), buffers, static_cast<unsigned>(count), OnWrite) != 0) {
      result.failed = true;
      return result;
    }
    ++result.writes;
    write_in_flight_ = true;
    write_in_flight_bytes_ = total;
  }
  return result;
}

void Transport::OnWrite(uv_write_t* request, int status) {
  auto* self = static_cast<Transport*>(request->data);
  self->write_in_flight_ = false;
  if (status == UV_ECANCELED || self->closing_) return;  // Closing; memory goes in OnClosed.
  if (status < 0) {
    LOG_DEBUG("connection %s: write failed: %s", self->Peer().c_str(), uv_strerror(status));
    self->events_->failed(self->owner_);
    return;
  }
  const size_t bytes = self->write_in_flight_bytes_;
  self->write_in_flight_bytes_ = 0;
  self->events_->written(self->owner_, bytes);
}

bool Transport::Linger() {
  if (!shutdown_request_) {
    shutdown_request_ = std::make_unique<uv_shutdown_t>();
    shutdown_request_->data = this;
  }
  if (uv_shutdown(shutdown_request_.get(), stream(), OnShutdown) != 0) return false;
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
