#include "ssebridge/http_client.h"

#include <netdb.h>
#include <string.h>

#include <utility>
#include <vector>

#include <llhttp.h>

#include "ssebridge/listen_address.h"

namespace ssebridge {

std::string ParseHttpUrl(const std::string& text, HttpUrl* out) {
  constexpr std::string_view kScheme = "http://";
  if (text.compare(0, kScheme.size(), kScheme) != 0) {
    return "expected http://HOST:PORT/PATH or http://unix:/SOCKET:/PATH, got '" + text + "'";
  }
  const std::string rest = text.substr(kScheme.size());
  HttpUrl url;
  constexpr std::string_view kUnix = "unix:";
  if (rest.compare(0, kUnix.size(), kUnix) == 0) {
    // "unix:/run/app.sock:/auth": the socket path ends at the first ":/".
    const std::string after = rest.substr(kUnix.size());
    const size_t split = after.find(":/");
    if (after.empty() || after[0] != '/' || split == std::string::npos) {
      return "a Unix socket URL is http://unix:/SOCKET:/PATH, got '" + text + "'";
    }
    url.is_unix = true;
    url.socket_path = after.substr(0, split);
    url.path = after.substr(split + 1);
    url.host_header = "localhost";
  } else {
    const size_t slash = rest.find('/');
    const std::string authority = rest.substr(0, slash);
    url.path = slash == std::string::npos ? "/" : rest.substr(slash);
    if (authority.find(':') == std::string::npos || (authority[0] == '[' && authority.back() == ']')) {
      // No port: HTTP's default.
      std::string error = ParseHostPort(authority + ":80", &url.host, &url.port);
      if (!error.empty()) return error;
    } else {
      std::string error = ParseHostPort(authority, &url.host, &url.port);
      if (!error.empty()) return error;
    }
    if (authority.empty() || authority[0] == ':') return "no host in '" + text + "'";
    url.host_header = authority;
  }
  // The path goes into the request line as it is: it must not break it.
  for (char c : url.path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return "the path of '" + text + "' has a space or control character";
  }
  *out = std::move(url);
  return "";
}

std::string ResolveHttpUrl(const HttpUrl& url, sockaddr_storage* out) {
  memset(out, 0, sizeof(*out));
  if (url.is_unix) return "";
  ListenAddress address;
  address.host = url.host;
  address.port = url.port;
  socklen_t length = 0;
  return ResolveTcpAddress(address, out, &length);
}

// One request: its socket, its timer, the parser of its answer. Freed when
// both handles are closed, right after its callback has run.
struct HttpClient::Call {
  HttpClient* client = nullptr;  // Null once the client is gone.
  uint64_t id = 0;
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } socket;
  uv_timer_t timer;
  uv_connect_t connect;
  uv_write_t write;
  std::string request;
  llhttp_t parser;
  HttpClientResponse response;
  Callback done;
  int error = 0;
  int open_handles = 0;
  bool finished = false;
  bool complete = false;
  char read_buffer[4096];

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&socket); }
  uv_handle_t* stream_handle() { return reinterpret_cast<uv_handle_t*>(&socket); }

  // The first outcome wins; the callback waits for the handles' close.
  void Finish(int outcome) {
    if (finished) return;
    finished = true;
    error = outcome;
    if (client != nullptr) client->calls_.erase(id);
    client = nullptr;
    uv_close(stream_handle(), OnClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), OnClosed);
  }

  static void OnClosed(uv_handle_t* handle) {
    auto* call = static_cast<Call*>(handle->data);
    if (--call->open_handles > 0) return;
    Callback done = std::move(call->done);
    const int error = call->error;
    HttpClientResponse response = std::move(call->response);
    delete call;
    if (done) done(error, std::move(response));
  }

  static void OnTimeout(uv_timer_t* timer) { static_cast<Call*>(timer->data)->Finish(UV_ETIMEDOUT); }

  static void OnConnect(uv_connect_t* request, int status) {
    auto* call = static_cast<Call*>(request->data);
    if (status != 0) {
      call->Finish(status);
      return;
    }
    if (call->finished) return;
    uv_buf_t buffer = uv_buf_init(call->request.data(), static_cast<unsigned int>(call->request.size()));
    int rc = uv_write(&call->write, call->stream(), &buffer, 1, OnWritten);
    if (rc == 0) rc = uv_read_start(call->stream(), OnAlloc, OnRead);
    if (rc != 0) call->Finish(rc);
  }

  static void OnWritten(uv_write_t* request, int status) {
    if (status != 0) static_cast<Call*>(request->data)->Finish(status);
  }

  static void OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buffer) {
    auto* call = static_cast<Call*>(handle->data);
    *buffer = uv_buf_init(call->read_buffer, sizeof(call->read_buffer));
  }

  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer) {
    auto* call = static_cast<Call*>(stream->data);
    if (call->finished) return;
    if (nread > 0) {
      const llhttp_errno_t rc = llhttp_execute(&call->parser, buffer->base, static_cast<size_t>(nread));
      if (call->complete) {
        call->Finish(0);
      } else if (rc != HPE_OK) {
        call->Finish(rc == HPE_USER ? UV_EMSGSIZE : UV_EPROTO);
      }
      return;
    }
    if (nread == UV_EOF) {
      // An answer without Content-Length ends with the connection.
      llhttp_finish(&call->parser);
      call->Finish(call->complete ? 0 : UV_EPROTO);
      return;
    }
    if (nread < 0) call->Finish(static_cast<int>(nread));
  }

  static int OnBody(llhttp_t* parser, const char* at, size_t length) {
    auto* call = static_cast<Call*>(parser->data);
    if (call->response.body.size() + length > kMaxBodyBytes) return -1;
    call->response.body.append(at, length);
    return 0;
  }

  static int OnMessageComplete(llhttp_t* parser) {
    auto* call = static_cast<Call*>(parser->data);
    call->response.status = parser->status_code;
    call->complete = true;
    // Whatever follows the answer is not ours to read.
    return HPE_PAUSED;
  }

  static const llhttp_settings_t* Settings() {
    static const llhttp_settings_t settings = [] {
      llhttp_settings_t s;
      llhttp_settings_init(&s);
      s.on_body = OnBody;
      s.on_message_complete = OnMessageComplete;
      return s;
    }();
    return &settings;
  }
};

