// --auth-url with the real binary against a small real HTTP application the
// test runs on a thread: allowed and refused streams, what the application
// is sent, the timeout and an application that is down (503, never let
// through), the cache, a client that leaves while its check is in flight,
// publish checks, and a token taking precedence.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../unit/jwt_mint.h"
#include "harness.h"

using harness::Bridge;
using harness::HttpResponse;
using harness::Millis;
using harness::SseClient;

namespace {

constexpr Millis kWait(5000);

// The application: answers each check with what `reply` returns for the
// request's text ("" leaves the check unanswered until the server stops),
// one connection at a time, and keeps every request it was sent.
class AppServer {
 public:
  using Reply = std::function<std::string(const std::string& request)>;

  ~AppServer() { Stop(); }

  bool Start(Reply reply) {
    reply_ = std::move(reply);
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) return false;
    if (listen(listen_fd_, 64) != 0) return false;
    socklen_t length = sizeof(address);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
    return true;
  }

  // The same on a Unix stream socket at `path`.
  bool StartUnix(const std::string& path, Reply reply) {
    reply_ = std::move(reply);
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path)) return false;
    memcpy(address.sun_path, path.c_str(), path.size() + 1);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) return false;
    if (listen(listen_fd_, 64) != 0) return false;
    unix_url_ = "http://unix:" + path + ":/auth/check";
    thread_ = std::thread([this] { Serve(); });
    return true;
  }

  void Stop() {
    if (listen_fd_ < 0) return;
    // Wakes the blocked accept().
    shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(listen_fd_);
    listen_fd_ = -1;
    for (int fd : held_) close(fd);
    held_.clear();
  }

  std::string url() const {
    return unix_url_.empty() ? "http://127.0.0.1:" + std::to_string(port_) + "/auth/check" : unix_url_;
  }

  // Waits until `count` requests have arrived.
  bool AwaitRequests(size_t count, Millis timeout = kWait) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    for (;;) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      std::string request = ReadRequest(fd);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(request);
      }
      changed_.notify_all();
      const std::string answer = reply_(request);
      if (answer.empty()) {
        held_.push_back(fd);  // Never answered; closed by Stop().
        continue;
      }
      size_t sent = 0;
      while (sent < answer.size()) {
        const ssize_t n = send(fd, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      close(fd);
    }
  }

  // The head and a Content-Length body, within a deadline.
  static std::string ReadRequest(int fd) {
    std::string input;
    char buffer[4096];
    for (;;) {
      const size_t head_end = input.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const size_t at = input.find("Content-Length: ");
        const size_t body = at != std::string::npos && at < head_end ? strtoul(input.c_str() + at + 16, nullptr, 10) : 0;
        if (input.size() >= head_end + 4 + body) return input;
      }
      pollfd watch{fd, POLLIN, 0};
      if (poll(&watch, 1, 5000) <= 0) return input;
      const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) return input;
      input.append(buffer, static_cast<size_t>(n));
    }
  }

  Reply reply_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string unix_url_;
  std::thread thread_;
  std::vector<int> held_;  // Only the server thread touches it until Stop() joined it.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> requests_;
};

