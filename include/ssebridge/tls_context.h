// TlsContext: the server's TLS configuration — certificate chain, private
// key, protocol versions (TLS 1.2 and 1.3 only), ALPN (http/1.1) — as one
// OpenSSL SSL_CTX, and its reload on SIGHUP.
//
// A reload builds a complete new SSL_CTX from the files and swaps it in only
// when every step succeeded; a bad file leaves the old one in place. Each
// connection's SSL holds its own reference to the SSL_CTX it was made from,
// so open connections keep working through a reload and the old context is
// freed by OpenSSL once the last of them closes. New handshakes use the new
// context. No sockets here: TlsSession drives one connection through memory
// BIOs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

typedef struct ssl_ctx_st SSL_CTX;

namespace ssebridge {

class TlsSession;
struct Config;
struct Counters;

class TlsContext {
 public:
  // Loads the certificate chain and key (PEM). Returns null with *error set
  // to a sentence naming the file when either cannot be used. `counters`
  // (may be null) count handshakes and reloads.
  static std::unique_ptr<TlsContext> Load(const std::string& cert_file, const std::string& key_file,
                                          Counters* counters, std::string* error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Reads the files again. On success new handshakes use them; on failure
  // the old certificate stays and the reason is returned ("" on success).
  std::string Reload();

  // A server-side session for one accepted connection, on the current
  // context. Null only when OpenSSL cannot allocate one.
  std::unique_ptr<TlsSession> NewSession();

  // The subject and expiry of the certificate in use, for log lines.
  const std::string& description() const { return description_; }

 private:
  TlsContext(std::string cert_file, std::string key_file, Counters* counters);

  std::string cert_file_;
  std::string key_file_;
  SSL_CTX* ctx_ = nullptr;
  std::string description_;
  Counters* counters_;
};

// The TLS context --tls-cert and --tls-key describe, when some --listen
// address starts with "tls:". Null with *error empty when no listener uses
// TLS; null with *error set when the files are missing or unusable, or given
// without a TLS listener (a likely mistake: clients would speak plain HTTP).
std::unique_ptr<TlsContext> MakeTlsContext(const Config& config, Counters* counters, std::string* error);

// Builds a server SSL_CTX from the files: TLS 1.2 minimum, ALPN http/1.1,
// no renegotiation. Returns null with *error set, and *description set to
// the certificate's subject and expiry on success. Shared with the tests.
SSL_CTX* NewServerTlsContext(const std::string& cert_file, const std::string& key_file, std::string* error,
                             std::string* description);

}  // namespace ssebridge
