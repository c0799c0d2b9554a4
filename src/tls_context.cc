#include "ssebridge/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ssebridge/config.h"
#include "ssebridge/metrics.h"
#include "ssebridge/tls_session.h"

namespace ssebridge {
namespace {

// The one protocol spoken on the listener, in ALPN's wire format.
constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

std::string LastError() {
  std::string text;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    text = line;  // The last entry is the most specific.
  }
  return text.empty() ? "unknown error" : text;
}

// Picks http/1.1 when the client offers it. A client that offers ALPN but
// not http/1.1 (h2 only, say) cannot talk to us: RFC 7301 asks for a fatal
// no_application_protocol alert rather than a connection that fails later.
// Clients that offer no ALPN at all are served as HTTP/1.1.
int SelectAlpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
               unsigned int in_length, void* /*arg*/) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kHttp11, sizeof kHttp11, in, in_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

std::string Describe(SSL_CTX* ctx) {
  X509* certificate = SSL_CTX_get0_certificate(ctx);
  if (certificate == nullptr) return "no certificate";
  std::string text;
  char* subject = X509_NAME_oneline(X509_get_subject_name(certificate), nullptr, 0);
  if (subject != nullptr) {
    text = subject;
    OPENSSL_free(subject);
  }
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio != nullptr) {
    if (ASN1_TIME_print(bio, X509_get0_notAfter(certificate)) == 1) {
      char* data = nullptr;
      long length = BIO_get_mem_data(bio, &data);
      text += ", valid until " + std::string(data, static_cast<size_t>(length));
    }
    BIO_free(bio);
  }
  return text;
}

}  // namespace

SSL_CTX* NewServerTlsContext(const std::string& cert_file, const std::string& key_file, std::string* error,
                             std::string* description) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    *error = "cannot create a TLS context: " + LastError();
    return nullptr;
  }
  // TLS 1.0 and 1.1 are deprecated (RFC 8996); browsers no longer offer them.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Renegotiation is a denial-of-service lever and no browser needs it; the
  // server's cipher preference keeps weaker TLS 1.2 suites last.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  // An idle stream keeps no read or write buffer (about 34 KiB otherwise):
  // memory per idle stream is what ssebridge is measured by.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // Resumption goes through session tickets, which the client keeps: a
  // server-side cache would hold every session for minutes after its
  // connection closed, memory that grows with the handshake rate.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  // OpenSSL reports an unreadable file as "system lib"; say what the system said.
  if (access(cert_file.c_str(), R_OK) != 0) {
    *error = "--tls-cert " + cert_file + ": " + strerror(errno);
  } else if (access(key_file.c_str(), R_OK) != 0) {
    *error = "--tls-key " + key_file + ": " + strerror(errno);
  } else if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    *error = "--tls-cert " + cert_file + ": " + LastError();
  } else if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL compares the key with the certificate while loading it; a
    // half-finished renewal (new certificate, old key) is the usual cause.
    const std::string reason = LastError();
    *error = "--tls-key " + key_file +
             (reason.find("mismatch") != std::string::npos ? " does not match the certificate in " + cert_file + ": "
                                                           : ": ") +
             reason;
  } else if (SSL_CTX_check_private_key(ctx) != 1) {
    *error = "--tls-key " + key_file + " does not match the certificate in " + cert_file + ": " + LastError();
  } else {
    if (description != nullptr) *description = Describe(ctx);
    return ctx;
  }
  SSL_CTX_free(ctx);
  return nullptr;
}

std::unique_ptr<TlsContext> TlsContext::Load(const std::string& cert_file, const std::string& key_file,
                                             Counters* counters, std::string* error) {
  std::unique_ptr<TlsContext> context(new TlsContext(cert_file, key_file, counters));
  context->ctx_ = NewServerTlsContext(cert_file, key_file, error, &context->description_);
  if (context->ctx_ == nullptr) return nullptr;
  return context;
}

TlsContext::TlsContext(std::string cert_file, std::string key_file, Counters* counters)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)), counters_(counters) {}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::string TlsContext::Reload() {
  std::string error;
  std::string description;
  SSL_CTX* fresh = NewServerTlsContext(cert_file_, key_file_, &error, &description);
  if (fresh == nullptr) {
    if (counters_ != nullptr) ++counters_->tls_reload_failures;
    return error;
  }
  // Sessions made from the old context hold a reference to it; this drops
  // only ours.
  SSL_CTX_free(ctx_);
  ctx_ = fresh;
  description_ = description;
  if (counters_ != nullptr) ++counters_->tls_reloads;
  return "";
}

std::unique_ptr<TlsSession> TlsContext::NewSession() {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  return std::make_unique<TlsSession>(ssl, true, counters_);
}

std::unique_ptr<TlsContext> MakeTlsContext(const Config& config, Counters* counters, std::string* error) {
  error->clear();
  bool any_tls = false;
  for (const ListenAddress& address : config.listen) any_tls = any_tls || address.tls;
  const bool files_given = !config.tls_cert_file.empty() || !config.tls_key_file.empty();
  if (!any_tls) {
    if (files_given) *error = "--tls-cert/--tls-key are set but no --listen address starts with tls:";
    return nullptr;
  }
  if (config.tls_cert_file.empty() || config.tls_key_file.empty()) {
    *error = "a tls: listener needs both --tls-cert and --tls-key";
    return nullptr;
  }
  return TlsContext::Load(config.tls_cert_file, config.tls_key_file, counters, error);
}

}  // namespace ssebridge
