// Transport: the byte pipe under one connection. It owns the uv_tcp_t, reads
// into the loop's shared read buffer, writes a WriteQueue (a few synchronous
// writev rounds, then one uv_write for the rest), lingers (FIN, then reads
// until the peer's EOF) and closes. It knows nothing of HTTP.
//
// The owner embeds it and is called back through one static table of
// function pointers, only per read, per asynchronous write, on failure and on
// close: a flush is a direct call that returns what happened, so the fan-out
// path pays no indirect call. Memory goes only in the close callback: the
// owner frees itself (and so the Transport) from `closed`.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <uv.h>

namespace ssebridge {

class WriteQueue;

class Transport {
 public:
  // What the transport reports to its owner. Each runs from a libuv callback.
  struct Events {
    // The loop's shared read buffer; input must be consumed before `read`
    // returns, so idle connections cost no read buffer at all.
    uv_buf_t (*read_buffer)(void* owner);
    // Bytes arrived; `data` is valid only during the call.
    void (*read)(void* owner, const char* data, size_t length);
    // The socket failed (already logged) or the peer closed: close now.
    void (*failed)(void* owner);
    // The asynchronous write finished: `bytes` left the queue's front.
    void (*written)(void* owner, size_t bytes);
    // The handle is closed; the owner may free the transport now.
    void (*closed)(void* owner);
  };

  // What one Flush() did.
  struct FlushResult {
    bool failed = false;  // A write failed (logged); the owner closes.
    bool wrote = false;   // Some bytes left synchronously.
    int writes = 0;       // writev and uv_write calls made.
    size_t bytes = 0;     // Bytes that left synchronously (`written` reports the rest).
  };

  Transport(uv_loop_t* loop, const Events* events, void* owner);
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Takes ownership of an accepted socket. On failure the descriptor is closed.
  int Open(int fd);
  // Starts reading; returns libuv's error. A no-op while reading.
  int StartReading();
  void StopReading();

  // Writes from the front of `queue` as far as the socket accepts. Does
  // nothing while an asynchronous write is in flight: `written` continues.
  FlushResult Flush(WriteQueue* queue);

  // Sends FIN and reads until the peer closes: closing with unread input
  // would send RST and could destroy the response just written. False when
  // the shutdown could not be started; the owner closes.
  bool Linger();

  // Closes the handle; `closed` follows on a later loop turn. Safe to call
  // more than once.
  void Close();

  // "address:port" of the peer, for log lines.
  std::string Peer() const;

  bool closing() const { return closing_; }
  bool reading() const { return reading_; }

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* request, int status);
  static void OnShutdown(uv_shutdown_t* request, int status);
  static void OnClosed(uv_handle_t* handle);

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

  uv_tcp_t tcp_;
  const Events* events_;
  void* owner_;
  // Requests for the slow paths (a socket that would block; a graceful close)
  // are allocated on first use: most idle streams never need them.
  std::unique_ptr<uv_write_t> write_request_;
  std::unique_ptr<uv_shutdown_t> shutdown_request_;
  size_t write_in_flight_bytes_ = 0;
  bool write_in_flight_ = false;
  bool reading_ = false;
  bool closing_ = false;
};

}  // namespace ssebridge
