// TLS listeners against the real binary: curl and openssl s_client as
// clients, a certificate made by the test with the openssl command, a
// blocking OpenSSL client for what the tools cannot do (hold a stream open
// across a reload, stop reading), and plain and TLS listeners side by side.
#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "harness.h"

using harness::Bridge;
using harness::HttpResponse;
using harness::Millis;
using harness::Socket;
using harness::Subprocess;
using harness::TempDir;

namespace {

constexpr Millis kWait(5000);

// A self-signed P-256 certificate for localhost and 127.0.0.1, as an
// operator would make one: with the openssl command.
bool MakeCertificate(const std::string& dir, const std::string& name, const std::string& common_name) {
  const std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
                              " -subj /CN=" + common_name +
                              " -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
                              " -keyout '" + dir + "/" + name + ".key' -out '" + dir + "/" + name +
                              ".pem' >/dev/null 2>&1";
  return system(command.c_str()) == 0;
}

// Runs a shell command (stdin from /dev/null) and returns its exit status and output.
int RunShell(const std::string& command, std::string* output, Millis timeout = Millis(10000)) {
  Subprocess process;
  if (!process.Start({"/bin/bash", "-c", command + " </dev/null"})) return -1;
  std::optional<int> status = process.WaitExit(timeout);
  *output = process.output();
  return status ? *status : -1;
}

// A blocking TLS client on a loopback socket: reads time out through
// SO_RCVTIMEO, so a test never waits past its deadline.
class TlsClient {
 public:
  ~TlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }

  // Connects and completes the handshake, trusting only `ca_file`.
  bool Connect(int port, const std::string& ca_file, int receive_buffer = 0) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) return false;
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (!socket_.Connect(port, receive_buffer)) return false;
    timeval timeout{5, 0};
    setsockopt(socket_.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, socket_.fd());
    SSL_set_tlsext_host_name(ssl_, "localhost");
    SSL_set1_host(ssl_, "localhost");
    if (SSL_connect(ssl_) != 1) {
      char text[256] = "handshake failed";
      if (ERR_peek_last_error() != 0) ERR_error_string_n(ERR_peek_last_error(), text, sizeof text);
      error_ = text;
      ERR_clear_error();
      return false;
    }
    return true;
  }

  bool Send(const std::string& text) {
    size_t written = 0;
    return SSL_write_ex(ssl_, text.data(), text.size(), &written) == 1 && written == text.size();
  }

  // Reads until `needle` has arrived; false on timeout, error or EOF.
  bool ReadUntil(const std::string& needle, Millis timeout = kWait) {
    const auto deadline = harness::Clock::now() + timeout;
    while (received_.find(needle) == std::string::npos) {
      if (harness::Clock::now() > deadline) return false;
      char buffer[16384];
      size_t n = 0;
      if (SSL_read_ex(ssl_, buffer, sizeof buffer, &n) != 1) {
        const int error = SSL_get_error(ssl_, 0);
        ERR_clear_error();
        if (error == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        return false;
      }
      received_.append(buffer, n);
    }
    return true;
  }

  // Opens an event stream on `channel` and waits for its head.
  bool OpenStream(const std::string& channel) {
    return Send("GET /events?channel=" + channel + " HTTP/1.1\r\nHost: localhost\r\n\r\n") &&
           ReadUntil("\r\n\r\n") && received_.rfind("HTTP/1.1 200", 0) == 0;
  }

  // True once the server has closed the connection (with or without close_notify).
  bool WaitClosed(Millis timeout) {
    const auto deadline = harness::Clock::now() + timeout;
    while (harness::Clock::now() < deadline) {
      char buffer[16384];
      size_t n = 0;
      if (SSL_read_ex(ssl_, buffer, sizeof buffer, &n) == 1) continue;
      const int error = SSL_get_error(ssl_, 0);
      ERR_clear_error();
      if (error == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      return true;
    }
    return false;
  }

  std::string protocol() const { return SSL_get_version(ssl_); }
  const std::string& received() const { return received_; }
  const std::string& error() const { return error_; }
  Socket& socket() { return socket_; }

 private:
  Socket socket_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string received_;
  std::string error_;
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(MakeCertificate(dir_.path(), "cert", "first")); }

  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  // A bridge with its usual plain listener and a TLS one on free ports.
  void StartBridge(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--listen", "tls:127.0.0.1:0", "--tls-cert", Path("cert.pem"),
                                     "--tls-key", Path("cert.key")};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_TRUE(bridge_.Start(args)) << bridge_.process().output();
    std::optional<std::string> line = bridge_.process().WaitForLine("listening on tls:127.0.0.1:", kWait);
    ASSERT_TRUE(line);
    tls_port_ = atoi(line->c_str() + line->find("tls:127.0.0.1:") + strlen("tls:127.0.0.1:"));
    ASSERT_GT(tls_port_, 0);
  }

  std::string Url(const std::string& target) const {
    return "https://localhost:" + std::to_string(tls_port_) + target;
  }

  TempDir dir_;
  Bridge bridge_;
  int tls_port_ = 0;
};

