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
//
// On a TLS listener the transport also owns a TlsSession (see StartTls):
// ciphertext read is decrypted before the owner sees it, and a flush
// encrypts the queued frames into one run of records and writes that. The
// owner sees plaintext either way. Plain connections pay one null pointer
// and one branch per read and per flush.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <uv.h>

namespace ssebridge {

class TlsContext;
class TlsSession;
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
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Takes ownership of an accepted socket. On failure the descriptor is closed.
  int Open(int fd);
  // Makes this a TLS connection: the server side of a handshake on
  // `context`'s current certificate. Called after Open() and before
  // StartReading(). Returns 0, or UV_ENOMEM when no session could be made.
  int StartTls(TlsContext* context);
  // Starts reading; returns libuv's error. A no-op while reading.
  int StartReading();
  void StopReading();

  // Writes from the front of `queue` as far as the socket accepts. Does
  // nothing while an asynchronous write is in flight: `written` continues.
  // Over TLS, the bytes taken from the queue are encrypted at once and
  // leave the queue then (up to kTlsFlushBytes per round, so that the queue
  // stays the backpressure gauge); `written` then reports 0 bytes.
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
  bool tls() const { return tls_ != nullptr; }

  // Plaintext a TLS flush encrypts before the ciphertext must have left:
  // past it, frames wait in the queue, where the slow-consumer limit sees them.
  static constexpr size_t kTlsFlushBytes = 64 * 1024;

 private:
  struct WriteRequest;
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* request, int status);
  static void OnShutdown(uv_shutdown_t* request, int status);
  static void OnClosed(uv_handle_t* handle);

  void OnTlsInput(const char* data, size_t length);
  FlushResult FlushTls(WriteQueue* queue);
  // Sends the session's pending ciphertext: synchronously as far as the
  // socket takes it (unless `synchronous` is false), the rest with one
  // uv_write. False when a write failed.
  bool WriteTlsOutput(FlushResult* result, bool synchronous = true);
  // close_notify, then FIN, once no write is in flight.
  bool ShutdownTls();
  bool StartShutdown();
  WriteRequest* write_request();

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

  uv_tcp_t tcp_;
  const Events* events_;
  void* owner_;
  // Requests for the slow paths (a socket that would block; a graceful close)
  // are allocated on first use: most idle streams never need them. The
  // write's byte count lives with its request, which leaves room for the
  // TLS pointer without growing every connection.
  std::unique_ptr<WriteRequest> write_request_;
  std::unique_ptr<uv_shutdown_t> shutdown_request_;
  std::unique_ptr<TlsSession> tls_;  // Null for plain connections.
  bool write_in_flight_ = false;
  bool reading_ = false;
  bool closing_ = false;
  bool lingering_ = false;           // FIN requested (or, over TLS, waiting to be).
};

}  // namespace ssebridge
