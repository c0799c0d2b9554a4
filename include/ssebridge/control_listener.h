// ControlListener: the control port (--control-port, --control-listen). A
// plain TCP listener, not HTTP: each client sends text lines, and every
// complete line goes to the one LineHandler it was built with (Server's,
// which parses it with ParseControlLine). Nothing is written back. A client
// may send any number of lines and stays connected until it closes; a line
// longer than kMaxControlLineBytes is logged and skipped, the client kept.
//
// Lifetime: memory of a client is freed only in its close callback. Close()
// closes the listener and every client; the owner keeps the object until the
// loop has run those close callbacks. The handler may call Close() (a "halt"
// line): the lines after it are dropped.
#pragma once

#include <cstddef>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>

#include <uv.h>

#include "ssebridge/line_buffer.h"

namespace ssebridge {

class ControlListener {
 public:
  ControlListener(uv_loop_t* loop, LineHandler handler);
  ControlListener(const ControlListener&) = delete;
  ControlListener& operator=(const ControlListener&) = delete;

  // Binds `host` (an IPv4 or IPv6 address) and `port` (0 picks a free one)
  // and starts accepting. Returns 0 or a libuv error code.
  int Listen(const std::string& host, uint16_t port);
  // Closes the listener and every client. Idempotent.
  void Close();

  uint16_t port() const { return port_; }
  size_t client_count() const { return clients_.size(); }

  // Called for each line longer than kMaxControlLineBytes, which is logged
  // and skipped without reaching the handler (so the owner can count it).
  std::function<void()> on_line_too_long;

 private:
  struct Client;
  static constexpr size_t kMaxClients = 64;
  static constexpr size_t kReadBufferBytes = 16 * 1024;

  static void OnConnection(uv_stream_t* server, int status);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnClientClosed(uv_handle_t* handle);

  // Hands one line to the handler; false once the client is closing.
  bool Deliver(Client* client, std::string_view line, bool too_long);
  void CloseClient(Client* client);

  uv_loop_t* loop_;
  LineHandler handler_;
  uv_tcp_t listener_;
  bool listener_open_ = false;
  bool closed_ = false;
  uint16_t port_ = 0;
  std::unordered_set<Client*> clients_;
  // Shared by the clients: a read is split into lines before its callback returns.
  std::unique_ptr<char[]> read_buffer_;
};

}  // namespace ssebridge
