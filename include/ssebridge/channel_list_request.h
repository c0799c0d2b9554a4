// The body of POST /clients/<id>/channels: the channels and patterns to add
// to a live stream, validated like a subscription's. Pure.
//
//   application/json                    {"channels": ["a", "b.*"]} and/or {"channel": "c"}
//   application/x-www-form-urlencoded   channel=a&channels=b.*
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ssebridge {

struct ChannelListParseResult {
  int status = 200;   // 400 or 415 on error.
  std::string error;  // Empty on success.
};

// Fills *out (which must be empty) with the distinct names, in first-seen
// order; at most `max_channels` of them.
ChannelListParseResult ParseChannelListRequest(std::string_view content_type, std::string_view body,
                                               size_t max_channels, std::vector<std::string>* out);

}  // namespace ssebridge
