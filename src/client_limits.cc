#include "ssebridge/client_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace ssebridge {
namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool IpAddress::is_v4() const { return memcmp(bytes.data(), kMappedPrefix, sizeof kMappedPrefix) == 0; }

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = "";
  if (is_v4()) {
    inet_ntop(AF_INET, bytes.data() + 12, text, sizeof text);
  } else {
    inet_ntop(AF_INET6, bytes.data(), text, sizeof text);
  }
  return text;
}

bool ParseIpAddress(std::string_view text, IpAddress* out) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  // inet_pton needs a terminated string; no valid address is this long.
  char buffer[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buffer) return false;
  memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  IpAddress address;
  if (inet_pton(AF_INET, buffer, address.bytes.data() + 12) == 1) {
    memcpy(address.bytes.data(), kMappedPrefix, sizeof kMappedPrefix);
  } else if (inet_pton(AF_INET6, buffer, address.bytes.data()) != 1) {
    return false;
  }
  *out = address;
  return true;
}

bool IsLoopback(const IpAddress& address) {
  if (address.is_v4()) return address.bytes[12] == 127;
  static const std::array<uint8_t, 16> kIpv6Loopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return address.bytes == kIpv6Loopback;
}

bool IpAddressFromSockaddr(const sockaddr* address, IpAddress* out) {
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    IpAddress result;
    memcpy(result.bytes.data(), kMappedPrefix, sizeof kMappedPrefix);
    memcpy(result.bytes.data() + 12, &v4->sin_addr, 4);
    *out = result;
    return true;
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    memcpy(out->bytes.data(), &v6->sin6_addr, 16);
    return true;
  }
  if (address->sa_family == AF_UNIX) {
    static constexpr uint8_t kLoopback[4] = {127, 0, 0, 1};
    IpAddress result;
    memcpy(result.bytes.data(), kMappedPrefix, sizeof kMappedPrefix);
    memcpy(result.bytes.data() + 12, kLoopback, sizeof kLoopback);
    *out = result;
    return true;
  }
  return false;
}

bool CidrRange::Contains(const IpAddress& address) const {
  unsigned full_bytes = prefix_bits / 8;
  if (memcmp(network.bytes.data(), address.bytes.data(), full_bytes) != 0) return false;
  unsigned rest = prefix_bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (network.bytes[full_bytes] & mask) == (address.bytes[full_bytes] & mask);
}

std::string ParseCidrRange(std::string_view text, CidrRange* out) {
  std::string_view address_text = text;
  std::string_view bits_text;
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    address_text = text.substr(0, slash);
    bits_text = text.substr(slash + 1);
  }
  CidrRange range;
  if (!ParseIpAddress(address_text, &range.network)) {
    return "expected an IPv4 or IPv6 address or range (10.0.0.0/8, fd00::/8), got '" + std::string(text) + "'";
  }
  // Written as IPv4, the prefix counts IPv4 bits; written as IPv6 (even
  // ::ffff:a.b.c.d), it counts IPv6 bits.
  const bool v4_text = address_text.find(':') == std::string_view::npos;
  const unsigned max_bits = v4_text ? 32 : 128;
  unsigned bits = max_bits;
  if (slash != std::string_view::npos) {
    if (bits_text.empty() || bits_text.size() > 3 || bits_text.find_first_not_of("0123456789") != std::string_view::npos) {
      return "bad prefix length in '" + std::string(text) + "'";
    }
    bits = static_cast<unsigned>(std::stoul(std::string(bits_text)));
    if (bits > max_bits) return "prefix length above " + std::to_string(max_bits) + " in '" + std::string(text) + "'";
  }
  // IPv4 prefixes count from the start of the mapped form.
  range.prefix_bits = v4_text ? 96 + bits : bits;
  // Clear host bits so the range prints and compares canonically.
  for (unsigned i = range.prefix_bits; i < 128; ++i) range.network.bytes[i / 8] &= static_cast<uint8_t>(~(0x80u >> (i % 8)));
  *out = range;
  return "";
}

bool InAnyRange(const std::vector<CidrRange>& ranges, const IpAddress& address) {
  for (const CidrRange& range : ranges) {
    if (range.Contains(address)) return true;
  }
  return false;
}

