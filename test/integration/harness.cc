#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

namespace harness {
namespace {

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

// ---------------------------------------------------------------- Subprocess

Subprocess::~Subprocess() {
  if (pid_ > 0) Stop(SIGKILL, Millis(5000));
  if (reader_.joinable()) reader_.join();
}

bool Subprocess::Start(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return false;
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    dup2(pipe_fds[1], 1);
    dup2(pipe_fds[1], 2);
    if (open_file_limit_ > 0) {
      struct rlimit limit;
      limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(open_file_limit_);
      setrlimit(RLIMIT_NOFILE, &limit);
    }
    for (const std::string& assignment : extra_env) putenv(const_cast<char*>(assignment.c_str()));
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  pid_ = pid;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    output_.clear();
    eof_ = false;
  }
  if (reader_.joinable()) reader_.join();
  reader_ = std::thread([this, fd = pipe_fds[0]] { ReadLoop(fd); });
  return true;
}

void Subprocess::ReadLoop(int fd) {
  char buffer[4096];
  for (;;) {
    // Poll with a short timeout so WaitExit() can stop this thread even when a
    // grandchild (an nginx worker, say) still holds the pipe open.
    pollfd descriptor{fd, POLLIN, 0};
    int ready = poll(&descriptor, 1, 100);
    if (ready == 0) {
      if (stop_reader_) {
        std::lock_guard<std::mutex> lock(mutex_);
        eof_ = true;
        changed_.notify_all();
        break;
      }
      continue;
    }
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    if (n <= 0) {
      eof_ = true;
      changed_.notify_all();
      break;
    }
    output_.append(buffer, static_cast<size_t>(n));
    changed_.notify_all();
  }
  close(fd);
}

std::optional<std::string> Subprocess::WaitForLine(const std::string& needle, Millis timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto deadline = Clock::now() + timeout;
  for (;;) {
    size_t at = output_.find(needle);
    if (at != std::string::npos) {
      size_t begin = output_.rfind('\n', at);
      begin = begin == std::string::npos ? 0 : begin + 1;
      size_t end = output_.find('\n', at);
      if (end != std::string::npos) return output_.substr(begin, end - begin);
    }
    if (eof_) return std::nullopt;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
  }
}

std::optional<int> Subprocess::WaitExit(Millis timeout) {
  if (pid_ <= 0) return std::nullopt;
  auto deadline = Clock::now() + timeout;
  // waitpid has no timeout; the output pipe reaching EOF is the event that
  // the process (and its descendants holding the pipe) are gone.
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_until(lock, deadline, [this] { return eof_; });
  }
  int status = 0;
  for (;;) {
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (Clock::now() >= deadline) return std::nullopt;
    // The pipe closed but the zombie is not reaped yet: this is a few microseconds.
    std::this_thread::yield();
  }
  pid_ = -1;
  stop_reader_ = true;
  if (reader_.joinable()) reader_.join();
  stop_reader_ = false;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

int Subprocess::Stop(int signal_number, Millis timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal_number);
  std::optional<int> status = WaitExit(timeout);
  if (!status) {
    kill(pid_, SIGKILL);
    status = WaitExit(Millis(5000));
    return status ? -2 : -3;  // Did not exit in time.
  }
  return *status;
}

std::string Subprocess::output() {
  std::lock_guard<std::mutex> lock(mutex_);
  return output_;
}

// ------------------------------------------------------------------- TempDir

