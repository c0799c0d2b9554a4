// libFuzzer target: Redis payloads through envelope decoding, as
// RedisBroker::Deliver sees them. Properties: no input crashes or recurses
// without bound; a payload refused as too deep really nests deeper than
// kMaxJsonDepth; a decoded envelope has a valid event and id; and the frame
// size the broker checks against --client-buffer-bytes is the exact size of
// the frame it would queue.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ssebridge/envelope.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/sse.h"
#include "ssebridge/untrusted_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view payload(reinterpret_cast<const char*>(data), size);
  ssebridge::Message message;
  bool too_deep = false;
  const bool decoded = ssebridge::DecodeEnvelope(payload, &message, &too_deep);
  if (too_deep && (decoded || !ssebridge::JsonNestsDeeperThan(payload, ssebridge::kMaxJsonDepth))) abort();
  if (decoded) {
    if (message.event.empty() || !ssebridge::IsValidSseFieldValue(message.event)) abort();
    if (!ssebridge::IsValidSseFieldValue(message.id)) abort();
  } else {
    message = ssebridge::Message();
    message.data.assign(payload.data(), payload.size());
  }
  if (ssebridge::MessageFrameSize(message) != ssebridge::EncodeMessageFrame(message)->chunked().size()) abort();
  return 0;
}
