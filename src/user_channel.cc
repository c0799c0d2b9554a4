#include "ssebridge/user_channel.h"

#include "ssebridge/channel.h"

namespace ssebridge {

std::string UserChannel(std::string_view user) {
  std::string channel(kUserChannelPrefix);
  channel.append(user);
  return channel;
}

bool IsOwnUserAlias(std::string_view channel) {
  return channel.size() == kUserChannelPrefix.size() + kOwnUserName.size() && IsUserChannel(channel) &&
         channel.substr(kUserChannelPrefix.size()) == kOwnUserName;
}

bool PatternCovers(std::string_view pattern, std::string_view channel) {
  return PatternMayReach(pattern, channel) && GlobMatch(pattern, channel);
}

}  // namespace ssebridge
