#include "ssebridge/control_listener.h"

#include <netinet/in.h>

#include <utility>

#include "ssebridge/log.h"

namespace ssebridge {

struct ControlListener::Client {
  explicit Client(ControlListener* owner) : owner(owner), lines(kMaxControlLineBytes) {}
  uv_tcp_t handle;
  ControlListener* owner;
  LineBuffer lines;
  std::string source;  // "control 127.0.0.1:40112", for log lines.
  bool closing = false;
};

namespace {

std::string PeerName(const uv_tcp_t* handle) {
  sockaddr_storage address{};
  int length = sizeof(address);
  char host[64] = "?";
  uint16_t port = 0;
  if (uv_tcp_getpeername(handle, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    if (address.ss_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
      uv_ip6_name(in6, host, sizeof(host));
      port = ntohs(in6->sin6_port);
      return "control [" + std::string(host) + "]:" + std::to_string(port);
    }
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(&address);
    uv_ip4_name(in4, host, sizeof(host));
    port = ntohs(in4->sin_port);
  }
  return "control " + std::string(host) + ":" + std::to_string(port);
}

}  // namespace

ControlListener::ControlListener(uv_loop_t* loop, LineHandler handler)
    : loop_(loop), handler_(std::move(handler)), read_buffer_(new char[kReadBufferBytes]) {}

int ControlListener::Listen(const std::string& host, uint16_t port) {
  sockaddr_storage address{};
  int rc = uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&address));
  if (rc != 0) rc = uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&address));
  if (rc != 0) return rc;
  rc = uv_tcp_init(loop_, &listener_);
  if (rc != 0) return rc;
  listener_open_ = true;
  listener_.data = this;
  rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&address), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 64, OnConnection);
  if (rc != 0) {
    Close();
    return rc;
  }
  sockaddr_storage bound{};
  int length = sizeof(bound);
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return 0;
}

void ControlListener::Close() {
  if (closed_) return;
  closed_ = true;
  if (listener_open_) {
    listener_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  }
  // CloseClient() erases from the set: iterate over a copy.
  std::unordered_set<Client*> clients = clients_;
  for (Client* client : clients) CloseClient(client);
}

void ControlListener::OnConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<ControlListener*>(server->data);
  if (status != 0) {
    LOG_WARN("control port: accept failed: %s", uv_strerror(status));
    return;
  }
  auto* client = new Client(self);
  uv_tcp_init(self->loop_, &client->handle);
  client->handle.data = client;
  self->clients_.insert(client);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&client->handle)) != 0) {
    self->CloseClient(client);
    return;
  }
  client->source = PeerName(&client->handle);
  if (self->clients_.size() > kMaxClients) {
    LOG_WARN("%s: refused, %zu control clients connected already", client->source.c_str(), kMaxClients);
    self->CloseClient(client);
    return;
  }
  LOG_DEBUG("%s: connected", client->source.c_str());
  uv_read_start(reinterpret_cast<uv_stream_t*>(&client->handle), OnAlloc, OnRead);
}

void ControlListener::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  auto* client = static_cast<Client*>(handle->data);
  buf->base = client->owner->read_buffer_.get();
  buf->len = kReadBufferBytes;
}

void ControlListener::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* client = static_cast<Client*>(stream->data);
  ControlListener* self = client->owner;
  auto sink = [self, client](std::string_view line, bool too_long) { return self->Deliver(client, line, too_long); };
  if (nread > 0) {
    client->lines.Feed(std::string_view(buf->base, static_cast<size_t>(nread)), sink);
    return;
  }
  if (nread == 0) return;  // EAGAIN.
  if (nread == UV_EOF) {
    client->lines.Finish(sink);  // A last line without '\n' (printf | nc) still counts.
  } else {
    LOG_WARN("%s: read failed: %s", client->source.c_str(), uv_strerror(static_cast<int>(nread)));
  }
  self->CloseClient(client);
}

bool ControlListener::Deliver(Client* client, std::string_view line, bool too_long) {
  if (client->closing) return false;
  if (too_long) {
    LOG_WARN("%s: skipped a line longer than %zu bytes", client->source.c_str(), kMaxControlLineBytes);
    if (on_line_too_long) on_line_too_long();
  } else {
    handler_(line, client->source);
  }
  return !client->closing;  // The handler may have closed everything (halt).
}

void ControlListener::CloseClient(Client* client) {
  if (client->closing) return;
  client->closing = true;
  clients_.erase(client);
  LOG_DEBUG("%s: closed", client->source.c_str());
  uv_close(reinterpret_cast<uv_handle_t*>(&client->handle), OnClientClosed);
}

void ControlListener::OnClientClosed(uv_handle_t* handle) { delete static_cast<Client*>(handle->data); }

}  // namespace ssebridge