HttpClient::HttpClient(uv_loop_t* loop) : loop_(loop) {}

HttpClient::~HttpClient() {
  std::vector<Call*> calls;
  calls.reserve(calls_.size());
  for (auto& entry : calls_) calls.push_back(entry.second);
  for (Call* call : calls) call->Finish(UV_ECANCELED);
}

uint64_t HttpClient::Send(const HttpUrl& url, const sockaddr_storage& address, std::string request,
                          uint64_t timeout_ms, Callback done) {
  auto* call = new Call();
  call->client = this;
  call->id = next_id_++;
  call->request = std::move(request);
  call->done = std::move(done);
  llhttp_init(&call->parser, HTTP_RESPONSE, Call::Settings());
  call->parser.data = call;
  call->connect.data = call;
  call->write.data = call;
  calls_.emplace(call->id, call);
  const uint64_t id = call->id;

  uv_timer_init(loop_, &call->timer);
  call->timer.data = call;
  ++call->open_handles;
  int rc = 0;
  if (url.is_unix) {
    rc = uv_pipe_init(loop_, &call->socket.pipe, 0);
  } else {
    rc = uv_tcp_init(loop_, &call->socket.tcp);
  }
  if (rc != 0) {
    // Only the timer exists: close it alone; the callback still runs later.
    call->finished = true;
    call->error = rc;
    calls_.erase(id);
    uv_close(reinterpret_cast<uv_handle_t*>(&call->timer), Call::OnClosed);
    return id;
  }
  call->stream_handle()->data = call;
  ++call->open_handles;
  uv_timer_start(&call->timer, Call::OnTimeout, timeout_ms, 0);
  if (url.is_unix) {
    // Reports errors through the callback only.
    uv_pipe_connect(&call->connect, &call->socket.pipe, url.socket_path.c_str(), Call::OnConnect);
  } else {
    rc = uv_tcp_connect(&call->connect, &call->socket.tcp, reinterpret_cast<const sockaddr*>(&address),
                        Call::OnConnect);
    // A synchronous failure never runs the connect callback (libuv's rule).
    if (rc != 0) call->Finish(rc);
  }
  return id;
}

void HttpClient::Cancel(uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  it->second->Finish(UV_ECANCELED);
}

}  // namespace ssebridge
