#include "ssebridge/tls_session.h"

#include <openssl/ssl.h>

#include <string>

#include <gtest/gtest.h>

#include "ssebridge/metrics.h"
#include "ssebridge/tls_context.h"
#include "tls_test_files.h"

namespace ssebridge {
namespace {

// A server session and a client session joined through memory: whatever one
// produces is fed to the other by Pump().
class TlsSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing_tls::WriteSelfSigned("bridge.test", files_.Path("cert.pem"), files_.Path("key.pem")));
    std::string error;
    server_ctx_ = NewServerTlsContext(files_.Path("cert.pem"), files_.Path("key.pem"), &error, nullptr);
    ASSERT_NE(server_ctx_, nullptr) << error;
    client_ctx_ = SSL_CTX_new(TLS_client_method());
    ASSERT_EQ(SSL_CTX_load_verify_locations(client_ctx_, files_.Path("cert.pem").c_str(), nullptr), 1);
    SSL_CTX_set_verify(client_ctx_, SSL_VERIFY_PEER, nullptr);
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    SSL_CTX_free(client_ctx_);
    SSL_CTX_free(server_ctx_);
  }

  void MakeSessions() {
    server_ = std::make_unique<TlsSession>(SSL_new(server_ctx_), true, &counters_);
    client_ = TlsSession::Client(client_ctx_, "bridge.test");
    ASSERT_NE(client_, nullptr);
  }

  // Sends what `from` produced to `to` and reads `to` dry. Returns the last
  // Read() result (kWantInput, kClosed or kFailed).
  ssize_t Pump(TlsSession& from, TlsSession& to, std::string* plaintext) {
    from.CollectOutput();
    std::string bytes;
    bytes.swap(from.pending());
    EXPECT_TRUE(to.Feed(bytes.data(), bytes.size()));
    char buffer[4096];
    ssize_t n;
    while ((n = to.Read(buffer, sizeof buffer)) > 0) plaintext->append(buffer, static_cast<size_t>(n));
    return n;
  }

  // Runs the handshake to its end; true when both sides finished it.
  bool Handshake() {
    std::string ignored;
    client_->Read(nullptr, 0);  // The ClientHello.
    for (int round = 0; round < 6 && !(client_->handshake_done() && server_->handshake_done()); ++round) {
      if (Pump(*client_, *server_, &ignored) == TlsSession::kFailed) return false;
      if (Pump(*server_, *client_, &ignored) == TlsSession::kFailed) return false;
    }
    return client_->handshake_done() && server_->handshake_done();
  }

  testing_tls::TempFiles files_;
  SSL_CTX* server_ctx_ = nullptr;
  SSL_CTX* client_ctx_ = nullptr;
  Counters counters_;
  std::unique_ptr<TlsSession> server_;
  std::unique_ptr<TlsSession> client_;
};

