// libFuzzer target: POST /publish bodies, JSON and form-encoded. Properties:
// no input crashes or recurses without bound; an accepted request has 1..max
// distinct valid channels; the size bound used for the 413 check is never
// below the frame actually encoded for the request; and JSON data is compact
// text that parses back (so an envelope can embed it verbatim).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "ssebridge/channel.h"
#include "ssebridge/envelope.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/publish_request.h"
#include "ssebridge/untrusted_json.h"

namespace {

constexpr size_t kMaxChannels = 5;

void Check(std::string_view content_type, std::string_view body) {
  ssebridge::PublishRequest request;
  ssebridge::PublishParseResult result = ssebridge::ParsePublishRequest(content_type, body, kMaxChannels, &request);
  if (!result.error.empty()) {
    if (result.status != 400 && result.status != 415) abort();
    return;
  }
  if (request.channels.empty() || request.channels.size() > kMaxChannels) abort();
  std::set<std::string> unique(request.channels.begin(), request.channels.end());
  if (unique.size() != request.channels.size()) abort();
  for (const std::string& channel : request.channels) {
    if (!ssebridge::ValidateChannelName(channel).empty() || ssebridge::IsPattern(channel)) abort();
  }
  ssebridge::Message message;
  message.id = "18446744073709551615";
  message.event = request.event;
  message.data = request.data;
  if (ssebridge::EncodeMessageFrame(message)->chunked().size() != ssebridge::MaxPublishedFrameSize(request)) abort();
  if (request.data_is_json) {
    nlohmann::ordered_json reparsed;
    if (ssebridge::ParseUntrustedJson(request.data, &reparsed) != ssebridge::JsonParseStatus::kOk) abort();
    if (reparsed.dump() != request.data) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Check("application/json", input);
  Check("application/x-www-form-urlencoded", input);
  return 0;
}
