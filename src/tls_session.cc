#include "ssebridge/tls_session.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>

#include "ssebridge/metrics.h"

namespace ssebridge {
namespace {

// The largest plaintext one TLS record carries.
constexpr size_t kMaxRecordPlaintext = 16384;

// OpenSSL's error queue as one line; empties the queue, which is per thread
// and would otherwise leak an old error into the next connection's report.
std::string DrainErrors() {
  std::string text;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text;
}

}  // namespace

TlsSession::TlsSession(SSL* ssl, bool server, Counters* counters) : ssl_(ssl), counters_(counters) {
  input_ = BIO_new(BIO_s_mem());
  output_ = BIO_new(BIO_s_mem());
  // An empty memory BIO reports "retry" rather than EOF, which is what makes
  // OpenSSL answer SSL_ERROR_WANT_READ while more bytes are on their way.
  BIO_set_mem_eof_return(input_, -1);
  BIO_set_mem_eof_return(output_, -1);
  SSL_set_bio(ssl_, input_, output_);  // The SSL owns both BIOs from here on.
  if (server) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

std::unique_ptr<TlsSession> TlsSession::Client(SSL_CTX* ctx, const std::string& server_name) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  if (!server_name.empty()) {
    SSL_set_tlsext_host_name(ssl, server_name.c_str());
    SSL_set1_host(ssl, server_name.c_str());
  }
  return std::make_unique<TlsSession>(ssl, false);
}

bool TlsSession::Feed(const char* data, size_t length) {
  while (length > 0) {
    size_t written = 0;
    if (BIO_write_ex(input_, data, length, &written) != 1) return false;
    data += written;
    length -= written;
  }
  return true;
}

ssize_t TlsSession::Read(char* buffer, size_t size) {
  size_t read = 0;
  int rc = SSL_read_ex(ssl_, buffer, size, &read);
  if (!handshake_done_ && SSL_is_init_finished(ssl_)) {
    handshake_done_ = true;
    if (counters_ != nullptr) ++counters_->tls_handshakes;
  }
  if (rc == 1) return static_cast<ssize_t>(read);
  const ssize_t result = Fail(rc);
  if (result == kFailed && !handshake_done_ && counters_ != nullptr) ++counters_->tls_handshake_failures;
  return result;
}

ssize_t TlsSession::Fail(int ssl_result) {
  switch (SSL_get_error(ssl_, ssl_result)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:  // Memory BIOs never refuse output; kept for completeness.
      return kWantInput;
    case SSL_ERROR_ZERO_RETURN:
      return kClosed;
    case SSL_ERROR_SYSCALL:
      // With memory BIOs there is no system call: this is an unexpected EOF.
      error_ = DrainErrors();
      if (error_.empty()) error_ = "unexpected end of the TLS stream";
      return kFailed;
    default:
      error_ = DrainErrors();
      if (error_.empty()) error_ = "TLS protocol error";
      return kFailed;
  }
}

bool TlsSession::Encrypt(const uv_buf_t* buffers, size_t count) {
  if (!handshake_done_) return false;
  // One buffer up to a record's size goes straight in; several small frames
  // (the usual fan-out backlog) are gathered so that they share records
  // instead of paying a record header and tag each.
  static thread_local char gather[kMaxRecordPlaintext];
  size_t gathered = 0;
  auto write = [this](const char* data, size_t length) {
    size_t written = 0;
    if (SSL_write_ex(ssl_, data, length, &written) != 1 || written != length) {
      error_ = DrainErrors();
      if (error_.empty()) error_ = "TLS write failed";
      return false;
    }
    return true;
  };
  for (size_t i = 0; i < count; ++i) {
    const char* data = buffers[i].base;
    size_t length = buffers[i].len;
    if (gathered == 0 && length >= kMaxRecordPlaintext) {
      // Large frames are encrypted in place; OpenSSL splits them into records.
      if (!write(data, length)) return false;
      continue;
    }
    while (length > 0) {
      const size_t take = std::min(length, kMaxRecordPlaintext - gathered);
      memcpy(gather + gathered, data, take);
      gathered += take;
      data += take;
      length -= take;
      if (gathered == kMaxRecordPlaintext) {
        if (!write(gather, gathered)) return false;
        gathered = 0;
      }
    }
  }
  if (gathered > 0 && !write(gather, gathered)) return false;
  return true;
}

void TlsSession::Shutdown() {
  if (!handshake_done_) return;
  SSL_shutdown(ssl_);
  DrainErrors();
}

bool TlsSession::CollectOutput() {
  const size_t available = BIO_ctrl_pending(output_);
  if (available > 0) {
    const size_t old_size = pending_.size();
    pending_.resize(old_size + available);
    size_t read = 0;
    if (BIO_read_ex(output_, &pending_[old_size], available, &read) != 1) read = 0;
    pending_.resize(old_size + read);
  }
  return !pending_.empty();
}

bool TlsSession::TakeHandshakeCompleted() {
  if (!handshake_done_ || handshake_reported_) return false;
  handshake_reported_ = true;
  return true;
}

std::string TlsSession::alpn() const {
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_, &data, &length);
  return std::string(reinterpret_cast<const char*>(data), data == nullptr ? 0 : length);
}

std::string TlsSession::Describe() const {
  std::string text = SSL_get_version(ssl_);
  const char* cipher = SSL_get_cipher_name(ssl_);
  text += " ";
  text += cipher != nullptr ? cipher : "(none)";
  const std::string selected = alpn();
  if (!selected.empty()) text += " alpn=" + selected;
  return text;
}

}  // namespace ssebridge