std::string Json(int status, const std::string& body) {
  const char* reason = status == 200 ? "OK" : status == 401 ? "Unauthorized" : status == 403 ? "Forbidden" : "Error";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Alice (cookie session=alice) may read orders.*; everyone else is not logged in.
std::string AliceOnly(const std::string& request) {
  if (request.find("\r\nCookie: session=alice") == std::string::npos) return Json(401, R"({"error":"log in first"})");
  return Json(200, R"({"subject":"alice","channels":["orders.*"]})");
}

using Headers = std::vector<std::pair<std::string, std::string>>;
const Headers kAlice = {{"Cookie", "session=alice"}};

class AppAuthTest : public ::testing::Test {
 protected:
  void StartBoth(AppServer::Reply reply, std::vector<std::string> args = {}) {
    ASSERT_TRUE(app_.Start(std::move(reply)));
    StartBridge(app_.url(), std::move(args));
  }
  void StartBridge(const std::string& url, std::vector<std::string> args) {
    std::vector<std::string> all = {"--auth-url", url, "--anonymous-subscribe", "off"};
    all.insert(all.end(), args.begin(), args.end());
    ASSERT_TRUE(bridge_.Start(all)) << bridge_.process().output();
  }
  std::optional<HttpResponse> Get(const std::string& target, const Headers& headers = {}) {
    return harness::HttpRequest(bridge_.port(), "GET", target, "", headers);
  }
  long long Metric(const std::string& name) { return harness::MetricValue(bridge_.port(), name); }
  long long Outcome(const std::string& outcome) {
    return Metric("ssebridge_auth_requests_total{outcome=\"" + outcome + "\"}");
  }
  // Waits for a counter to reach `value`: it is raised on the bridge's loop
  // after the event the test caused, with no answer to the test to await.
  bool AwaitMetric(const std::string& name, long long value) {
    const auto deadline = harness::Clock::now() + kWait;
    while (harness::Clock::now() < deadline) {
      if (Metric(name) >= value) return true;
      std::this_thread::sleep_for(Millis(10));
    }
    return false;
  }

  AppServer app_;
  Bridge bridge_;
};

TEST_F(AppAuthTest, AnAllowedStreamOpensAndTheApplicationSeesCredentialsChannelsAndPeer) {
  StartBoth(AliceOnly);
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/events/orders.1",
                          {{"Cookie", "session=alice; theme=dark"}, {"Authorization", "Basic YWxpY2U6cHc="}}))
      << bridge_.process().output();
  std::optional<HttpResponse> published = harness::PublishJson(bridge_.port(), R"({"channel":"orders.1","data":"hi"})");
  ASSERT_TRUE(published);
  EXPECT_EQ(published->status, 200);
  std::optional<harness::SseEvent> event = client.Next(kWait);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "hi");
  ASSERT_EQ(app_.requests().size(), 1u);
  const std::string request = app_.requests()[0];
  EXPECT_EQ(request.rfind("POST /auth/check HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("\r\nCookie: session=alice; theme=dark\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("\r\nAuthorization: Basic YWxpY2U6cHc=\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find(R"({"action":"subscribe","channels":["orders.1"],"peer":"127.0.0.1"})"), std::string::npos)
      << request;
  EXPECT_EQ(Outcome("allowed"), 1);
  EXPECT_EQ(Metric("ssebridge_auth_request_duration_seconds_count"), 1);
}

TEST_F(AppAuthTest, TheApplicationMayListenOnAUnixSocket) {
  harness::TempDir dir;
  ASSERT_TRUE(app_.StartUnix(dir.path() + "/app.sock", AliceOnly));
  StartBridge(app_.url(), {});
  SseClient client;
  EXPECT_TRUE(client.Open(bridge_.port(), "/events/orders.1", kAlice)) << bridge_.process().output();
  std::optional<HttpResponse> response = Get("/events/orders.1");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 401);
  ASSERT_EQ(app_.requests().size(), 2u);
  EXPECT_NE(app_.requests()[0].find("\r\nHost: localhost\r\n"), std::string::npos);
}

TEST_F(AppAuthTest, RefusalsKeepTheApplicationsStatusAndAChannelOutsideItsListIs403) {
  StartBoth(AliceOnly);
  std::optional<HttpResponse> response = Get("/events/orders.1");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 401);
  EXPECT_NE(response->body.find("log in first"), std::string::npos) << response->body;
  EXPECT_EQ(response->headers["content-type"], "application/json");
  response = Get("/events/news", kAlice);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 403);
  EXPECT_NE(response->body.find("the application does not allow subscribing to channel 'news'"), std::string::npos)
      << response->body;
  EXPECT_EQ(Outcome("unauthorized"), 1);
  EXPECT_EQ(Outcome("allowed"), 1);
  EXPECT_EQ(Metric("ssebridge_auth_failures_total{reason=\"application\"}"), 1);
}