TEST_F(TlsSessionTest, HandshakeAgreesOnTls13AndHttp11) {
  static const unsigned char kOffer[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(client_ctx_, kOffer, sizeof kOffer);
  MakeSessions();
  ASSERT_TRUE(Handshake()) << server_->error() << client_->error();
  EXPECT_EQ(server_->alpn(), "http/1.1");
  EXPECT_EQ(client_->alpn(), "http/1.1");
  EXPECT_NE(server_->Describe().find("TLSv1.3"), std::string::npos) << server_->Describe();
  EXPECT_TRUE(server_->TakeHandshakeCompleted());
  EXPECT_FALSE(server_->TakeHandshakeCompleted()) << "reported once";
  EXPECT_EQ(counters_.tls_handshakes, 1u);
  EXPECT_EQ(counters_.tls_handshake_failures, 0u);
}

TEST_F(TlsSessionTest, NothingIsEncryptedBeforeTheHandshake) {
  MakeSessions();
  uv_buf_t frame = uv_buf_init(const_cast<char*>("data: x\n\n"), 9);
  EXPECT_FALSE(server_->Encrypt(&frame, 1));
  EXPECT_EQ(server_->error(), "") << "not a failure: the frame waits";
  EXPECT_FALSE(server_->CollectOutput());
}

TEST_F(TlsSessionTest, SmallFramesShareRecordsAndLargeOnesArriveWhole) {
  MakeSessions();
  ASSERT_TRUE(Handshake());
  server_->CollectOutput();
  server_->pending().clear();  // Session tickets, already delivered above.
  // A hundred 20-byte frames in one call: gathered, so one record's header
  // and tag instead of a hundred.
  std::string frames[100];
  uv_buf_t buffers[100];
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    frames[i] = "data: frame " + std::to_string(1000 + i) + "...\n\n";
    frames[i].resize(20, '.');
    buffers[i] = uv_buf_init(&frames[i][0], 20);
    expected += frames[i];
  }
  ASSERT_TRUE(server_->Encrypt(buffers, 100));
  server_->CollectOutput();
  EXPECT_LT(server_->pending().size(), expected.size() + 64) << "one record, not one per frame";
  std::string received;
  EXPECT_EQ(Pump(*server_, *client_, &received), TlsSession::kWantInput);
  EXPECT_EQ(received, expected);

  // Larger than a record, and a small frame after it.
  std::string large(100 * 1024, 'x');
  for (size_t i = 0; i < large.size(); i += 997) large[i] = static_cast<char>('a' + i % 26);
  uv_buf_t mixed[2] = {uv_buf_init(&large[0], static_cast<unsigned>(large.size())), buffers[0]};
  ASSERT_TRUE(server_->Encrypt(mixed, 2));
  received.clear();
  EXPECT_EQ(Pump(*server_, *client_, &received), TlsSession::kWantInput);
  EXPECT_EQ(received, large + frames[0]);

  // And the client's request the other way.
  std::string request = "GET /events?channel=a HTTP/1.1\r\nHost: x\r\n\r\n";
  uv_buf_t request_buffer = uv_buf_init(&request[0], static_cast<unsigned>(request.size()));
  ASSERT_TRUE(client_->Encrypt(&request_buffer, 1));
  received.clear();
  EXPECT_EQ(Pump(*client_, *server_, &received), TlsSession::kWantInput);
  EXPECT_EQ(received, request);
}

TEST_F(TlsSessionTest, CloseNotifyEndsTheOtherSidesReading) {
  MakeSessions();
  ASSERT_TRUE(Handshake());
  server_->Shutdown();
  std::string received;
  EXPECT_EQ(Pump(*server_, *client_, &received), TlsSession::kClosed);
}

TEST_F(TlsSessionTest, PlainHttpOnTheTlsPortFailsTheHandshake) {
  MakeSessions();
  const std::string garbage = "GET /events?channel=a HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(server_->Feed(garbage.data(), garbage.size()));
  char buffer[256];
  EXPECT_EQ(server_->Read(buffer, sizeof buffer), TlsSession::kFailed);
  EXPECT_NE(server_->error(), "");
  EXPECT_EQ(counters_.tls_handshake_failures, 1u);
  EXPECT_EQ(counters_.tls_handshakes, 0u);
}

TEST_F(TlsSessionTest, Tls11IsRefused) {
  // Old protocols need the lowest security level on the client to be offered at all.
  SSL_CTX_set_security_level(client_ctx_, 0);
  SSL_CTX_set_min_proto_version(client_ctx_, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(client_ctx_, TLS1_1_VERSION);
  MakeSessions();
  EXPECT_FALSE(Handshake());
  EXPECT_FALSE(server_->handshake_done());
  EXPECT_NE(server_->error().find("unsupported protocol"), std::string::npos) << server_->error();
  EXPECT_EQ(counters_.tls_handshake_failures, 1u);
}

TEST_F(TlsSessionTest, AClientThatOffersOnlyH2IsRefused) {
  static const unsigned char kOffer[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(client_ctx_, kOffer, sizeof kOffer);
  MakeSessions();
  EXPECT_FALSE(Handshake());
  EXPECT_EQ(counters_.tls_handshake_failures, 1u);
}

TEST_F(TlsSessionTest, AClientWithoutAlpnIsServedHttp11) {
  MakeSessions();
  ASSERT_TRUE(Handshake());
  EXPECT_EQ(server_->alpn(), "");
}

}  // namespace
}  // namespace ssebridge
