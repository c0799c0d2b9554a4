// Test harness for integration tests: real processes (ssebridge, redis-server)
// on free loopback ports in temporary directories, and small blocking
// clients (HTTP, SSE, Redis via hiredis's synchronous API).
//
// Waiting is always for an event (a log line, a byte, an EOF, a condition
// polled against Redis) with a deadline — never a bare sleep.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace harness {

using Clock = std::chrono::steady_clock;

// AddressSanitizer keeps freed memory in quarantine, so a process's resident
// size says nothing about what it holds: memory bounds are checked without it.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kResidentSizeIsMeaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kResidentSizeIsMeaningful = false;
#else
constexpr bool kResidentSizeIsMeaningful = true;
#endif
#else
constexpr bool kResidentSizeIsMeaningful = true;
#endif

using Millis = std::chrono::milliseconds;

// A child process whose stdout+stderr are captured by a reader thread.
class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  bool Start(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});
  // RLIMIT_NOFILE (soft and hard) for processes started afterwards; 0 keeps the inherited one.
  void set_open_file_limit(int limit) { open_file_limit_ = limit; }
  // Waits until the output contains `needle` (returns the full output line).
  std::optional<std::string> WaitForLine(const std::string& needle, Millis timeout);
  // Sends a signal and waits for exit; returns the exit status (or 128+signal).
  int Stop(int signal_number, Millis timeout);
  // Waits for exit without signalling.
  std::optional<int> WaitExit(Millis timeout);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::string output();

 private:
  void ReadLoop(int fd);

  pid_t pid_ = -1;
  int open_file_limit_ = 0;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string output_;
  bool eof_ = false;
  std::atomic<bool> stop_reader_{false};
};

// A private temporary directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `text` to the file `name` in this directory and returns its path;
  // a file that cannot be written fails the calling test.
  std::string WriteFile(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

int FreePort();

class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  bool Start();        // Picks a free port on first start; restarts reuse it.
  // Extra redis-server arguments (e.g. --requirepass) for every start.
  void set_extra_args(std::vector<std::string> args) { extra_args_ = std::move(args); }
  std::string socket_path() const { return dir_.path() + "/redis.sock"; }
  void Stop();         // SIGTERM and wait.
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  TempDir dir_;
  Subprocess process_;
  int port_ = 0;
  std::vector<std::string> extra_args_;
};

// Debian's nginx on a free loopback port with a private prefix, pid file,
// logs and temp paths in a temp dir. Missing nginx is a failure (the
// test dependencies install it), not a skip.
class Nginx {
 public:
  ~Nginx();
  // Starts nginx with `locations` as the body of its one server block and
  // waits until GET `ready_path` is answered 200.
  bool Start(const std::string& locations, const std::string& ready_path);
  // Starts nginx with `site` (upstream and server blocks, as a file in
  // sites-available holds them) inside its http block; the site listens on
  // `port` itself. Waits until GET `ready_path` on that port is answered 200.
  bool StartSite(const std::string& site, int port, const std::string& ready_path);
  void Stop();  // SIGQUIT: the master stops its workers and exits.
  int port() const { return port_; }
  const std::string& error() const { return error_; }
  // nginx's error log (upstream failures are logged there).
  std::string error_log() const;

 private:
  bool Launch(const std::string& http_body, const std::string& ready_path);

  TempDir dir_;
  Subprocess process_;
  int port_ = 0;
  std::string error_;
};

// Redis reply flattened for assertions.
struct RedisReply {
  bool ok = false;             // Not an error and the connection worked.
  std::string text;            // Status, string, error text, or integer as text.
  long long integer = 0;
  std::vector<std::string> elements;  // For array replies (strings/ints as text).
};

RedisReply RedisCommand(int port, const std::vector<std::string>& args, const std::string& password = "");

class Bridge {
 public:
  ~Bridge();
  // Starts ssebridge on a free port with these extra arguments.
  bool Start(const std::vector<std::string>& args = {});
  // Starts in Redis mode and waits until both Redis connections are up.
  bool StartWithRedis(const std::string& redis_url, const std::vector<std::string>& extra = {});
  int Stop(int signal_number = 15, Millis timeout = Millis(8000));
  int port() const { return port_; }
  Subprocess& process() { return process_; }

 private:
  Subprocess process_;
  int port_ = 0;
};

// Blocking loopback TCP socket with deadline-based reads.
class Socket {
 public:
  Socket() = default;
  ~Socket();
  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  // `source` binds the local end to a loopback address such as "127.0.0.2",
  // so tests can play several clients.
  bool Connect(int port, int receive_buffer = 0, const std::string& source = "");
  // Connects to a Unix stream socket.
  bool ConnectUnix(const std::string& path);
  bool SendAll(const std::string& data);
  // Sends without blocking for longer than `stall` at a time: returns the
  // number of bytes the peer took before it stopped taking more.
  size_t SendUntilStalled(const std::string& data, Millis stall);
  // Reads whatever arrives within the timeout; returns bytes read, 0 on EOF, -1 on timeout/error.
  ssize_t ReadSome(std::string* out, Millis timeout);
  // Waits until the peer closes (EOF) or the timeout passes. Returns true on EOF/reset.
  bool WaitClosed(Millis timeout);
  void Close();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // Lower-case names.
  std::string body;
  std::string raw_head;
};