TEST_F(AppAuthTest, TheApplicationsOwn403Refuses) {
  StartBoth([](const std::string&) { return Json(403, R"({"error":"banned"})"); });
  std::optional<HttpResponse> response = Get("/events/orders.1", kAlice);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 403);
  EXPECT_NE(response->body.find("banned"), std::string::npos);
  EXPECT_EQ(Outcome("forbidden"), 1);
}

TEST_F(AppAuthTest, AnApplicationThatDoesNotAnswerInTimeIs503) {
  StartBoth([](const std::string&) { return std::string(); }, {"--auth-timeout-ms", "200"});
  const auto started = harness::Clock::now();
  std::optional<HttpResponse> response = Get("/events/orders.1", kAlice);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->headers["retry-after"], "1");
  EXPECT_GE(harness::Clock::now() - started, Millis(190));
  EXPECT_EQ(Outcome("timeout"), 1);
  // Never cached: the next stream asks again.
  response = Get("/events/orders.1", kAlice);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(app_.requests().size(), 2u);
}

TEST_F(AppAuthTest, AnApplicationThatIsDownIs503) {
  StartBridge("http://127.0.0.1:" + std::to_string(harness::FreePort()) + "/auth", {});
  std::optional<HttpResponse> response = Get("/events/orders.1", kAlice);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_NE(response->body.find("could not be asked"), std::string::npos) << response->body;
  EXPECT_EQ(Outcome("unavailable"), 1);
  EXPECT_EQ(Metric("ssebridge_auth_failures_total{reason=\"application_unavailable\"}"), 1);
}

