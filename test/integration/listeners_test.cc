// Several listeners in one process, and several processes on one address:
// --listen repeated with TCP and Unix sockets, --reuse-port, and what happens
// to a socket file left behind or still in use. Every test runs the real
// binary.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "harness.h"

using harness::Bridge;
using harness::HttpResponse;
using harness::Millis;
using harness::NextData;
using harness::SseClient;
using harness::Subprocess;
using harness::TempDir;

namespace {

constexpr Millis kWait(5000);

// A socket file as a killed process leaves it: bound, never unlinked, and
// nobody accepting on it.
void LeaveStaleSocket(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  close(fd);
}

bool Exists(const std::string& path) {
  struct stat status;
  return lstat(path.c_str(), &status) == 0;
}

// Starts ssebridge with exactly these arguments (no TCP listener added) and
// waits for the line announcing `listening`.
bool StartExactly(Subprocess& process, const std::vector<std::string>& args, const std::string& listening) {
  std::vector<std::string> argv = {SSEBRIDGE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return process.Start(argv) && process.WaitForLine("listening on " + listening, Millis(10000)).has_value();
}

TEST(ListenersTest, TcpAndUnixAtOnceShareOneBridge) {
  TempDir dir;
  const std::string path = dir.path() + "/bridge.sock";
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--listen", "unix:" + path, "--unix-socket-mode", "0600"}));
  ASSERT_TRUE(bridge.process().WaitForLine("listening on unix:" + path, kWait));
  struct stat status;
  ASSERT_EQ(stat(path.c_str(), &status), 0);
  EXPECT_TRUE(S_ISSOCK(status.st_mode));
  EXPECT_EQ(status.st_mode & 0777, 0600u);

  // A stream through the Unix socket gets what a publisher sends over TCP.
  SseClient stream;
  ASSERT_TRUE(stream.OpenUnix(path, "/events/news"));
  ASSERT_EQ(stream.head().status, 200);
  std::optional<HttpResponse> published =
      harness::PublishJson(bridge.port(), R"({"channel":"news","data":"over tcp"})");
  ASSERT_TRUE(published);
  EXPECT_EQ(published->status, 200);
  EXPECT_EQ(NextData(stream, kWait), "over tcp");

  // And the other way round.
  SseClient tcp_stream;
  ASSERT_TRUE(tcp_stream.Open(bridge.port(), "/events/sport"));
  published = harness::HttpRequestUnix(path, "POST", "/publish", R"({"channel":"sport","data":"over unix"})");
  ASSERT_TRUE(published);
  EXPECT_EQ(published->status, 200) << published->body;
  EXPECT_EQ(NextData(tcp_stream, kWait), "over unix");

  std::optional<HttpResponse> health = harness::HttpRequestUnix(path, "GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  // Clients that hang up at once let the bridge exit without lingering.
  stream.socket().Close();
  tcp_stream.socket().Close();
  EXPECT_EQ(bridge.Stop(SIGTERM), 0);
  EXPECT_FALSE(Exists(path)) << "the socket file is removed on exit";
}

TEST(ListenersTest, AStaleSocketFileIsReplaced) {
  TempDir dir;
  const std::string path = dir.path() + "/bridge.sock";
  LeaveStaleSocket(path);
  Subprocess process;
  ASSERT_TRUE(StartExactly(process, {"--listen", "unix:" + path}, "unix:" + path)) << process.output();
  std::optional<HttpResponse> health = harness::HttpRequestUnix(path, "GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(process.Stop(SIGTERM, Millis(8000)), 0);
  EXPECT_FALSE(Exists(path));
}

TEST(ListenersTest, ALiveSocketIsNotStolen) {
  TempDir dir;
  const std::string path = dir.path() + "/bridge.sock";
  Subprocess first;
  ASSERT_TRUE(StartExactly(first, {"--listen", "unix:" + path}, "unix:" + path)) << first.output();

  Subprocess second;
  ASSERT_TRUE(second.Start({SSEBRIDGE_BINARY, "--listen", "unix:" + path}));
  std::optional<int> status = second.WaitExit(Millis(8000));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 1);
  EXPECT_NE(second.output().find("cannot listen on unix:" + path + ": another process is accepting connections"),
            std::string::npos)
      << second.output();

  // The first process still has its socket, and its file.
  std::optional<HttpResponse> health = harness::HttpRequestUnix(path, "GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(first.Stop(SIGTERM, Millis(8000)), 0);
}

TEST(ListenersTest, ReusePortLetsTwoProcessesAcceptOnOnePort) {
  TempDir dir;
  const int port = harness::FreePort();
  const std::string shared = "127.0.0.1:" + std::to_string(port);
  // Each process also has a private socket, to ask it alone how many
  // connections it accepted.
  const std::string private_a = dir.path() + "/a.sock";
  const std::string private_b = dir.path() + "/b.sock";
  Subprocess a;
  Subprocess b;
  ASSERT_TRUE(StartExactly(a, {"--listen", shared, "--reuse-port", "--listen", "unix:" + private_a}, shared))
      << a.output();
  ASSERT_TRUE(StartExactly(b, {"--listen", shared, "--reuse-port", "--listen", "unix:" + private_b}, shared))
      << b.output();

  // Without the option a third process is refused the port, and says why.
  Subprocess refused;
  ASSERT_TRUE(refused.Start({SSEBRIDGE_BINARY, "--listen", shared}));
  std::optional<int> refused_status = refused.WaitExit(Millis(8000));
  ASSERT_TRUE(refused_status.has_value());
  EXPECT_EQ(*refused_status, 1);
  EXPECT_NE(refused.output().find("--reuse-port"), std::string::npos) << refused.output();

  auto accepted = [](const std::string& path) {
    std::optional<HttpResponse> metrics = harness::HttpRequestUnix(path, "GET", "/metrics");
    if (!metrics) return -1LL;
    const std::string name = "\nssebridge_connections_accepted_total ";
    size_t at = metrics->body.find(name);
    return at == std::string::npos ? -1LL : atoll(metrics->body.c_str() + at + name.size());
  };
  // The kernel spreads connections by a hash of their addresses: with two
  // processes, each new connection has an even chance. Bounded: 200 tries.
  // Each check through a private socket is an accept of its own: a process
  // has served the shared port once it accepted more than its checks.
  long long a_checks = 0;
  long long b_checks = 0;
  int requests = 0;
  bool a_served = false;
  bool b_served = false;
  long long a_total = 0;
  long long b_total = 0;
  while (requests < 200 && !(a_served && b_served)) {
    std::optional<HttpResponse> health = harness::HttpRequest(port, "GET", "/healthz");
    ASSERT_TRUE(health);
    ASSERT_EQ(health->status, 200);
    ++requests;
    a_total = accepted(private_a);
    ++a_checks;
    b_total = accepted(private_b);
    ++b_checks;
    // A check's own connection is counted before it is answered.
    a_served = a_total > a_checks;
    b_served = b_total > b_checks;
  }
  printf("reuse-port: %d request(s) on port %d until both processes had served one\n", requests, port);
  EXPECT_TRUE(a_served && b_served) << "after " << requests << " requests: a accepted " << a_total << " (" << a_checks
                                    << " of them checks), b " << b_total << " (" << b_checks << ")";
  EXPECT_EQ(a.Stop(SIGTERM, Millis(8000)), 0);
  EXPECT_EQ(b.Stop(SIGTERM, Millis(8000)), 0);
}

}  // namespace
