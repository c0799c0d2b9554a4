// floor_server: the least work any SSE relay must do, used to measure what the
// kernel alone costs on this machine.
//
// It is not a product and not a fair competitor: it PSUBSCRIBEs to every Redis
// channel over one raw socket, answers every GET with an event-stream head, and
// writes each message as one chunked "data:" event to every socket whose path
// ends in that channel, with one write per socket per Redis read. No history,
// no ids, no validation, no heartbeats, no slow-consumer handling, no limits.
// Whatever CPU time and latency it shows per delivery is the floor that
// ssebridge and Nchan are measured against in bench/compare.sh.
//
// usage: floor_server --port N --redis-port N   (both on 127.0.0.1)

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;

void OnSignal(int) { g_stop = 1; }

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::exit(1);
}

sockaddr_in LoopbackAddress(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  sockaddr_in address = LoopbackAddress(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) Die("connect to redis");
  return fd;
}

int ListenLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) Die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address = LoopbackAddress(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) Die("bind");
  if (listen(fd, 4096) != 0) Die("listen");
  return fd;
}

struct Client {
  std::string request;   // Request head until the blank line.
  std::string channel;   // Last path segment once streaming.
  std::string pending;   // Bytes the socket did not take yet.
  bool streaming = false;
};

// Parses RESP pmessage pushes: *4 $8 pmessage $pattern $channel $payload.
// Returns the number of bytes consumed; calls emit(channel, payload) per push.
template <typename Emit>
size_t ParsePushes(std::string_view input, Emit emit) {
  size_t consumed = 0;
  for (;;) {
    size_t at = consumed;
    auto line = [&](std::string_view* out) {
      size_t end = input.find("\r\n", at);
      if (end == std::string_view::npos) return false;
      *out = input.substr(at, end - at);
      at = end + 2;
      return true;
    };
    std::string_view header;
    if (!line(&header)) return consumed;
    if (header.empty() || header[0] != '*') {  // Replies to PSUBSCRIBE are arrays too; anything else: skip the line.
      consumed = at;
      continue;
    }
    long count = std::strtol(std::string(header.substr(1)).c_str(), nullptr, 10);
    std::vector<std::string_view> parts;
    bool complete = true;
    for (long i = 0; i < count && complete; ++i) {
      std::string_view kind;
      if (!line(&kind)) { complete = false; break; }
      if (!kind.empty() && kind[0] == '$') {
        size_t length = std::strtoul(std::string(kind.substr(1)).c_str(), nullptr, 10);
        if (at + length + 2 > input.size()) { complete = false; break; }
        parts.push_back(input.substr(at, length));
        at += length + 2;
      } else {
        parts.push_back(kind.substr(1));  // :<integer>
      }
    }
    if (!complete) return consumed;
    consumed = at;
    if (parts.size() == 4 && parts[0] == "pmessage") emit(parts[2], parts[3]);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int redis_port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--redis-port") == 0) redis_port = std::atoi(argv[i + 1]);
  }
  if (port <= 0 || redis_port <= 0) {
    std::fprintf(stderr, "usage: floor_server --port N --redis-port N\n");
    return 2;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);

  int redis = ConnectLoopback(redis_port);
  const char kSubscribe[] = "*2\r\n$10\r\nPSUBSCRIBE\r\n$1\r\n*\r\n";
  if (write(redis, kSubscribe, sizeof kSubscribe - 1) != static_cast<ssize_t>(sizeof kSubscribe - 1)) Die("write");
  fcntl(redis, F_SETFL, O_NONBLOCK);
  int listener = ListenLoopback(port);

  int epoll = epoll_create1(0);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = listener;
  epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
  event.data.fd = redis;
  epoll_ctl(epoll, EPOLL_CTL_ADD, redis, &event);

  std::unordered_map<int, Client> clients;
  std::unordered_map<std::string, std::vector<int>> by_channel;
  std::string redis_input;
  std::vector<int> touched;
  std::vector<char> buffer(256 * 1024);
  std::vector<epoll_event> events(1024);

  auto close_client = [&](int fd) {
    auto it = clients.find(fd);
    if (it == clients.end()) return;
    if (it->second.streaming) {
      auto& list = by_channel[it->second.channel];
      for (size_t i = 0; i < list.size(); ++i) {
        if (list[i] == fd) { list[i] = list.back(); list.pop_back(); break; }
      }
    }
    clients.erase(it);
    close(fd);
  };
  auto flush = [&](int fd, Client& client) {
    while (!client.pending.empty()) {
      ssize_t n = write(fd, client.pending.data(), client.pending.size());
      if (n > 0) { client.pending.erase(0, static_cast<size_t>(n)); continue; }
      if (n < 0 && errno == EAGAIN) {
        epoll_event want{};
        want.events = EPOLLIN | EPOLLOUT;
        want.data.fd = fd;
        epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &want);
        return;
      }
      close_client(fd);
      return;
    }
  };

  while (!g_stop) {
    int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 500);
    for (int e = 0; e < ready; ++e) {
      const int fd = events[e].data.fd;
      if (fd == listener) {
        for (;;) {
          int accepted = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
          if (accepted < 0) break;
          int one = 1;
          setsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          clients[accepted];
          epoll_event want{};
          want.events = EPOLLIN;
          want.data.fd = accepted;
          epoll_ctl(epoll, EPOLL_CTL_ADD, accepted, &want);
        }
      } else if (fd == redis) {
        ssize_t n;
        while ((n = read(redis, buffer.data(), buffer.size())) > 0) redis_input.append(buffer.data(), n);
        if (n == 0) g_stop = 1;
        size_t used = ParsePushes(redis_input, [&](std::string_view channel, std::string_view payload) {
          auto it = by_channel.find(std::string(channel));
          if (it == by_channel.end()) return;
          char size_line[32];
          int head = std::snprintf(size_line, sizeof size_line, "%zx\r\n", payload.size() + 8);
          for (int subscriber : it->second) {
            Client& client = clients[subscriber];
            if (client.pending.empty()) touched.push_back(subscriber);
            client.pending.append(size_line, static_cast<size_t>(head));
            client.pending.append("data: ", 6);
            client.pending.append(payload);
            client.pending.append("\n\n\r\n", 4);
          }
        });
        redis_input.erase(0, used);
        // One write per socket for everything this read brought.
        for (int subscriber : touched) {
          auto it = clients.find(subscriber);
          if (it != clients.end()) flush(subscriber, it->second);
        }
        touched.clear();
      } else {
        auto it = clients.find(fd);
        if (it == clients.end()) continue;
        Client& client = it->second;
        if (events[e].events & EPOLLOUT) {
          flush(fd, client);
          if (clients.count(fd) && client.pending.empty()) {
            epoll_event want{};
            want.events = EPOLLIN;
            want.data.fd = fd;
            epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &want);
          }
          if (!clients.count(fd)) continue;
        }
        if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
        ssize_t n = read(fd, buffer.data(), buffer.size());
        if (n <= 0) {
          if (n < 0 && errno == EAGAIN) continue;
          close_client(fd);
          continue;
        }
        if (client.streaming) continue;
        client.request.append(buffer.data(), static_cast<size_t>(n));
        size_t end = client.request.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        // "GET /events/<channel> HTTP/1.1": the channel is the last path segment.
        size_t path_start = client.request.find(' ') + 1;
        size_t path_end = client.request.find(' ', path_start);
        std::string path = client.request.substr(path_start, path_end - path_start);
        client.channel = path.substr(path.rfind('/') + 1);
        client.streaming = true;
        client.request.clear();
        client.request.shrink_to_fit();
        by_channel[client.channel].push_back(fd);
        client.pending =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            "Transfer-Encoding: chunked\r\n\r\n";
        flush(fd, client);
      }
    }
  }
  for (auto& [fd, client] : clients) close(fd);
  close(redis);
  close(listener);
  close(epoll);
  return 0;
}
