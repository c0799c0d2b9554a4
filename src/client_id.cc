#include "ssebridge/client_id.h"

#include <cstdint>

#include "ssebridge/secure_random.h"

namespace ssebridge {

std::string NewClientId() {
  uint8_t bytes[16];
  if (!SecureRandomBytes(bytes, sizeof(bytes))) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(2 * sizeof(bytes));
  for (uint8_t byte : bytes) {
    id.push_back(kHex[byte >> 4]);
    id.push_back(kHex[byte & 15]);
  }
  return id;
}

std::string CheckClientId(std::string_view id) {
  if (id.size() < kMinClientIdLength || id.size() > kMaxClientIdLength) {
    return "client_id must be " + std::to_string(kMinClientIdLength) + " to " + std::to_string(kMaxClientIdLength) +
           " characters long";
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return "client_id may contain only A-Z, a-z, 0-9, '-' and '_'";
  }
  return "";
}

std::string PrivateChannel(std::string_view id) {
  std::string channel = "client:";
  channel.append(id);
  return channel;
}

}  // namespace ssebridge
