// Client limits: who a client is (its IP address, or the address a trusted
// proxy reports in X-Forwarded-For) and what it may do (streams open at once,
// publishes per second). Pure logic without sockets or clocks of its own: the
// server passes the time in, so every rule is unit-tested directly.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sockaddr;

namespace ssebridge {

// An IPv4 or IPv6 address. IPv4 is held as an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d), so "10.0.0.1" and "::ffff:10.0.0.1" are the same client.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};

  bool is_v4() const;
  std::string ToString() const;
  bool operator==(const IpAddress& other) const { return bytes == other.bytes; }
  bool operator!=(const IpAddress& other) const { return bytes != other.bytes; }
};

// 127.0.0.0/8 or ::1: a client on this host.
bool IsLoopback(const IpAddress& address);

// Parses a literal address ("10.0.0.1", "::1", "[::1]"). Returns false on
// anything else, including host names, ports and zone ids.
bool ParseIpAddress(std::string_view text, IpAddress* out);

// Converts an AF_INET or AF_INET6 socket address. A peer on a Unix socket
// (AF_UNIX) is a local process, so it becomes 127.0.0.1: it counts as
// loopback wherever loopback matters, all such peers share one per-client
// entry (as connections from a proxy on 127.0.0.1 would), and
// --trusted-proxy 127.0.0.1 trusts the X-Forwarded-For of a proxy that
// connects through the socket. Returns false for other families.
bool IpAddressFromSockaddr(const sockaddr* address, IpAddress* out);

// An address range: "10.0.0.0/8", "2001:db8::/32", or one address (a /32 or
// /128). IPv4 ranges match IPv4 clients only.
struct CidrRange {
  IpAddress network;
  unsigned prefix_bits = 128;  // Counted on the 128-bit (mapped) form.

  bool Contains(const IpAddress& address) const;
};

// Returns "" or a description of what is wrong with `text`.
std::string ParseCidrRange(std::string_view text, CidrRange* out);

bool InAnyRange(const std::vector<CidrRange>& ranges, const IpAddress& address);

// The client behind a connection. X-Forwarded-For is believed only when the
// peer is a trusted proxy; then the list (all header lines, in order) is read
// from the right, skipping trusted proxies, and the first other address is
// the client. If every entry is a trusted proxy, the leftmost one is. An entry
// that is not an address ends the walk: the client is the last address found
// to its right (the peer itself when the rightmost entry is malformed), since
// whatever lies further left was written by someone we do not trust.
IpAddress SelectClientAddress(const IpAddress& peer, const std::vector<std::string_view>& forwarded_for,
                              const std::vector<CidrRange>& trusted_proxies);

// A token bucket in thousandths of a token, so integer arithmetic keeps
// sub-token refills exact.
struct RateLimit {
  uint32_t per_second = 0;  // 0: unlimited.
  uint32_t burst = 0;       // Tokens a full bucket holds (at least 1).
};

struct TokenBucket {
  uint64_t milli_tokens = 0;
  uint64_t updated_ms = 0;

  static TokenBucket Full(const RateLimit& limit, uint64_t now_ms);
  // Takes one token if there is one. Otherwise returns false and, in
  // *retry_after_ms, how long until there will be.
  bool Take(const RateLimit& limit, uint64_t now_ms, uint64_t* retry_after_ms);
  bool IsFull(const RateLimit& limit, uint64_t now_ms) const;

 private:
  void Refill(const RateLimit& limit, uint64_t now_ms);
};

// The per-client table. Entries exist only while a client has a stream open
// or its publish bucket is not full again; Sweep() removes the rest, and the
// table never holds more than max_entries (past that, new clients are not
// tracked and are let through: failing open keeps a table-filling attack
// from locking everyone out, and the limit on connections still applies).
class ClientLimits {
 public:
  struct Options {
    uint32_t max_streams = 0;  // Per client; 0: unlimited.
    RateLimit publish;         // Per client.
    size_t max_entries = 65536;
  };

  enum class StreamAdmission {
    kAdmitted,   // Counted: call CloseStream() when it ends.
    kUntracked,  // Admitted without counting (no limit, or the table is full).
    kRefused,    // The client has max_streams open already.
  };

  explicit ClientLimits(Options options) : options_(options) {}

  void set_max_entries(size_t max_entries) { options_.max_entries = max_entries; }
  bool limits_streams() const { return options_.max_streams > 0; }
  bool limits_publishes() const { return options_.publish.per_second > 0; }

  StreamAdmission OpenStream(const IpAddress& client, uint64_t now_ms);
  void CloseStream(const IpAddress& client, uint64_t now_ms);

  // True when the client may publish now; otherwise *retry_after_ms says when.
  bool TakePublish(const IpAddress& client, uint64_t now_ms, uint64_t* retry_after_ms);

  // Removes entries without open streams whose bucket has refilled.
  void Sweep(uint64_t now_ms);

  size_t size() const { return entries_.size(); }
  uint32_t open_streams(const IpAddress& client) const;

 private:
  struct Entry {
    uint32_t streams = 0;
    TokenBucket bucket;
  };
  struct KeyHash {
    size_t operator()(const IpAddress& key) const;
  };

  // IPv6 clients are counted per /64: one subscriber line commonly owns a
  // whole /64, and counting single addresses would let it rotate past any limit.
  static IpAddress Key(const IpAddress& client);
  Entry* FindOrAdd(const IpAddress& client, uint64_t now_ms);

  Options options_;
  std::unordered_map<IpAddress, Entry, KeyHash> entries_;
};

}  // namespace ssebridge
