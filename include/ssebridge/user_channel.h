// User channels: the channel `user:<subject>` belongs to the client whose
// credential names that subject (a JWT's "sub", or the subject an
// application's answer gives). This module holds the naming rules and the
// one matching rule that keeps user channels private: a pattern reaches a
// user channel only when the pattern itself starts with "user:". So "*",
// "u*" or "[u]ser:*" never see per-user messages, in the live fan-out
// (embedded and Redis), in history replay and in token grants alike;
// "user:*" does, and is allowed only to a token that lists a grant starting
// with "user:" (authorizer.h). Pure: no I/O.
#pragma once

#include <string>
#include <string_view>

namespace ssebridge {

inline constexpr std::string_view kUserChannelPrefix = "user:";
// `user:me` (and `?user=me`) stands for the subscriber's own user channel.
inline constexpr std::string_view kOwnUserName = "me";

// True for a name (channel or pattern) starting with "user:".
inline bool IsUserChannel(std::string_view name) {
  return name.size() >= kUserChannelPrefix.size() && name.substr(0, kUserChannelPrefix.size()) == kUserChannelPrefix;
}

// "user:" + name.
std::string UserChannel(std::string_view user);

// True for `user:me`, the alias of the subscriber's own channel.
bool IsOwnUserAlias(std::string_view channel);

// GlobMatch(pattern, channel) under the rule above: false for a user
// channel unless the pattern starts with "user:".
bool PatternCovers(std::string_view pattern, std::string_view channel);

// Whether a pattern subscription `source` may pass a message published on
// `channel` (the Redis relay: Redis matched it already, only the user rule
// is left to apply).
inline bool PatternMayReach(std::string_view source, std::string_view channel) {
  return !IsUserChannel(channel) || IsUserChannel(source);
}

}  // namespace ssebridge
