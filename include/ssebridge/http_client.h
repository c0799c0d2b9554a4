// HttpClient: asynchronous HTTP/1.1 requests from the loop to another server
// (the application asked by --auth-url). One request per connection
// ("Connection: close"), over TCP or a Unix stream socket; the response is
// parsed by llhttp in HTTP_RESPONSE mode. Nothing blocks the loop: the
// address is resolved once at start-up (ParseHttpUrl + ResolveHttpUrl), and
// connect, write, read and the timeout are libuv events.
//
// Contract, as libuv's own: the callback of Send() runs exactly once, always
// from a later loop turn (never inside Send() or Cancel()), after the
// request's handles are closed and just before its memory is freed — with
// the response, or with an error (UV_ETIMEDOUT after the timeout,
// UV_ECANCELED after Cancel() or the client's destruction, a connect, read or
// parse error otherwise).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include <uv.h>

namespace ssebridge {

// Where requests go: "http://HOST:PORT/PATH" (HOST a name, an IPv4 literal
// or [IPv6]) or "http://unix:/SOCKET:/PATH", the form nginx and curl
// users know.
struct HttpUrl {
  bool is_unix = false;
  std::string host;         // TCP: as written, without brackets.
  uint16_t port = 80;       // TCP.
  std::string socket_path;  // Unix.
  std::string path = "/";   // Path and query sent in the request line.
  std::string host_header;  // The Host header: "host:port", or "localhost" for a Unix socket.
};

// Parses a URL of the forms above. Returns "" or what is wrong with it.
std::string ParseHttpUrl(const std::string& text, HttpUrl* out);

// A TCP URL's address (getaddrinfo: blocking, so called once at start-up).
// Returns "" or the reason.
std::string ResolveHttpUrl(const HttpUrl& url, sockaddr_storage* out);

struct HttpClientResponse {
  int status = 0;
  std::string body;  // At most kMaxBodyBytes.
};

class HttpClient {
 public:
  // A larger answer is an error: the callers want a short JSON document.
  static constexpr size_t kMaxBodyBytes = 64 * 1024;

  // `error` is 0 (then `response` holds the answer, whatever its status) or
  // a negative libuv error code.
  using Callback = std::function<void(int error, HttpClientResponse response)>;

  explicit HttpClient(uv_loop_t* loop);
  // Cancels every request still in flight; their callbacks run later from
  // the loop, so the loop must run once more before it is closed.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` (a complete HTTP/1.1 request, head and body) to `url`
  // (`address` is its resolved TCP address; ignored for a Unix socket).
  // Returns the request's id for Cancel(); never 0.
  uint64_t Send(const HttpUrl& url, const sockaddr_storage& address, std::string request, uint64_t timeout_ms,
                Callback done);
  // Stops request `id` if it is still in flight: its callback runs later
  // with UV_ECANCELED. Unknown ids (finished requests) are ignored.
  void Cancel(uint64_t id);

  size_t in_flight() const { return calls_.size(); }

 private:
  struct Call;
  friend struct Call;

  uv_loop_t* loop_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Call*> calls_;
};

}  // namespace ssebridge
