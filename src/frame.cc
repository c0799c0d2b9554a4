#include "ssebridge/frame.h"

#include <cassert>
#include <cstdio>

namespace ssebridge {

FrameRef Frame::Seal(std::string buffer, uint64_t id) {
  assert(buffer.size() >= kHeaderRoom);
  auto* frame = new Frame();
  frame->id_ = id;
  frame->raw_size_ = static_cast<uint32_t>(buffer.size() - kHeaderRoom);
  // Write "<hex>\r\n" right-aligned into the reserved room so the chunked view
  // and the raw view share the payload bytes.
  char header[kHeaderRoom + 1];
  int length = snprintf(header, sizeof header, "%x\r\n", static_cast<unsigned>(frame->raw_size_));
  frame->chunk_offset_ = static_cast<uint32_t>(kHeaderRoom - length);
  buffer.replace(frame->chunk_offset_, static_cast<size_t>(length), header, static_cast<size_t>(length));
  buffer.append("\r\n", 2);
  frame->bytes_ = std::move(buffer);
  return FrameRef(frame);
}

FrameRef Frame::FromPayload(std::string_view payload) {
  std::string buffer = StartBuffer();
  buffer.append(payload);
  return Seal(std::move(buffer));
}

}  // namespace ssebridge
