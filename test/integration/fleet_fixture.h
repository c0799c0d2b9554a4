// Several ssebridge processes on one Redis, each on its own Unix socket,
// behind Debian's nginx configured with deploy/nginx/ssebridge.conf itself:
// the file is read from the source tree and only its socket directory and
// listen line are replaced, so the tests check the configuration users copy.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"

namespace fleet {

constexpr int kProcesses = 2;  // deploy/nginx/ssebridge.conf names two sockets.

// Replaces every `from` in `text`; returns how many.
inline int ReplaceAll(std::string* text, const std::string& from, const std::string& to) {
  int count = 0;
  for (size_t at = text->find(from); at != std::string::npos; at = text->find(from, at + to.size())) {
    text->replace(at, from.size(), to);
    ++count;
  }
  return count;
}

class Fleet {
 public:
  // Starts redis-server, kProcesses bridges (Redis mode, --base-path /sse,
  // each on <dir>/ssebridge-N.sock plus a loopback TCP port of its own for
  // direct /metrics reads) and nginx with the deploy file, after `edit`
  // changed its text (the tests that need a variant say which).
  ::testing::AssertionResult Start(const std::vector<std::string>& bridge_args,
                                   const std::function<void(std::string*)>& edit = nullptr) {
    args_ = bridge_args;
    // nginx's workers, not root, connect to the sockets in it.
    chmod(dir_.path().c_str(), 0755);
    if (!redis_.Start()) return ::testing::AssertionFailure() << "redis-server did not start";
    bridges_.resize(kProcesses);
    for (int i = 0; i < kProcesses; ++i) {
      if (!StartProcess(i)) {
        return ::testing::AssertionFailure() << "ssebridge " << i + 1 << " did not start: "
                                             << bridges_[i]->process().output();
      }
    }
    std::ifstream in(std::string(SSEBRIDGE_SOURCE_DIR) + "/deploy/nginx/ssebridge.conf");
    std::stringstream text;
    text << in.rdbuf();
    std::string site = text.str();
    const int port = harness::FreePort();
    if (ReplaceAll(&site, "server unix:/run/ssebridge/", "server unix:" + dir_.path() + "/") != kProcesses ||
        ReplaceAll(&site, "listen 80;", "listen 127.0.0.1:" + std::to_string(port) + ";") != 1) {
      return ::testing::AssertionFailure() << "deploy/nginx/ssebridge.conf no longer has " << kProcesses
                                           << " upstream sockets under /run/ssebridge/ and one \"listen 80;\"";
    }
    if (edit) edit(&site);
    if (!nginx_.StartSite(site, port, "/sse/healthz")) return ::testing::AssertionFailure() << nginx_.error();
    return ::testing::AssertionSuccess();
  }

  std::string socket_path(int i) const { return dir_.path() + "/ssebridge-" + std::to_string(i + 1) + ".sock"; }

  // Starts process `i` on its socket (again, for a restart: the previous
  // process must have stopped listening; it may still be draining).
  bool StartProcess(int i) {
    std::vector<std::string> args = {"--base-path", "/sse", "--listen", "unix:" + socket_path(i),
                                     // nginx's workers do not run as root.
                                     "--unix-socket-mode", "0666",
                                     // The site lets only internal addresses publish; nginx's
                                     // X-Forwarded-For would make "local" refuse them.
                                     "--anonymous-publish", "on"};
    args.insert(args.end(), args_.begin(), args_.end());
    bridges_[i] = std::make_unique<harness::Bridge>();
    return bridges_[i]->StartWithRedis(redis_.url(), args);
  }

  // Hands over process `i` (to let it drain while a successor starts).
  std::unique_ptr<harness::Bridge> Release(int i) { return std::move(bridges_[i]); }

  harness::Bridge& bridge(int i) { return *bridges_[i]; }
  // One sample of process i's /metrics (read directly, not through nginx),
  // the first line starting with `name` followed by a space or "{"; -1 if none.
  long long Metric(int i, const std::string& name) {
    auto response = harness::HttpRequest(direct_port(i), "GET", "/sse/metrics");
    if (!response || response->status != 200) return -1;
    std::istringstream lines(response->body);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind(name + " ", 0) == 0) return std::atoll(line.c_str() + name.size() + 1);
    }
    return -1;
  }
  // The loopback TCP port of process i (besides its socket), for /metrics.
  int direct_port(int i) const { return bridges_[i]->port(); }
  int port() const { return nginx_.port(); }
  harness::RedisServer& redis() { return redis_; }
  harness::Nginx& nginx() { return nginx_; }

 private:
  harness::TempDir dir_;  // Declared first: removed after everything in it stopped.
  harness::RedisServer redis_;
  std::vector<std::unique_ptr<harness::Bridge>> bridges_;
  harness::Nginx nginx_;
  std::vector<std::string> args_;
};

}  // namespace fleet