IpAddress SelectClientAddress(const IpAddress& peer, const std::vector<std::string_view>& forwarded_for,
                              const std::vector<CidrRange>& trusted_proxies) {
  if (!InAnyRange(trusted_proxies, peer)) return peer;
  IpAddress client = peer;
  // Walk the comma-separated entries of all lines from the right.
  for (auto line = forwarded_for.rbegin(); line != forwarded_for.rend(); ++line) {
    std::string_view rest = *line;
    while (true) {
      size_t comma = rest.rfind(',');
      std::string_view entry = Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
      if (!entry.empty()) {
        IpAddress address;
        if (!ParseIpAddress(entry, &address)) return client;
        client = address;
        if (!InAnyRange(trusted_proxies, address)) return client;
      }
      if (comma == std::string_view::npos) break;
      rest = rest.substr(0, comma);
    }
  }
  return client;
}

TokenBucket TokenBucket::Full(const RateLimit& limit, uint64_t now_ms) {
  TokenBucket bucket;
  bucket.milli_tokens = static_cast<uint64_t>(std::max<uint32_t>(limit.burst, 1)) * 1000;
  bucket.updated_ms = now_ms;
  return bucket;
}

void TokenBucket::Refill(const RateLimit& limit, uint64_t now_ms) {
  const uint64_t capacity = static_cast<uint64_t>(std::max<uint32_t>(limit.burst, 1)) * 1000;
  if (now_ms > updated_ms) {
    // rate tokens per second = rate milli-tokens per millisecond.
    milli_tokens = std::min(capacity, milli_tokens + (now_ms - updated_ms) * limit.per_second);
    updated_ms = now_ms;
  }
}

bool TokenBucket::Take(const RateLimit& limit, uint64_t now_ms, uint64_t* retry_after_ms) {
  Refill(limit, now_ms);
  if (milli_tokens >= 1000) {
    milli_tokens -= 1000;
    return true;
  }
  if (retry_after_ms != nullptr) {
    const uint64_t rate = std::max<uint32_t>(limit.per_second, 1);
    *retry_after_ms = (1000 - milli_tokens + rate - 1) / rate;
  }
  return false;
}

bool TokenBucket::IsFull(const RateLimit& limit, uint64_t now_ms) const {
  TokenBucket copy = *this;
  copy.Refill(limit, now_ms);
  return copy.milli_tokens >= static_cast<uint64_t>(std::max<uint32_t>(limit.burst, 1)) * 1000;
}

size_t ClientLimits::KeyHash::operator()(const IpAddress& key) const {
  uint64_t high;
  uint64_t low;
  memcpy(&high, key.bytes.data(), 8);
  memcpy(&low, key.bytes.data() + 8, 8);
  return std::hash<uint64_t>()(high * 0x9e3779b97f4a7c15ull ^ low);
}

IpAddress ClientLimits::Key(const IpAddress& client) {
  if (client.is_v4()) return client;
  IpAddress key = client;
  std::fill(key.bytes.begin() + 8, key.bytes.end(), 0);
  return key;
}

ClientLimits::Entry* ClientLimits::FindOrAdd(const IpAddress& client, uint64_t now_ms) {
  const IpAddress key = Key(client);
  auto it = entries_.find(key);
  if (it != entries_.end()) return &it->second;
  if (entries_.size() >= options_.max_entries) {
    Sweep(now_ms);
    if (entries_.size() >= options_.max_entries) return nullptr;
  }
  Entry entry;
  entry.bucket = TokenBucket::Full(options_.publish, now_ms);
  return &entries_.emplace(key, entry).first->second;
}

ClientLimits::StreamAdmission ClientLimits::OpenStream(const IpAddress& client, uint64_t now_ms) {
  if (!limits_streams()) return StreamAdmission::kUntracked;
  Entry* entry = FindOrAdd(client, now_ms);
  if (entry == nullptr) return StreamAdmission::kUntracked;
  if (entry->streams >= options_.max_streams) return StreamAdmission::kRefused;
  ++entry->streams;
  return StreamAdmission::kAdmitted;
}

void ClientLimits::CloseStream(const IpAddress& client, uint64_t /*now_ms*/) {
  auto it = entries_.find(Key(client));
  if (it != entries_.end() && it->second.streams > 0) --it->second.streams;
}

bool ClientLimits::TakePublish(const IpAddress& client, uint64_t now_ms, uint64_t* retry_after_ms) {
  if (!limits_publishes()) return true;
  Entry* entry = FindOrAdd(client, now_ms);
  if (entry == nullptr) return true;
  return entry->bucket.Take(options_.publish, now_ms, retry_after_ms);
}

void ClientLimits::Sweep(uint64_t now_ms) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.streams == 0 && (!limits_publishes() || it->second.bucket.IsFull(options_.publish, now_ms))) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

uint32_t ClientLimits::open_streams(const IpAddress& client) const {
  auto it = entries_.find(Key(client));
  return it == entries_.end() ? 0 : it->second.streams;
}

}  // namespace ssebridge