TEST_F(TlsTest, CurlStreamsAndPublishesOverHttps) {
  StartBridge();
  Subprocess stream;
  ASSERT_TRUE(stream.Start({"curl", "-sS", "-N", "--max-time", "20", "--cacert", Path("cert.pem"),
                            Url("/events?channel=news")}));
  ASSERT_TRUE(stream.WaitForLine("retry:", kWait)) << stream.output();
  std::string output;
  ASSERT_EQ(RunShell("curl -sS --cacert '" + Path("cert.pem") + "' -H 'Content-Type: application/json' -d "
                "'{\"channel\":\"news\",\"data\":\"over https\"}' " + Url("/publish"),
                &output),
            0)
      << output;
  EXPECT_NE(output.find("\"status\":\"ok\""), std::string::npos) << output;
  EXPECT_TRUE(stream.WaitForLine("data: over https", kWait)) << stream.output();
  // A client that does not trust the certificate is refused by curl itself.
  EXPECT_NE(RunShell("curl -sS " + Url("/healthz"), &output), 0);
  stream.Stop(SIGTERM, kWait);
  EXPECT_GE(harness::MetricValue(bridge_.port(), "ssebridge_tls_handshakes_total"), 2);
}

TEST_F(TlsTest, OpensslSClientGetsTls12Or13WithHttp11AndTls11IsRefused) {
  StartBridge();
  const std::string connect = "openssl s_client -connect 127.0.0.1:" + std::to_string(tls_port_) +
                              " -servername localhost -CAfile '" + Path("cert.pem") + "'";
  std::string output;
  EXPECT_NE(RunShell(connect + " -tls1_1 -cipher DEFAULT@SECLEVEL=0", &output), 0) << output;
  EXPECT_NE(output.find("alert protocol version"), std::string::npos) << output;

  EXPECT_EQ(RunShell(connect + " -tls1_2 -alpn h2,http/1.1", &output), 0) << output;
  EXPECT_NE(output.find("ALPN protocol: http/1.1"), std::string::npos) << output;
  EXPECT_NE(output.find("Protocol  : TLSv1.2"), std::string::npos) << output;
  EXPECT_NE(output.find("Verify return code: 0 (ok)"), std::string::npos) << output;

  EXPECT_EQ(RunShell(connect + " -tls1_3 -alpn http/1.1", &output), 0) << output;
  EXPECT_NE(output.find("ALPN protocol: http/1.1"), std::string::npos) << output;
  EXPECT_NE(output.find("TLSv1.3"), std::string::npos) << output;

  // ALPN without http/1.1: refused rather than misunderstood later.
  EXPECT_NE(RunShell(connect + " -alpn h2", &output), 0) << output;
  EXPECT_NE(output.find("no application protocol"), std::string::npos) << output;

  EXPECT_TRUE(bridge_.process().WaitForLine("TLS handshake failed", kWait));
  EXPECT_EQ(harness::MetricValue(bridge_.port(), "ssebridge_tls_handshake_failures_total"), 2);
}

TEST_F(TlsTest, SighupLoadsANewCertificateWhileAStreamStaysOpen) {
  StartBridge();
  TlsClient old_stream;
  ASSERT_TRUE(old_stream.Connect(tls_port_, Path("cert.pem"))) << old_stream.error();
  ASSERT_TRUE(old_stream.OpenStream("renewal"));

  // A renewal that went wrong: the files do not match. The old one stays.
  ASSERT_TRUE(MakeCertificate(dir_.path(), "second", "second"));
  ASSERT_EQ(system(("cp '" + Path("second.pem") + "' '" + Path("cert.pem") + "'").c_str()), 0);
  kill(bridge_.process().pid(), SIGHUP);
  ASSERT_TRUE(bridge_.process().WaitForLine("TLS certificate not reloaded", kWait));
  TlsClient still_first;
  EXPECT_FALSE(still_first.Connect(tls_port_, Path("second.pem"))) << "the first certificate is still served";

  // The complete renewal.
  ASSERT_EQ(system(("cp '" + Path("second.key") + "' '" + Path("cert.key") + "'").c_str()), 0);
  kill(bridge_.process().pid(), SIGHUP);
  ASSERT_TRUE(bridge_.process().WaitForLine("TLS certificate reloaded (/CN=second", kWait));
  TlsClient fresh;
  ASSERT_TRUE(fresh.Connect(tls_port_, Path("second.pem"))) << fresh.error();
  ASSERT_TRUE(fresh.OpenStream("renewal"));

  // Both streams, old certificate and new, get the next message.
  std::optional<HttpResponse> published =
      harness::PublishJson(bridge_.port(), R"({"channel":"renewal","data":"after the reload"})");
  ASSERT_TRUE(published);
  ASSERT_EQ(published->status, 200);
  EXPECT_TRUE(old_stream.ReadUntil("data: after the reload")) << old_stream.received();
  EXPECT_TRUE(fresh.ReadUntil("data: after the reload")) << fresh.received();
  EXPECT_EQ(harness::MetricValue(bridge_.port(), "ssebridge_tls_certificate_reloads_total"), 1);
  EXPECT_EQ(harness::MetricValue(bridge_.port(), "ssebridge_tls_certificate_reload_failures_total"), 1);
}

