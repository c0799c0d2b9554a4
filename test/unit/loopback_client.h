// A plain loopback TCP client whose socket is watched by the test's own loop
// (a uv_poll_t), so that bytes arriving from the server wake RunLoopUntil as
// an event instead of waiting for some unrelated timer.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace ssebridge {
namespace testing_loop {

class LoopbackClient {
 public:
  explicit LoopbackClient(uv_loop_t* loop) : loop_(loop) {}
  ~LoopbackClient() {
    // The owner must have called Close() and run the loop; a handle still
    // open here would be a use after free inside libuv.
    if (fd_ >= 0 && !handle_open_) close(fd_);
  }
  LoopbackClient(const LoopbackClient&) = delete;
  LoopbackClient& operator=(const LoopbackClient&) = delete;

  // Connects to 127.0.0.1:port (a loopback connect completes in the
  // listener's backlog) and starts watching for input.
  bool Connect(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return false;
    return Watch();
  }

  // Takes an already connected socket (one end of a pair made by the test).
  bool Adopt(int fd) {
    fd_ = fd;
    return Watch();
  }

  bool Send(std::string_view bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  void ShutdownWrite() { shutdown(fd_, SHUT_WR); }

  // Stops watching and closes the socket; the loop must run once more for
  // the handle's close.
  void Close() {
    if (handle_open_) {
      handle_open_ = false;
      uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
    }
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
  }

  const std::string& received() const { return received_; }
  bool Has(std::string_view needle) const { return received_.find(needle) != std::string::npos; }
  // The server closed (FIN, or a reset).
  bool closed() const { return closed_; }
  bool reset() const { return reset_; }

 private:
  bool Watch() {
    if (uv_poll_init_socket(loop_, &poll_, fd_) != 0) return false;
    handle_open_ = true;
    poll_.data = this;
    return uv_poll_start(&poll_, UV_READABLE, OnReadable) == 0;
  }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<LoopbackClient*>(handle->data);
    char buffer[65536];
    for (;;) {
      ssize_t n = recv(self->fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0) {
        self->received_.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && status == 0) return;
      if (n < 0 && errno == EINTR) continue;
      self->reset_ = n < 0;
      self->closed_ = true;
      uv_poll_stop(handle);
      return;
    }
  }

  uv_loop_t* loop_;
  uv_poll_t poll_;
  int fd_ = -1;
  bool handle_open_ = false;
  std::string received_;
  bool closed_ = false;
  bool reset_ = false;
};

// Splits `text` into complete HTTP responses (head plus Content-Length body);
// a response still arriving is left out.
inline std::vector<std::string> CompleteResponses(const std::string& text) {
  std::vector<std::string> responses;
  size_t at = 0;
  for (;;) {
    const size_t head_end = text.find("\r\n\r\n", at);
    if (head_end == std::string::npos) break;
    const std::string head = text.substr(at, head_end + 4 - at);
    size_t length = 0;
    const size_t field = head.find("Content-Length: ");
    if (field != std::string::npos) length = std::strtoul(head.c_str() + field + 16, nullptr, 10);
    if (text.size() < head_end + 4 + length) break;
    responses.push_back(text.substr(at, head_end + 4 + length - at));
    at = head_end + 4 + length;
  }
  return responses;
}

}  // namespace testing_loop
}  // namespace ssebridge