TEST_F(AppAuthTest, AVerdictIsCachedForTheSameCredentialsOnly) {
  StartBoth(AliceOnly);
  for (int i = 0; i < 2; ++i) {
    SseClient client;
    ASSERT_TRUE(client.Open(bridge_.port(), "/events/orders.1", kAlice)) << i;
  }
  EXPECT_EQ(app_.requests().size(), 1u);
  EXPECT_EQ(Metric("ssebridge_auth_cache_hits_total"), 1);
  // Another cookie is another question.
  std::optional<HttpResponse> response = Get("/events/orders.1", {{"Cookie", "session=mallory"}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 401);
  EXPECT_EQ(app_.requests().size(), 2u);
}

TEST_F(AppAuthTest, WithoutTheCacheEveryStreamAsks) {
  StartBoth(AliceOnly, {"--auth-cache-seconds", "0"});
  for (int i = 0; i < 2; ++i) {
    SseClient client;
    ASSERT_TRUE(client.Open(bridge_.port(), "/events/orders.1", kAlice)) << i;
  }
  EXPECT_EQ(app_.requests().size(), 2u);
  EXPECT_EQ(Metric("ssebridge_auth_cache_hits_total"), 0);
}

TEST_F(AppAuthTest, AClientThatLeavesDuringItsCheckCancelsIt) {
  StartBoth([](const std::string& request) {
    // The first check is never answered; later ones are.
    return request.find("orders.slow") != std::string::npos ? std::string() : AliceOnly(request);
  });
  {
    harness::Socket socket;
    ASSERT_TRUE(socket.Connect(bridge_.port()));
    ASSERT_TRUE(socket.SendAll("GET /events/orders.slow HTTP/1.1\r\nHost: x\r\nCookie: session=alice\r\n\r\n"));
    ASSERT_TRUE(app_.AwaitRequests(1));
  }
  EXPECT_TRUE(AwaitMetric("ssebridge_auth_requests_total{outcome=\"cancelled\"}", 1));
  EXPECT_TRUE(harness::Healthy(bridge_.port()));
  SseClient client;
  EXPECT_TRUE(client.Open(bridge_.port(), "/events/orders.1", kAlice)) << bridge_.process().output();
}

TEST_F(AppAuthTest, PipelinedRequestsBehindACheckedStreamWaitForIt) {
  StartBoth(AliceOnly);
  harness::Socket socket;
  ASSERT_TRUE(socket.Connect(bridge_.port()));
  // A refused stream, then a health check on the same connection.
  ASSERT_TRUE(socket.SendAll("GET /events/orders.1 HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string buffer;
  std::optional<HttpResponse> first = harness::ReadResponse(socket, buffer, kWait);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 401);
  std::optional<HttpResponse> second = harness::ReadResponse(socket, buffer, kWait);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
}

TEST_F(AppAuthTest, PublishesAreCheckedOnlyWithAuthPublishOn) {
  StartBoth(
      [](const std::string& request) {
        if (request.find(R"("action":"publish")") == std::string::npos) return Json(403, "{}");
        return Json(200, R"({"subject":"svc","channels":["orders.*"]})");
      },
      {"--auth-publish", "on", "--anonymous-publish", "off"});
  const Headers headers = {{"Content-Type", "application/json"}, {"Cookie", "session=svc"}};
  std::optional<HttpResponse> response =
      harness::HttpRequest(bridge_.port(), "POST", "/publish", R"({"channel":"orders.1","data":"x"})", headers);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  response = harness::HttpRequest(bridge_.port(), "POST", "/publish", R"({"channel":"news","data":"x"})", headers);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 403) << response->body;
  ASSERT_EQ(app_.requests().size(), 2u);
  EXPECT_NE(app_.requests()[1].find(R"("channels":["news"])"), std::string::npos);
}

// A publish waits for its check and is then handled again from the start:
// it must not be counted against the rate limit a second time.
TEST_F(AppAuthTest, APublishCheckedAtTheApplicationCountsOnceAgainstTheRateLimit) {
  StartBoth([](const std::string&) { return Json(200, R"({"channels":["*"]})"); },
            {"--auth-publish", "on", "--anonymous-publish", "off", "--max-publish-rate-per-ip", "1"});
  std::optional<HttpResponse> response = harness::HttpRequest(
      bridge_.port(), "POST", "/publish", R"({"channel":"orders.1","data":"x"})",
      {{"Content-Type", "application/json"}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(Metric("ssebridge_publish_rate_limited_total"), 0);
}

TEST_F(AppAuthTest, WithAuthPublishOffPublishesFollowTheAnonymousPolicy) {
  StartBoth(AliceOnly, {"--anonymous-publish", "off"});
  std::optional<HttpResponse> response = harness::HttpRequest(
      bridge_.port(), "POST", "/publish", R"({"channel":"orders.1","data":"x"})",
      {{"Content-Type", "application/json"}, {"Cookie", "session=alice"}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 403);
  EXPECT_TRUE(app_.requests().empty());
}

TEST_F(AppAuthTest, AValidTokenDecidesWithoutAskingTheApplication) {
  const std::string secret = "app-auth-test-secret-app-auth-test!";
  harness::TempDir dir;
  const std::string secret_file = dir.WriteFile("secret", secret);
  StartBoth(AliceOnly, {"--jwt-secret-file", secret_file});
  const std::string token = ssebridge::testing_jwt::Mint(
      JWT_ALG_HS256, secret,
      R"({"sub":"bob","exp":)" + std::to_string(time(nullptr) + 600) + R"(,"ssebridge":{"subscribe":["news"]}})");
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/events/news", {{"Authorization", "Bearer " + token}}))
      << bridge_.process().output();
  // Without the token, the application is asked (and says no).
  std::optional<HttpResponse> response = Get("/events/news");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 401);
  EXPECT_EQ(app_.requests().size(), 1u);
}

TEST(AppAuthOptions, AnUnusableUrlStopsTheStart) {
  Bridge bridge;
  EXPECT_FALSE(bridge.Start({"--auth-url", "https://app.example/auth"}));
  EXPECT_NE(bridge.process().output().find("--auth-url"), std::string::npos) << bridge.process().output();
}

}  // namespace