TEST_F(TlsTest, GarbageOnTheTlsPortIsClosedLoggedAndCounted) {
  StartBridge();
  const std::vector<std::string> garbage = {
      "GET /events?channel=a HTTP/1.1\r\nHost: x\r\n\r\n",   // Plain HTTP on the TLS port.
      std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\xff", 10),  // A broken ClientHello.
      std::string(3000, '\xff'),
  };
  for (const std::string& bytes : garbage) {
    Socket socket;
    ASSERT_TRUE(socket.Connect(tls_port_));
    ASSERT_TRUE(socket.SendAll(bytes));
    EXPECT_TRUE(socket.WaitClosed(kWait));
  }
  EXPECT_TRUE(bridge_.process().WaitForLine("TLS handshake failed", kWait));
  EXPECT_EQ(harness::MetricValue(bridge_.port(), "ssebridge_tls_handshake_failures_total"),
            static_cast<long long>(garbage.size()));
  // The bridge is unharmed on both listeners.
  EXPECT_TRUE(harness::Healthy(bridge_.port()));
  TlsClient client;
  ASSERT_TRUE(client.Connect(tls_port_, Path("cert.pem"))) << client.error();
  ASSERT_TRUE(client.Send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(client.ReadUntil("\"status\":\"ok\""));
}

TEST_F(TlsTest, PlainAndTlsListenersSideBySide) {
  StartBridge();
  TlsClient secure;
  ASSERT_TRUE(secure.Connect(tls_port_, Path("cert.pem"))) << secure.error();
  ASSERT_TRUE(secure.OpenStream("both"));
  harness::SseClient plain;
  ASSERT_TRUE(plain.Open(bridge_.port(), "/events?channel=both"));
  // Published on the plain listener, delivered on both.
  std::optional<HttpResponse> published =
      harness::PublishJson(bridge_.port(), R"({"channel":"both","data":"to everyone"})");
  ASSERT_TRUE(published);
  ASSERT_EQ(published->status, 200);
  EXPECT_EQ(harness::NextData(plain, kWait), "to everyone");
  EXPECT_TRUE(secure.ReadUntil("data: to everyone"));
  // Each listener speaks only its own protocol.
  TlsClient wrong_port;
  EXPECT_FALSE(wrong_port.Connect(bridge_.port(), Path("cert.pem")));
  EXPECT_TRUE(bridge_.process().output().find("listening on 127.0.0.1:") != std::string::npos);
  EXPECT_TRUE(bridge_.process().output().find("demo page: http://") != std::string::npos);
}

TEST_F(TlsTest, ASlowConsumerOverTlsIsCutOffLikeOnePlain) {
  StartBridge({"--client-buffer-bytes", "65536"});
  TlsClient slow;  // Never reads after the head; tiny receive buffer.
  ASSERT_TRUE(slow.Connect(tls_port_, Path("cert.pem"), 4096)) << slow.error();
  ASSERT_TRUE(slow.OpenStream("firehose"));
  const std::string padding(8000, 'p');
  // Bounded: the kernel's buffers on both ends, the ciphertext being sent
  // and the queue's 64 KiB fill well within these rounds.
  bool cut_off = false;
  int published = 0;
  for (int round = 0; round < 10 && !cut_off; ++round) {
    const int base = published;
    const int answered = harness::PublishMany(
        bridge_.port(), 200,
        [&](int i) { return R"({"channel":"firehose","data":")" + std::to_string(base + i) + ":" + padding + "\"}"; },
        8);
    ASSERT_EQ(answered, 200);
    published += answered;
    cut_off = harness::MetricValue(bridge_.port(), "ssebridge_slow_consumer_disconnects_total") == 1;
  }
  EXPECT_TRUE(cut_off) << "after " << published << " messages";
  EXPECT_TRUE(slow.socket().WaitClosed(kWait));
  EXPECT_NE(bridge_.process().output().find("slow consumer"), std::string::npos);
  // Nobody else paid for it: a new TLS stream gets the next message.
  TlsClient next;
  ASSERT_TRUE(next.Connect(tls_port_, Path("cert.pem"))) << next.error();
  ASSERT_TRUE(next.OpenStream("firehose"));
  ASSERT_TRUE(harness::PublishJson(bridge_.port(), R"({"channel":"firehose","data":"next"})"));
  EXPECT_TRUE(next.ReadUntil("data: next"));
}

