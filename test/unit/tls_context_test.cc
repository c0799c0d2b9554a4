#include "ssebridge/tls_context.h"

#include <openssl/ssl.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ssebridge/config.h"
#include "ssebridge/metrics.h"
#include "ssebridge/tls_session.h"
#include "tls_test_files.h"

namespace ssebridge {
namespace {

using testing::HasSubstr;

class TlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing_tls::WriteSelfSigned("a.test", Path("a.pem"), Path("a.key")));
    ASSERT_TRUE(testing_tls::WriteSelfSigned("b.test", Path("b.pem"), Path("b.key")));
  }

  std::string Path(const std::string& name) const { return files_.Path(name); }

  static bool Copy(const std::string& from, const std::string& to) {
    std::string command = "cp '" + from + "' '" + to + "'";
    return system(command.c_str()) == 0;
  }

  // True when a client that trusts only `name`'s certificate (and checks
  // that name) completes a handshake with a session from `context`.
  bool ServedAs(TlsContext& context, const std::string& name) {
    SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(client_ctx, Path(name + ".pem").c_str(), nullptr);
    SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, nullptr);
    std::unique_ptr<TlsSession> client = TlsSession::Client(client_ctx, name + ".test");
    std::unique_ptr<TlsSession> server = context.NewSession();
    const bool done = Converse(*client, *server);
    client.reset();
    SSL_CTX_free(client_ctx);
    return done;
  }

  static bool Converse(TlsSession& client, TlsSession& server) {
    char buffer[4096];
    client.Read(buffer, sizeof buffer);
    for (int round = 0; round < 6; ++round) {
      for (auto [from, to] : {std::pair{&client, &server}, std::pair{&server, &client}}) {
        from->CollectOutput();
        std::string bytes;
        bytes.swap(from->pending());
        to->Feed(bytes.data(), bytes.size());
        if (to->Read(buffer, sizeof buffer) == TlsSession::kFailed) return false;
      }
      if (client.handshake_done() && server.handshake_done()) return true;
    }
    return false;
  }

  testing_tls::TempFiles files_;
  Counters counters_;
};

TEST_F(TlsContextTest, LoadsTheCertificateAndDescribesIt) {
  std::string error;
  auto context = TlsContext::Load(Path("a.pem"), Path("a.key"), &counters_, &error);
  ASSERT_NE(context, nullptr) << error;
  EXPECT_THAT(context->description(), HasSubstr("CN=a.test"));
  EXPECT_THAT(context->description(), HasSubstr("valid until"));
  EXPECT_TRUE(ServedAs(*context, "a"));
  EXPECT_FALSE(ServedAs(*context, "b")) << "a client trusting only b refuses a";
}

TEST_F(TlsContextTest, BadFilesSayWhichAndWhy) {
  std::string error;
  EXPECT_EQ(TlsContext::Load(Path("missing.pem"), Path("a.key"), &counters_, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("--tls-cert " + Path("missing.pem") + ": No such file or directory"));
  EXPECT_EQ(TlsContext::Load(Path("a.pem"), Path("missing.key"), &counters_, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("--tls-key " + Path("missing.key") + ": No such file or directory"));
  EXPECT_EQ(TlsContext::Load(Path("a.pem"), Path("b.key"), &counters_, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("does not match"));
  ASSERT_TRUE(testing_tls::WriteText(Path("junk.pem"), "not a certificate\n"));
  EXPECT_EQ(TlsContext::Load(Path("junk.pem"), Path("a.key"), &counters_, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("--tls-cert"));
}

TEST_F(TlsContextTest, ReloadTakesNewFilesAndKeepsTheOldOnesWhenBroken) {
  ASSERT_TRUE(Copy(Path("a.pem"), Path("live.pem")));
  ASSERT_TRUE(Copy(Path("a.key"), Path("live.key")));
  std::string error;
  auto context = TlsContext::Load(Path("live.pem"), Path("live.key"), &counters_, &error);
  ASSERT_NE(context, nullptr) << error;

  // A session made before the reload keeps working after it.
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  std::unique_ptr<TlsSession> old_client = TlsSession::Client(client_ctx, "");
  std::unique_ptr<TlsSession> old_server = context->NewSession();
  ASSERT_TRUE(Converse(*old_client, *old_server));

  // Half a renewal (new certificate, old key) is refused; a is still served.
  ASSERT_TRUE(Copy(Path("b.pem"), Path("live.pem")));
  EXPECT_THAT(context->Reload(), HasSubstr("does not match"));
  EXPECT_EQ(counters_.tls_reload_failures, 1u);
  EXPECT_THAT(context->description(), HasSubstr("CN=a.test"));
  EXPECT_TRUE(ServedAs(*context, "a"));

  // A garbled file too.
  ASSERT_TRUE(testing_tls::WriteText(Path("live.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n"));
  EXPECT_THAT(context->Reload(), HasSubstr("--tls-cert"));
  EXPECT_EQ(counters_.tls_reload_failures, 2u);
  EXPECT_TRUE(ServedAs(*context, "a"));

  // The complete renewal takes effect for new handshakes.
  ASSERT_TRUE(Copy(Path("b.pem"), Path("live.pem")));
  ASSERT_TRUE(Copy(Path("b.key"), Path("live.key")));
  EXPECT_EQ(context->Reload(), "");
  EXPECT_EQ(counters_.tls_reloads, 1u);
  EXPECT_THAT(context->description(), HasSubstr("CN=b.test"));
  EXPECT_TRUE(ServedAs(*context, "b"));
  EXPECT_FALSE(ServedAs(*context, "a"));

  // The old session still carries data on the old certificate.
  std::string message = "data: still here\n\n";
  uv_buf_t buffer = uv_buf_init(&message[0], static_cast<unsigned>(message.size()));
  ASSERT_TRUE(old_server->Encrypt(&buffer, 1));
  old_server->CollectOutput();
  ASSERT_TRUE(old_client->Feed(old_server->pending().data(), old_server->pending().size()));
  char plain[256];
  std::string received;
  ssize_t n;
  while ((n = old_client->Read(plain, sizeof plain)) > 0) received.append(plain, static_cast<size_t>(n));
  EXPECT_EQ(received, message);
  old_client.reset();
  SSL_CTX_free(client_ctx);
}

TEST_F(TlsContextTest, MadeFromTheConfigurationOnlyForTlsListeners) {
  Config config;
  std::string error;
  EXPECT_EQ(MakeTlsContext(config, &counters_, &error), nullptr);
  EXPECT_EQ(error, "") << "no tls: listener, no certificate: nothing to do";

  config.tls_cert_file = Path("a.pem");
  config.tls_key_file = Path("a.key");
  EXPECT_EQ(MakeTlsContext(config, &counters_, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("no --listen address starts with tls:"));

  ListenAddress tls_listener;
  ASSERT_EQ(ParseListenAddress("tls:127.0.0.1:0", &tls_listener), "");
  config.listen.push_back(tls_listener);
  EXPECT_NE(MakeTlsContext(config, &counters_, &error), nullptr) << error;

  config.tls_key_file.clear();
  EXPECT_EQ(MakeTlsContext(config, &counters_, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("needs both --tls-cert and --tls-key"));
}

}  // namespace
}  // namespace ssebridge
