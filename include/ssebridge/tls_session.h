// TlsSession: one connection's TLS state — an OpenSSL SSL with a pair of
// memory BIOs — and the ciphertext waiting to be sent. It never touches a
// socket: the transport feeds it what arrived, takes plaintext out of it,
// hands it plaintext to encrypt and writes the ciphertext it produced. So it
// runs on the libuv loop without blocking and can be tested with two
// sessions talking through memory.
//
// Output is kept in two buffers: `pending` collects records as they are
// produced (handshake messages, encrypted frames, alerts) and `in_flight` is
// the one run of ciphertext an asynchronous write is sending, which must not
// move until that write completes.
//
// Allocated only for connections accepted on a TLS listener and freed with
// the transport in its close callback; plain connections carry a null
// pointer instead.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <uv.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct bio_st BIO;

namespace ssebridge {

struct Counters;

class TlsSession {
 public:
  // What Read() returns besides a byte count.
  static constexpr ssize_t kWantInput = 0;  // Nothing more until more ciphertext arrives.
  static constexpr ssize_t kClosed = -1;    // The peer sent close_notify: an orderly end.
  static constexpr ssize_t kFailed = -2;    // A protocol error or a failed handshake; see error().

  // Takes ownership of `ssl` (made from the context that should serve it)
  // and attaches memory BIOs. `server` selects the accepting side; `counters`
  // (may be null) count the handshake's outcome.
  TlsSession(SSL* ssl, bool server, Counters* counters = nullptr);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // A client session, for tests and benchmarks: it verifies and offers
  // ALPN as `ctx` is set up to; `server_name` goes in SNI when not empty.
  static std::unique_ptr<TlsSession> Client(SSL_CTX* ctx, const std::string& server_name = "");

  // Ciphertext from the peer. False only when memory runs out.
  bool Feed(const char* data, size_t length);

  // Decrypts into `buffer`, driving the handshake as needed. Returns the
  // number of plaintext bytes (> 0), kWantInput, kClosed or kFailed. Call
  // until it returns <= 0: one Feed() may hold several records.
  ssize_t Read(char* buffer, size_t size);

  // Encrypts `count` buffers of plaintext into as few records as possible
  // (up to 16 KiB each), appended to the pending output. Nothing is
  // encrypted before the handshake is complete (returns false with error()
  // empty then); false with error() set on a failure.
  bool Encrypt(const uv_buf_t* buffers, size_t count);

  // Appends close_notify to the pending output. Best effort.
  void Shutdown();

  // Moves what OpenSSL produced into the pending buffer; true when there is
  // pending output afterwards.
  bool CollectOutput();
  std::string& pending() { return pending_; }
  // The buffer an asynchronous write sends; cleared when it completes.
  std::string& in_flight() { return in_flight_; }

  bool handshake_done() const { return handshake_done_; }
  // True once, right after the handshake completed: the caller counts it.
  bool TakeHandshakeCompleted();
  // What went wrong, for the log (OpenSSL's reason, or the alert received).
  const std::string& error() const { return error_; }
  // "TLSv1.3 TLS_AES_256_GCM_SHA384 alpn=http/1.1", for debug lines and tests.
  std::string Describe() const;
  // The protocol ALPN selected, empty when none was.
  std::string alpn() const;

 private:
  ssize_t Fail(int ssl_result);

  SSL* ssl_;
  Counters* counters_;
  BIO* input_;   // Ciphertext received, read by OpenSSL.
  BIO* output_;  // Ciphertext OpenSSL produced, collected into pending_.
  std::string pending_;
  std::string in_flight_;
  std::string error_;
  bool handshake_done_ = false;
  bool handshake_reported_ = false;
};

}  // namespace ssebridge