TEST_F(TlsTest, AReplayLargerThanOneFlushArrivesWhole) {
  StartBridge();
  // 300 messages of 1 KB: a resume queues all of them at once, more than
  // one flush encrypts, and no later event comes to flush the rest.
  const std::string padding(1000, 'r');
  std::string first_id;
  for (int i = 0; i < 300; ++i) {
    std::optional<HttpResponse> published = harness::PublishJson(
        bridge_.port(), R"({"channel":"history","data":")" + std::to_string(i) + ":" + padding + "\"}");
    ASSERT_TRUE(published);
    ASSERT_EQ(published->status, 200);
    if (i == 0) first_id = harness::PublishedId(*published);
  }
  TlsClient client;
  ASSERT_TRUE(client.Connect(tls_port_, Path("cert.pem"))) << client.error();
  ASSERT_TRUE(client.Send("GET /events?channel=history HTTP/1.1\r\nHost: localhost\r\nLast-Event-ID: " + first_id +
                          "\r\n\r\n"));
  EXPECT_TRUE(client.ReadUntil("data: 299:")) << client.received().size() << " bytes";
  EXPECT_NE(client.received().find("data: 1:"), std::string::npos);
}

TEST_F(TlsTest, ACertificateChainIsSentWhole) {
  // root -> intermediate -> leaf; the client trusts only the root, so the
  // handshake verifies only if the intermediate is sent from the chain file.
  const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  std::string output;
  ASSERT_EQ(RunShell("cd '" + dir_.path() + "' && set -e"
                     " && openssl req -x509" + key + " -keyout root.key -out root.pem -subj /CN=root -days 2"
                     " && openssl req" + key + " -keyout inter.key -out inter.csr -subj /CN=intermediate"
                     " && printf 'basicConstraints=critical,CA:true\\nkeyUsage=critical,keyCertSign\\n' > ca.ext"
                     " && openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -set_serial 2 -days 2"
                     "    -extfile ca.ext -out inter.pem"
                     " && openssl req" + key + " -keyout leaf.key -out leaf.csr -subj /CN=localhost"
                     " && printf 'subjectAltName=DNS:localhost\\n' > leaf.ext"
                     " && openssl x509 -req -in leaf.csr -CA inter.pem -CAkey inter.key -set_serial 3 -days 2"
                     "    -extfile leaf.ext -out leaf.pem"
                     " && cat leaf.pem inter.pem > chain.pem 2>&1",
                     &output),
            0)
      << output;
  ASSERT_EQ(system(("cp '" + Path("chain.pem") + "' '" + Path("cert.pem") + "' && cp '" + Path("leaf.key") + "' '" +
                    Path("cert.key") + "'")
                       .c_str()),
            0);
  StartBridge();
  EXPECT_EQ(RunShell("curl -sS --cacert '" + Path("root.pem") + "' " + Url("/healthz"), &output), 0) << output;
  EXPECT_NE(output.find("\"status\":\"ok\""), std::string::npos) << output;
  // The same leaf without its intermediate cannot be verified: the chain
  // file is what made the difference.
  ASSERT_EQ(system(("cp '" + Path("leaf.pem") + "' '" + Path("cert.pem") + "'").c_str()), 0);
  kill(bridge_.process().pid(), SIGHUP);
  ASSERT_TRUE(bridge_.process().WaitForLine("TLS certificate reloaded", kWait));
  EXPECT_NE(RunShell("curl -sS --cacert '" + Path("root.pem") + "' " + Url("/healthz"), &output), 0) << output;
}

TEST_F(TlsTest, ATlsUnixSocketListener) {
  const std::string path = Path("bridge.sock");
  StartBridge({"--listen", "tls:unix:" + path});
  ASSERT_TRUE(bridge_.process().WaitForLine("listening on tls:unix:" + path, kWait));
  std::string output;
  ASSERT_EQ(RunShell("curl -sS --unix-socket '" + path + "' --cacert '" + Path("cert.pem") +
                    "' https://localhost/healthz",
                &output),
            0)
      << output;
  EXPECT_NE(output.find("\"status\":\"ok\""), std::string::npos) << output;
}

}  // namespace