// Reads one response (Content-Length, chunked or close-delimited) from a socket,
// keeping any extra bytes in `buffer` for the next call.
std::optional<HttpResponse> ReadResponse(Socket& socket, std::string& buffer, Millis timeout);

// One request on a fresh connection.
std::optional<HttpResponse> HttpRequest(int port, const std::string& method, const std::string& target,
                                        const std::string& body = "",
                                        const std::vector<std::pair<std::string, std::string>>& headers = {});

// One request on a fresh connection to a Unix socket; a body is sent as JSON.
std::optional<HttpResponse> HttpRequestUnix(const std::string& path, const std::string& method,
                                            const std::string& target, const std::string& body = "");

std::optional<HttpResponse> PublishJson(int port, const std::string& json);

// True when GET /readyz answers 200: alive, listening and, in Redis mode,
// both Redis connections up.
bool Healthy(int port);

// One sample of GET /metrics by name (counter or gauge); -1 when the request
// fails or the metric is missing.
long long MetricValue(int port, const std::string& name);

// The "id" of a publish answer ({"status":"ok","id":"..."}), or "".
std::string PublishedId(const HttpResponse& response);

// Waits until Redis reports `count` subscribers of `channel` (PUBSUB NUMSUB):
// a subscription is confirmed asynchronously, and messages published before
// that are, correctly, not delivered.
bool AwaitSubscribers(int redis_port, const std::string& channel, int count, const std::string& password = "");

// Publishes `count` JSON bodies over one keep-alive connection with up to
// `window` requests in flight (pipelining), as fast as the server answers.
// Returns the number of 200 answers; stops at the first failure.
int PublishMany(int port, int count, const std::function<std::string(int)>& body, int window = 64);

// Resident set size of a process in KiB (from /proc), or 0.
long ResidentKiB(pid_t pid);

// User plus system CPU time a process has used, in milliseconds (from /proc), or -1.
long CpuMillis(pid_t pid);

struct SseEvent {
  std::string id;
  std::string event = "message";
  std::string data;
};

// An EventSource-like reader: sends GET, checks the head, decodes chunked or
// close-delimited framing, and parses events per the WHATWG rules.
class SseClient {
 public:
  bool Open(int port, const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers = {},
            bool http10 = false, int receive_buffer = 0, const std::string& source = "");
  // The same over a Unix socket.
  bool OpenUnix(const std::string& path, const std::string& target,
                const std::vector<std::pair<std::string, std::string>>& headers = {});
  std::optional<SseEvent> Next(Millis timeout);
  // Reads until the stream ends; returns true if it ended cleanly (final chunk or EOF).
  bool WaitEnd(Millis timeout);
  const HttpResponse& head() const { return head_; }
  int comments() const { return comments_; }
  bool saw_final_chunk() const { return final_chunk_; }
  bool closed() const { return closed_; }
  Socket& socket() { return socket_; }
  std::string last_event_id;
  std::optional<int> retry_ms;

 private:
  // Sends the GET on the connected socket and reads the response head.
  bool Handshake(const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
                 bool http10);
  bool Fill(Millis timeout);   // Adds decoded body bytes to text_.
  bool DecodeChunks();
  std::optional<SseEvent> ParseOne();

  Socket socket_;
  HttpResponse head_;
  bool chunked_ = false;
  bool closed_ = false;
  bool final_chunk_ = false;
  std::string wire_;   // Undecoded bytes from the socket.
  std::string text_;   // Decoded event-stream text.
  int comments_ = 0;
};

// The data of the next event, or "(no event within N ms)": for
// EXPECT_EQ(NextData(client, timeout), "expected") where only the data matters.
std::string NextData(SseClient& client, Millis timeout);

// A subscriber connected before an attack, to prove the attack cost nobody
// else anything: every message published to its channel and answered 200
// must arrive, in order, exactly once.
class Bystander {
 public:
  // Opens a stream on `channel` (on a bridge in either mode) and, in Redis
  // mode (redis_port > 0), waits until Redis confirms the subscription.
  bool Open(int port, const std::string& channel, int redis_port = 0);
  // Publishes one numbered message over HTTP; remembers it when answered 200.
  // Returns false when the answer was not 200.
  bool Publish();
  // Reads until every remembered message arrived. Returns "" when all did,
  // in order and once each, otherwise a description of what went wrong.
  std::string Verify(Millis timeout);
  int published() const { return static_cast<int>(expected_.size()); }

 private:
  int port_ = 0;
  std::string channel_;
  SseClient client_;
  std::vector<std::string> expected_;  // Data of each message answered 200.
  int next_ = 0;
};

// Polls `condition` until true or the deadline passes (for state held by another
// process, e.g. Redis's PUBSUB CHANNELS, where no event can be awaited).
bool Eventually(const std::function<bool()>& condition, Millis timeout);

}  // namespace harness
