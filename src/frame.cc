#include "ssebridge/frame.h"

namespace ssebridge {

FrameRef Frame::Seal(std::string buffer, uint64_t id) {
  assert(buffer.size() >= kHeaderRoom);
  auto* frame = new Frame();
  frame->id_ = id;
  frame->raw_size_ = static_cast<uint32_t>(buffer.size() - kHeaderRoom);
  // Write "<hex>\r\n" right-aligned into the reserved room so the chunked view
  // and the raw view share the payload bytes.
  // Hex digits written backwards, right before the payload.
  static const char kHex[] = "0123456789abcdef";
  size_t position = kHeaderRoom;
  buffer[--position] = '\n';
  buffer[--position] = '\r';
  uint32_t size = frame->raw_size_;
  do {
    buffer[--position] = kHex[size & 15];
    size >>= 4;
  } while (size != 0);
  frame->chunk_offset_ = static_cast<uint8_t>(position);
  buffer.append("\r\n", 2);
  frame->bytes_ = std::move(buffer);
  return FrameRef(frame);
}

FrameRef Frame::FromPayload(std::string_view payload) {
  std::string buffer = StartBuffer();
  buffer.append(payload);
  return Seal(std::move(buffer));
}

FrameRef Frame::AdoptRaw(std::string bytes) {
  auto* frame = new Frame();
  frame->raw_offset_ = 0;
  frame->has_chunked_form_ = false;
  frame->raw_size_ = static_cast<uint32_t>(bytes.size());
  frame->bytes_ = std::move(bytes);
  return FrameRef(frame);
}

}  // namespace ssebridge
