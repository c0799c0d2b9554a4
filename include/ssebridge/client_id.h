// Client ids (server-event-mgr compatibility): the name a registered stream
// is known by to the /clients endpoints and its private channel
// "client:<id>". Pure apart from the random source.
#pragma once

#include <string>
#include <string_view>

namespace ssebridge {

// Ids chosen by clients: 16 to 64 characters of A-Z, a-z, 0-9, '-' and '_'
// (URL- and header-safe, and long enough that guessing one is hopeless when
// the client picks it at random).
inline constexpr size_t kMinClientIdLength = 16;
inline constexpr size_t kMaxClientIdLength = 64;

// A new id: 128 bits from the kernel's CSPRNG (getrandom(2)) as 32 lower-case
// hex digits. Empty when the kernel gave no randomness (the caller answers 503).
std::string NewClientId();

// "" when `id` is acceptable, else the reason (for a 400).
std::string CheckClientId(std::string_view id);

// "client:<id>": the channel every registered stream is subscribed to.
std::string PrivateChannel(std::string_view id);

}  // namespace ssebridge
