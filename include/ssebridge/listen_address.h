// ListenAddress: one place ssebridge accepts connections, as --listen names
// it: a TCP "HOST:PORT" ("[IPV6]:PORT", ":PORT" for every interface) or a
// Unix stream socket "unix:/path"; either with a "tls:" prefix for a
// listener that speaks TLS ("tls:HOST:PORT", "tls:unix:/path"). Pure parsing and formatting, plus the one
// synchronous name lookup made at start-up; no sockets are opened here.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace ssebridge {

struct ListenAddress {
  enum class Kind : uint8_t { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host = "127.0.0.1";  // kTcp: an address literal or a host name.
  uint16_t port = 8080;            // kTcp: 0 picks a free port.
  std::string path;                // kUnix: the socket file.
  bool tls = false;                // "tls:": connections start with a TLS handshake.

  bool is_unix() const { return kind == Kind::kUnix; }
  // "127.0.0.1:8080", "[::1]:8080" or "unix:/run/ssebridge.sock", after
  // "tls:" for a TLS listener; with
  // `port` given, that port instead of the configured one (the one bound).
  std::string ToString() const;
  std::string ToString(uint16_t bound_port) const;
  // The same place whatever the protocol: one socket cannot be both.
  bool operator==(const ListenAddress& other) const {
    return kind == other.kind && host == other.host && port == other.port && path == other.path;
  }
};

// Parses one --listen value. Returns "" or what is wrong with `text`.
std::string ParseListenAddress(const std::string& text, ListenAddress* out);

// Parses "HOST:PORT" or "[IPV6]:PORT"; an empty host means 0.0.0.0. Shared
// with --control-listen. Returns "" or what is wrong.
std::string ParseHostPort(const std::string& text, std::string* host, uint16_t* port);

// A TCP address as a socket address: literals directly, host names through
// getaddrinfo (blocking; called once at start-up). Returns "" or the reason.
std::string ResolveTcpAddress(const ListenAddress& address, sockaddr_storage* out, socklen_t* length);

// Parses a file mode for the socket file: octal digits, at most 0777
// ("0660", "660"). Returns "" or what is wrong.
std::string ParseSocketMode(const std::string& text, uint32_t* mode);

// The owner of the socket file: "user", "user:group" or ":group", names or
// numeric ids, resolved against the system's user database. -1 leaves that
// part unchanged. Returns "" or what is wrong.
std::string ParseSocketOwner(const std::string& text, int64_t* uid, int64_t* gid);

}  // namespace ssebridge
