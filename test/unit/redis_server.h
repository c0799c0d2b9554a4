// A real redis-server for the unit tests of the Redis modules: started on a
// free loopback port in a private temporary directory with persistence off,
// ready once it answers PING, stopped by its PID. Self-contained: the unit
// tests do not link the integration harness.
//
// A server that cannot start is a failure of the test, never a skip.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>

namespace ssebridge {
namespace testing_redis {

// A reply flattened for assertions.
struct Reply {
  int type = 0;  // REDIS_REPLY_*; 0 when the command could not be sent.
  std::string str;
  long long integer = 0;
  std::vector<Reply> elements;

  bool error() const { return type == 0 || type == REDIS_REPLY_ERROR; }
};

inline Reply Flatten(const redisReply* reply) {
  Reply out;
  out.type = reply->type;
  if (reply->str != nullptr) out.str.assign(reply->str, reply->len);
  out.integer = reply->integer;
  for (size_t i = 0; i < reply->elements; ++i) out.elements.push_back(Flatten(reply->element[i]));
  return out;
}

class RedisServer {
 public:
  RedisServer() {
    // hiredis and the transport write with write(2): a peer that was just
    // killed must be an error, not a signal that ends the test binary.
    signal(SIGPIPE, SIG_IGN);
    char pattern[] = "/tmp/ssebridge-unit-redis-XXXXXX";
    if (mkdtemp(pattern) != nullptr) dir_ = pattern;
  }
  ~RedisServer() {
    Stop();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts redis-server and returns once it answers PING. The first start
  // picks a free port (another on a clash with a concurrent test); a restart
  // keeps it, so clients find the server again.
  bool Start() {
    if (dir_.empty() || pid_ > 0) return false;
    const bool restart = port_ != 0;
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (port_ == 0) port_ = FreePort();
      if (port_ == 0) return false;
      if (Spawn() && AwaitPong()) return true;
      Kill();
      if (restart) return false;
      port_ = 0;
    }
    return false;
  }

  // Every later start runs redis-sentinel instead, with these lines (for
  // example "sentinel monitor NAME 127.0.0.1 PORT 1") after its port, dir and
  // log file.
  void set_sentinel(std::string config) { sentinel_config_ = std::move(config); }

  // Every later start requires this password; Command() and the readiness
  // probe authenticate with it.
  void set_password(std::string password) { password_ = std::move(password); }

  // SIGKILL: the connections break as in a crash.
  void Kill() { Signal(SIGKILL); }
  // SIGTERM, then SIGKILL if it has not exited within 10 s.
  void Stop() { Signal(SIGTERM); }

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // The server's own log, for failure messages.
  std::string log() const {
    std::ifstream file(dir_ + "/redis.log");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

  // A synchronous command on a connection of its own (blocks the test's
  // thread, not the server); binary-safe.
  Reply Command(const std::vector<std::string>& args) const {
    Reply result;
    redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeval{5, 0});
    if (context == nullptr || context->err) {
      result.str = context ? context->errstr : "cannot connect";
      if (context) redisFree(context);
      return result;
    }
    redisSetTimeout(context, timeval{5, 0});
    Authenticate(context);
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(args.size()), argv.data(), lengths.data()));
    if (reply != nullptr) {
      result = Flatten(reply);
      freeReplyObject(reply);
    } else {
      result.str = context->errstr;
    }
    redisFree(context);
    return result;
  }

 private:
  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port = ntohs(address.sin_port);
    }
    close(fd);
    return port;
  }

  void Authenticate(redisContext* context) const {
    if (password_.empty()) return;
    auto* reply = static_cast<redisReply*>(redisCommand(context, "AUTH %b", password_.data(), password_.size()));
    if (reply != nullptr) freeReplyObject(reply);
  }

  bool Spawn() {
    std::vector<std::string> argv = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--dir", dir_,
                                     "--daemonize", "no", "--logfile", dir_ + "/redis.log"};
    if (!password_.empty()) {
      argv.push_back("--requirepass");
      argv.push_back(password_);
    }
    if (!sentinel_config_.empty()) {
      // Sentinel rewrites its configuration file: it must be one.
      const std::string path = dir_ + "/sentinel.conf";
      std::ofstream(path) << "port " << port_ << "\nbind 127.0.0.1\ndaemonize no\ndir " << dir_ << "\nlogfile "
                          << dir_ << "/redis.log\n"
                          << sentinel_config_;
      argv = {"redis-sentinel", path};
    }
    std::vector<char*> args;
    for (std::string& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
      // Dies with the test binary, even if it crashes.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      int null = open("/dev/null", O_RDWR);
      if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
      }
      execvp(args[0], args.data());
      _exit(127);
    }
    pid_ = pid;
    return true;
  }

  // Polls a connect and PING until PONG (a few milliseconds between probes),
  // for at most 10 s; false at once if the process exits (a port clash).
  bool AwaitPong() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeval{0, 200000});
      if (context != nullptr && !context->err) {
        redisSetTimeout(context, timeval{1, 0});
        Authenticate(context);
        auto* reply = static_cast<redisReply*>(redisCommand(context, "PING"));
        const bool pong = reply != nullptr && reply->type == REDIS_REPLY_STATUS && std::string(reply->str) == "PONG";
        if (reply != nullptr) freeReplyObject(reply);
        redisFree(context);
        if (pong) return true;
      } else if (context != nullptr) {
        redisFree(context);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // Poll interval, not a synchronization.
    }
    return false;
  }

  void Signal(int signal_number) {
    if (pid_ <= 0) return;
    kill(pid_, signal_number);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() >= deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // Poll interval for the exit.
    }
    pid_ = -1;
  }

  std::string dir_;
  std::string password_;
  std::string sentinel_config_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace testing_redis
}  // namespace ssebridge