TempDir::TempDir() {
  char pattern[] = "/tmp/ssebridge-test-XXXXXX";
  char* made = mkdtemp(pattern);
  path_ = made ? made : "/tmp";
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (path_ != "/tmp") std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::WriteFile(const std::string& name, const std::string& text) const {
  const std::string path = path_ + "/" + name;
  std::ofstream out(path);
  out << text;
  out.close();
  EXPECT_TRUE(out) << "cannot write " << path;
  return path;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  int port = ntohs(address.sin_port);
  close(fd);
  return port;
}

// --------------------------------------------------------------- RedisServer

RedisServer::RedisServer() = default;
RedisServer::~RedisServer() { Stop(); }

bool RedisServer::Start() {
  // A restart keeps the port (clients must find the server again); a first
  // start retries on another port if a concurrent test took this one.
  const bool restart = port_ != 0;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (port_ == 0) port_ = FreePort();
    std::vector<std::string> argv = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--dir", dir_.path(),
                                     "--logfile", "", "--daemonize", "no", "--unixsocket", socket_path()};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    if (!process_.Start(argv)) return false;
    if (process_.WaitForLine("Ready to accept connections", Millis(10000))) return true;
    process_.Stop(SIGKILL, Millis(5000));
    if (!restart) port_ = 0;
  }
  return false;
}

void RedisServer::Stop() {
  if (process_.running()) process_.Stop(SIGTERM, Millis(10000));
}

Nginx::~Nginx() { Stop(); }

bool Nginx::Start(const std::string& locations, const std::string& ready_path) {
  port_ = FreePort();
  return Launch("  server {\n    listen 127.0.0.1:" + std::to_string(port_) + ";\n" + locations + "  }\n", ready_path);
}

bool Nginx::StartSite(const std::string& site, int port, const std::string& ready_path) {
  port_ = port;
  return Launch(site, ready_path);
}

std::string Nginx::error_log() const {
  std::ifstream in(dir_.path() + "/error.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Nginx::Launch(const std::string& http_body, const std::string& ready_path) {
  static constexpr const char* kNginx = "/usr/sbin/nginx";
  if (access(kNginx, X_OK) != 0) {
    error_ = std::string(kNginx) + " is missing: scripts/deps.sh --test installs nginx";
    return false;
  }
  // nginx's workers run as an unprivileged user when started by root.
  chmod(dir_.path().c_str(), 0755);
  const std::string& dir = dir_.path();
  const std::string conf = dir + "/nginx.conf";
  std::ofstream out(conf);
  out << "daemon off;\nworker_processes 1;\npid " << dir << "/nginx.pid;\n"
      << "error_log " << dir << "/error.log warn;\n"
      << "events { worker_connections 4096; }\n"
      << "http {\n  access_log off;\n"
      << "  client_body_temp_path " << dir << "/body;\n"
      << "  proxy_temp_path " << dir << "/proxy;\n"
      << "  fastcgi_temp_path " << dir << "/fastcgi;\n"
      << "  uwsgi_temp_path " << dir << "/uwsgi;\n"
      << "  scgi_temp_path " << dir << "/scgi;\n"
      << http_body << "}\n";
  out.close();
  if (!process_.Start({kNginx, "-p", dir, "-c", conf, "-e", dir + "/error.log"})) {
    error_ = "nginx did not start";
    return false;
  }
  // nginx logs nothing on a successful start: wait until it answers.
  if (!Eventually(
          [&] {
            auto response = HttpRequest(port_, "GET", ready_path);
            return response && response->status == 200;
          },
          Millis(10000))) {
    error_ = "nginx did not answer GET " + ready_path + ": " + process_.output() + error_log();
    return false;
  }
  return true;
}

void Nginx::Stop() {
  if (process_.running()) process_.Stop(SIGQUIT, Millis(10000));
}

RedisReply RedisCommand(int port, const std::vector<std::string>& args, const std::string& password) {
  RedisReply result;
  timeval timeout{5, 0};
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port, timeout);
  if (context == nullptr || context->err) {
    result.text = context ? context->errstr : "cannot connect";
    if (context) redisFree(context);
    return result;
  }
  redisSetTimeout(context, timeout);
  if (!password.empty()) {
    auto* auth = static_cast<redisReply*>(redisCommand(context, "AUTH %b", password.data(), password.size()));
    if (auth) freeReplyObject(auth);
  }
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(args.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    result.text = context->errstr;
    redisFree(context);
    return result;
  }
  auto as_text = [](const redisReply* r) -> std::string {
    if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
    if (r->str) return std::string(r->str, r->len);
    return "";
  };
  result.ok = reply->type != REDIS_REPLY_ERROR;
  result.text = as_text(reply);
  result.integer = reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
  if (reply->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < reply->elements; ++i) result.elements.push_back(as_text(reply->element[i]));
  }
  freeReplyObject(reply);
  redisFree(context);
  return result;
}

