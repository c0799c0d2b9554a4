#include "ssebridge/listen_address.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace ssebridge {
namespace {

bool AllDigits(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// Looks a name up with the reentrant call, growing the buffer it wants.
template <typename Entry, typename Lookup>
bool LookUpName(const std::string& name, Lookup lookup, Entry* entry) {
  std::vector<char> buffer(4096);
  for (int attempt = 0; attempt < 6; ++attempt) {
    Entry* result = nullptr;
    int rc = lookup(name.c_str(), entry, buffer.data(), buffer.size(), &result);
    if (rc == ERANGE) {
      buffer.resize(buffer.size() * 4);
      continue;
    }
    return rc == 0 && result != nullptr;
  }
  return false;
}

std::string ParseId(const std::string& text, bool user, int64_t* out) {
  if (AllDigits(text)) {
    if (text.size() > 10) return "id " + text + " is out of range";
    unsigned long long id = strtoull(text.c_str(), nullptr, 10);
    if (id >= 0xFFFFFFFFull) return "id " + text + " is out of range";
    *out = static_cast<int64_t>(id);
    return "";
  }
  if (user) {
    passwd entry;
    if (!LookUpName(text, getpwnam_r, &entry)) return "no such user '" + text + "'";
    *out = entry.pw_uid;
  } else {
    group entry;
    if (!LookUpName(text, getgrnam_r, &entry)) return "no such group '" + text + "'";
    *out = entry.gr_gid;
  }
  return "";
}

}  // namespace

std::string ListenAddress::ToString() const { return ToString(port); }

std::string ListenAddress::ToString(uint16_t bound_port) const {
  const char* scheme = tls ? "tls:" : "";
  if (is_unix()) return scheme + ("unix:" + path);
  const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + shown + ":" + std::to_string(bound_port);
}

std::string ParseHostPort(const std::string& text, std::string* host_out, uint16_t* port_out) {
  std::string host;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return "expected [IPV6]:PORT, got '" + text + "'";
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos) return "expected HOST:PORT or unix:/PATH, got '" + text + "'";
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) host = "0.0.0.0";
  if (!AllDigits(port) || port.size() > 5 || std::stoul(port) > 65535) {
    return "bad port: expected 0 to 65535, got '" + port + "'";
  }
  *host_out = host;
  *port_out = static_cast<uint16_t>(std::stoul(port));
  return "";
}

static std::string ParsePlainListenAddress(const std::string& text, ListenAddress* out);

std::string ParseListenAddress(const std::string& full_text, ListenAddress* out) {
  static constexpr const char kTlsPrefix[] = "tls:";
  const bool tls = full_text.rfind(kTlsPrefix, 0) == 0;
  const std::string text = tls ? full_text.substr(sizeof kTlsPrefix - 1) : full_text;
  std::string error = ParsePlainListenAddress(text, out);
  if (error.empty()) out->tls = tls;
  return error;
}

// One --listen value without its "tls:" prefix.
static std::string ParsePlainListenAddress(const std::string& text, ListenAddress* out) {
  static constexpr const char kUnixPrefix[] = "unix:";
  if (text.rfind(kUnixPrefix, 0) == 0) {
    std::string path = text.substr(sizeof kUnixPrefix - 1);
    // A path that does not fit sun_path cannot be bound; say so now rather
    // than at start-up. Abstract sockets ("@name") have no file to secure
    // with a mode and owner, so they are not offered.
    if (path.empty()) return "expected unix:/PATH, got '" + text + "'";
    if (path[0] == '@') return "abstract unix sockets are not supported, got '" + text + "'";
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
      return "unix socket path longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes: '" +
             path + "'";
    }
    if (path.find('\0') != std::string::npos) return "unix socket path contains a NUL byte";
    ListenAddress address;
    address.kind = ListenAddress::Kind::kUnix;
    address.host.clear();
    address.port = 0;
    address.path = path;
    *out = address;
    return "";
  }
  ListenAddress address;
  std::string error = ParseHostPort(text, &address.host, &address.port);
  if (!error.empty()) return error;
  *out = address;
  return "";
}

std::string ResolveTcpAddress(const ListenAddress& address, sockaddr_storage* out, socklen_t* length) {
  *out = sockaddr_storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET, address.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(address.port);
    *length = sizeof(sockaddr_in);
    return "";
  }
  if (inet_pton(AF_INET6, address.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(address.port);
    *length = sizeof(sockaddr_in6);
    return "";
  }
  // A host name such as "localhost": resolved once, synchronously, at start-up.
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(address.host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return "cannot resolve '" + address.host + "': " + (rc != 0 ? gai_strerror(rc) : "no address");
  }
  memcpy(out, found->ai_addr, found->ai_addrlen);
  *length = found->ai_addrlen;
  if (out->ss_family == AF_INET6) {
    v6->sin6_port = htons(address.port);
  } else {
    v4->sin_port = htons(address.port);
  }
  freeaddrinfo(found);
  return "";
}

std::string ParseSocketMode(const std::string& text, uint32_t* mode) {
  if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos) {
    return "expected an octal mode such as 0660, got '" + text + "'";
  }
  unsigned long value = strtoul(text.c_str(), nullptr, 8);
  if (value > 0777) return "expected permission bits up to 0777, got '" + text + "'";
  *mode = static_cast<uint32_t>(value);
  return "";
}

std::string ParseSocketOwner(const std::string& text, int64_t* uid_out, int64_t* gid_out) {
  if (text.empty()) return "expected USER, USER:GROUP or :GROUP";
  size_t colon = text.find(':');
  std::string user = text.substr(0, colon);
  std::string group = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (colon != std::string::npos && group.empty()) return "expected a group after ':', got '" + text + "'";
  int64_t uid = -1;
  int64_t gid = -1;
  if (!user.empty()) {
    std::string error = ParseId(user, true, &uid);
    if (!error.empty()) return error;
  }
  if (!group.empty()) {
    std::string error = ParseId(group, false, &gid);
    if (!error.empty()) return error;
  }
  *uid_out = uid;
  *gid_out = gid;
  return "";
}

}  // namespace ssebridge