// -------------------------------------------------------------------- Bridge

Bridge::~Bridge() {
  if (process_.running()) process_.Stop(SIGKILL, Millis(5000));
}

bool Bridge::Start(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {SSEBRIDGE_BINARY, "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!process_.Start(argv)) return false;
  std::optional<std::string> line = process_.WaitForLine("listening on 127.0.0.1:", Millis(10000));
  if (!line) return false;
  size_t at = line->find("listening on 127.0.0.1:");
  port_ = atoi(line->c_str() + at + strlen("listening on 127.0.0.1:"));
  return port_ > 0;
}

bool Bridge::StartWithRedis(const std::string& redis_url, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--redis", redis_url};
  args.insert(args.end(), extra.begin(), extra.end());
  return Start(args) && process_.WaitForLine("redis-subscriber: connected", Millis(5000)) &&
         process_.WaitForLine("redis-commands: connected", Millis(5000));
}

int Bridge::Stop(int signal_number, Millis timeout) { return process_.Stop(signal_number, timeout); }

// -------------------------------------------------------------------- Socket

Socket::~Socket() { Close(); }

Socket::Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

bool Socket::Connect(int port, int receive_buffer, const std::string& source) {
  Close();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1 ||
        bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      return false;
    }
  }
  if (receive_buffer > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

bool Socket::ConnectUnix(const std::string& path) {
  Close();
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return false;
  memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

bool Socket::SendAll(const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

size_t Socket::SendUntilStalled(const std::string& data, Millis stall) {
  size_t sent = 0;
  while (sent < data.size()) {
    pollfd descriptor{fd_, POLLOUT, 0};
    if (poll(&descriptor, 1, static_cast<int>(stall.count())) <= 0) break;
    ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  return sent;
}

ssize_t Socket::ReadSome(std::string* out, Millis timeout) {
  pollfd descriptor{fd_, POLLIN, 0};
  int ready = poll(&descriptor, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return -1;
  char buffer[65536];
  ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
  if (n < 0) return errno == ECONNRESET ? 0 : -1;
  out->append(buffer, static_cast<size_t>(n));
  return n;
}

bool Socket::WaitClosed(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  std::string ignored;
  for (;;) {
    ssize_t n = ReadSome(&ignored, Millis(RemainingMs(deadline)));
    if (n == 0) return true;
    if (n < 0) return false;
    ignored.clear();
  }
}

void Socket::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

// ---------------------------------------------------------------------- HTTP

namespace {

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n" at the front of buffer.
std::optional<HttpResponse> ParseHead(std::string& buffer) {
  size_t end = buffer.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  HttpResponse response;
  response.raw_head = buffer.substr(0, end + 4);
  buffer.erase(0, end + 4);
  size_t line_end = response.raw_head.find("\r\n");
  std::string status_line = response.raw_head.substr(0, line_end);
  if (status_line.size() > 12) response.status = atoi(status_line.c_str() + 9);
  size_t position = line_end + 2;
  while (position < end) {
    size_t next = response.raw_head.find("\r\n", position);
    std::string line = response.raw_head.substr(position, next - position);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value[0] == ' ') value.erase(0, 1);
      response.headers[Lower(line.substr(0, colon))] = value;
    }
    position = next + 2;
  }
  return response;
}

// Decodes complete chunks from `wire` into `out`; sets *done at the final chunk.
// Returns false on malformed framing.
bool DecodeChunked(std::string& wire, std::string* out, bool* done) {
  for (;;) {
    size_t line_end = wire.find("\r\n");
    if (line_end == std::string::npos) return true;
    size_t size = strtoul(wire.substr(0, line_end).c_str(), nullptr, 16);
    if (size == 0) {
      if (wire.size() < line_end + 4) return true;
      *done = true;
      wire.erase(0, line_end + 4);
      return true;
    }
    if (wire.size() < line_end + 2 + size + 2) return true;
    if (wire.compare(line_end + 2 + size, 2, "\r\n") != 0) return false;
    out->append(wire, line_end + 2, size);
    wire.erase(0, line_end + 2 + size + 2);
  }
}

}  // namespace

std::optional<HttpResponse> ReadResponse(Socket& socket, std::string& buffer, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  std::optional<HttpResponse> response;
  while (!(response = ParseHead(buffer))) {
    if (socket.ReadSome(&buffer, Millis(RemainingMs(deadline))) <= 0) return std::nullopt;
  }
  if (response->status == 100) return ReadResponse(socket, buffer, Millis(RemainingMs(deadline)));
  auto length = response->headers.find("content-length");
  if (length != response->headers.end()) {
    size_t want = strtoul(length->second.c_str(), nullptr, 10);
    while (buffer.size() < want) {
      if (socket.ReadSome(&buffer, Millis(RemainingMs(deadline))) <= 0) return std::nullopt;
    }
    response->body = buffer.substr(0, want);
    buffer.erase(0, want);
    return response;
  }
  auto encoding = response->headers.find("transfer-encoding");
  if (encoding != response->headers.end() && Lower(encoding->second) == "chunked") {
    bool done = false;
    for (;;) {
      if (!DecodeChunked(buffer, &response->body, &done)) return std::nullopt;
      if (done) return response;
      if (socket.ReadSome(&buffer, Millis(RemainingMs(deadline))) <= 0) return std::nullopt;
    }
  }
  // Close-delimited.
  for (;;) {
    ssize_t n = socket.ReadSome(&buffer, Millis(RemainingMs(deadline)));
    if (n == 0) break;
    if (n < 0) return std::nullopt;
  }
  response->body = buffer;
  buffer.clear();
  return response;
}

std::optional<HttpResponse> HttpRequest(int port, const std::string& method, const std::string& target,
                                        const std::string& body,
                                        const std::vector<std::pair<std::string, std::string>>& headers) {
  Socket socket;
  if (!socket.Connect(port)) return std::nullopt;
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  if (!socket.SendAll(request)) return std::nullopt;
  std::string buffer;
  return ReadResponse(socket, buffer, Millis(10000));
}

std::optional<HttpResponse> HttpRequestUnix(const std::string& path, const std::string& method,
                                            const std::string& target, const std::string& body) {
  Socket socket;
  if (!socket.ConnectUnix(path)) return std::nullopt;
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST") {
    request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  if (!socket.SendAll(request)) return std::nullopt;
  std::string buffer;
  return ReadResponse(socket, buffer, Millis(10000));
}

std::optional<HttpResponse> PublishJson(int port, const std::string& json) {
  return HttpRequest(port, "POST", "/publish", json, {{"Content-Type", "application/json"}});
}

bool Healthy(int port) {
  std::optional<HttpResponse> health = HttpRequest(port, "GET", "/readyz");
  return health && health->status == 200;
}

long long MetricValue(int port, const std::string& name) {
  std::optional<HttpResponse> metrics = HttpRequest(port, "GET", "/metrics");
  if (!metrics) return -1;
  size_t at = metrics->body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::atoll(metrics->body.c_str() + at + name.size() + 2);
}

std::string PublishedId(const HttpResponse& response) {
  const std::string key = "\"id\":\"";
  size_t begin = response.body.find(key);
  if (begin == std::string::npos) return "";
  begin += key.size();
  size_t end = response.body.find('"', begin);
  return end == std::string::npos ? "" : response.body.substr(begin, end - begin);
}

bool AwaitSubscribers(int redis_port, const std::string& channel, int count, const std::string& password) {
  return Eventually(
      [&] {
        return RedisCommand(redis_port, {"PUBSUB", "NUMSUB", channel}, password).elements ==
               std::vector<std::string>{channel, std::to_string(count)};
      },
      Millis(5000));
}

int PublishMany(int port, int count, const std::function<std::string(int)>& body, int window) {
  Socket socket;
  if (!socket.Connect(port)) return 0;
  std::string buffer;
  int sent = 0;
  int answered = 0;
  while (answered < count) {
    std::string batch;
    while (sent < count && sent - answered < window) {
      std::string json = body(sent);
      batch += "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(json.size()) + "\r\n\r\n" + json;
      ++sent;
    }
    if (!batch.empty() && !socket.SendAll(batch)) return answered;
    std::optional<HttpResponse> response = ReadResponse(socket, buffer, Millis(10000));
    if (!response || response->status != 200) return answered;
    ++answered;
  }
  return answered;
}

long ResidentKiB(pid_t pid) {
  FILE* status = fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (status == nullptr) return 0;
  char line[256];
  long kib = 0;
  while (fgets(line, sizeof line, status)) {
    if (strncmp(line, "VmRSS:", 6) == 0) kib = atol(line + 6);
  }
  fclose(status);
  return kib;
}

long CpuMillis(pid_t pid) {
  FILE* stat = fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (stat == nullptr) return -1;
  char buffer[1024];
  size_t n = fread(buffer, 1, sizeof buffer - 1, stat);
  fclose(stat);
  buffer[n] = '\0';
  // Fields after the command name (which may hold spaces) start after ')'.
  const char* rest = strrchr(buffer, ')');
  if (rest == nullptr) return -1;
  unsigned long utime = 0;
  unsigned long stime = 0;
  // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  if (sscanf(rest + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
  return static_cast<long>((utime + stime) * 1000 / static_cast<unsigned long>(sysconf(_SC_CLK_TCK)));
}

// ----------------------------------------------------------------- SseClient

bool SseClient::Open(int port, const std::string& target,
                     const std::vector<std::pair<std::string, std::string>>& headers, bool http10,
                     int receive_buffer, const std::string& source) {
  if (!socket_.Connect(port, receive_buffer, source)) return false;
  return Handshake(target, headers, http10);
}

bool SseClient::OpenUnix(const std::string& path, const std::string& target,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  if (!socket_.ConnectUnix(path)) return false;
  return Handshake(target, headers, false);
}

bool SseClient::Handshake(const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
                          bool http10) {
  std::string request = "GET " + target + (http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n") +
                        "Host: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  if (!socket_.SendAll(request)) return false;
  auto deadline = Clock::now() + Millis(10000);
  std::optional<HttpResponse> head;
  while (!(head = ParseHead(wire_))) {
    if (socket_.ReadSome(&wire_, Millis(RemainingMs(deadline))) <= 0) return false;
  }
  head_ = *head;
  auto encoding = head_.headers.find("transfer-encoding");
  chunked_ = encoding != head_.headers.end() && Lower(encoding->second) == "chunked";
  if (head_.status != 200) {
    // Read the error body for the test's benefit.
    std::string buffer = wire_;
    wire_.clear();
    auto length = head_.headers.find("content-length");
    if (length != head_.headers.end()) {
      size_t want = strtoul(length->second.c_str(), nullptr, 10);
      while (buffer.size() < want && socket_.ReadSome(&buffer, Millis(RemainingMs(deadline))) > 0) {
      }
      head_.body = buffer.substr(0, want);
    }
    return true;
  }
  return DecodeChunks();
}

bool SseClient::DecodeChunks() {
  if (!chunked_) {
    text_ += wire_;
    wire_.clear();
    return true;
  }
  return DecodeChunked(wire_, &text_, &final_chunk_);
}

bool SseClient::Fill(Millis timeout) {
  if (closed_ || final_chunk_) return false;
  ssize_t n = socket_.ReadSome(&wire_, timeout);
  if (n == 0) closed_ = true;
  if (n <= 0) return false;
  return DecodeChunks();
}

std::optional<SseEvent> SseClient::ParseOne() {
  // WHATWG: lines end in CRLF, LF or CR; an empty line dispatches.
  SseEvent event;
  bool has_data = false;
  std::string data;
  size_t position = 0;
  for (;;) {
    size_t end = text_.find_first_of("\r\n", position);
    if (end == std::string::npos) return std::nullopt;  // Incomplete event: wait for more.
    // A CR at the very end may be the first half of a CRLF: wait.
    if (text_[end] == '\r' && end + 1 == text_.size()) return std::nullopt;
    std::string line = text_.substr(position, end - position);
    size_t next = end + 1;
    if (text_[end] == '\r' && text_[next] == '\n') ++next;
    position = next;
    if (line.empty()) {
      text_.erase(0, position);
      if (!has_data) {
        event = SseEvent();
        data.clear();
        if (text_.empty()) return std::nullopt;
        position = 0;
        continue;
      }
      if (!data.empty() && data.back() == '\n') data.pop_back();
      event.data = data;
      event.id = last_event_id;
      return event;
    }
    if (line[0] == ':') {
      ++comments_;
      continue;
    }
    size_t colon = line.find(':');
    std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (field == "data") {
      data += value + "\n";
      has_data = true;
    } else if (field == "event") {
      event.event = value;
    } else if (field == "id") {
      if (value.find('\0') == std::string::npos) last_event_id = value;
    } else if (field == "retry") {
      if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) retry_ms = atoi(value.c_str());
    }
  }
}

std::optional<SseEvent> SseClient::Next(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (std::optional<SseEvent> event = ParseOne()) return event;
    if (!Fill(Millis(RemainingMs(deadline)))) {
      if (std::optional<SseEvent> event = ParseOne()) return event;
      return std::nullopt;
    }
  }
}

bool SseClient::WaitEnd(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  while (!closed_ && !final_chunk_) {
    if (!Fill(Millis(RemainingMs(deadline))) && !closed_ && !final_chunk_) return false;
  }
  if (final_chunk_) {
    // After the last chunk the server must also close the connection.
    return socket_.WaitClosed(Millis(RemainingMs(deadline)));
  }
  return true;
}

std::string NextData(SseClient& client, Millis timeout) {
  std::optional<SseEvent> event = client.Next(timeout);
  if (!event) return "(no event within " + std::to_string(timeout.count()) + " ms)";
  return event->data;
}

bool Eventually(const std::function<bool()>& condition, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    // Polling another process's state: a short pause between probes.
    std::this_thread::sleep_for(Millis(20));
  }
}

bool Bystander::Open(int port, const std::string& channel, int redis_port) {
  port_ = port;
  channel_ = channel;
  if (!client_.Open(port, "/events/" + channel) || client_.head().status != 200) return false;
  return redis_port == 0 || AwaitSubscribers(redis_port, channel, 1);
}

bool Bystander::Publish() {
  std::string data = "bystander-" + std::to_string(next_++);
  std::optional<HttpResponse> response =
      PublishJson(port_, "{\"channel\":\"" + channel_ + "\",\"data\":\"" + data + "\"}");
  if (!response || response->status != 200) return false;
  expected_.push_back(data);
  return true;
}

std::string Bystander::Verify(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  for (size_t i = 0; i < expected_.size(); ++i) {
    std::optional<SseEvent> event = client_.Next(Millis(RemainingMs(deadline)));
    if (!event) {
      return "bystander on '" + channel_ + "' received " + std::to_string(i) + " of " +
             std::to_string(expected_.size()) + " messages answered 200" + (client_.closed() ? " (stream closed)" : "");
    }
    if (event->data != expected_[i]) {
      return "bystander expected '" + expected_[i] + "' as message " + std::to_string(i) + ", got '" + event->data + "'";
    }
  }
  return "";
}

}  // namespace harness
