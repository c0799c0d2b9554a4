// Frame: immutable, reference-counted bytes shared by every connection a
// message is fanned out to. A message is encoded once; each subscriber's write
// queue holds a reference, never a copy.
//
// The buffer carries both wire forms of the same bytes: the HTTP/1.1 chunked
// form ("<hex>\r\n" + payload + "\r\n") and the raw payload used by
// close-delimited HTTP/1.0 streams. Both are views into one allocation.
//
// Reference counts are not atomic: frames live on the single loop thread.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace ssebridge {

class Frame;

class FrameRef {
 public:
  FrameRef() = default;
  explicit FrameRef(Frame* frame);  // Adopts one reference.
  FrameRef(const FrameRef& other);
  FrameRef(FrameRef&& other) noexcept : frame_(std::exchange(other.frame_, nullptr)) {}
  // Spelled out rather than copy-and-swap: a write queue assigns a frame into
  // an empty slot once per delivery, and this is the cheapest form of it.
  FrameRef& operator=(const FrameRef& other) noexcept;
  FrameRef& operator=(FrameRef&& other) noexcept {
    std::swap(frame_, other.frame_);
    return *this;
  }
  ~FrameRef();

  const Frame* get() const { return frame_; }
  const Frame* operator->() const { return frame_; }

  // Records when the frame's message entered fan-out (see Frame::fanout_us).
  // Called once, by PubsubRegistry::LazyFrame, before any queue holds it.
  inline void StampFanOut(uint32_t microseconds);
  explicit operator bool() const { return frame_ != nullptr; }

 private:
  Frame* frame_ = nullptr;
};

class Frame {
 public:
  // Room reserved in front of the payload for the chunk-size line.
  static constexpr size_t kHeaderRoom = 10;

  // Starts a buffer for a payload: append the payload after the reserved room,
  // then pass the string to Seal().
  static std::string StartBuffer() { return std::string(kHeaderRoom, '\0'); }

  // Turns a buffer from StartBuffer() (with the payload appended) into a frame.
  // id: the message's resumable id, or 0 for frames that are not messages
  // (heartbeats, response heads) or messages that cannot be resumed.
  static FrameRef Seal(std::string buffer, uint64_t id = 0);

  // The size of the chunked form of a payload of raw_size bytes:
  // "<hex>\r\n" + payload + "\r\n". It is what a chunked stream queues, and
  // never less than the raw form a close-delimited stream queues.
  static size_t ChunkedSize(size_t raw_size) {
    size_t hex_digits = 1;
    for (size_t rest = raw_size >> 4; rest != 0; rest >>= 4) ++hex_digits;
    return hex_digits + 2 + raw_size + 2;
  }

  // Convenience for small control payloads.
  static FrameRef FromPayload(std::string_view payload);

  // Takes bytes that are only ever written as they are (HTTP response heads and
  // bodies), without copying them; such a frame has no chunked form.
  static FrameRef AdoptRaw(std::string bytes);

  std::string_view chunked() const {
    assert(has_chunked_form_);
    return std::string_view(bytes_.data() + chunk_offset_, bytes_.size() - chunk_offset_);
  }
  std::string_view raw() const { return std::string_view(bytes_.data() + raw_offset_, raw_size_); }
  std::string_view view(bool chunked_form) const { return chunked_form ? chunked() : raw(); }
  size_t raw_size() const { return raw_size_; }
  // The capacity of the buffer holding the bytes, for memory accounting.
  size_t buffer_capacity() const { return bytes_.capacity(); }
  uint64_t id() const { return id_; }
  // The low 32 bits of the loop's clock in microseconds (uv_hrtime() / 1000)
  // when the message entered fan-out, or 0 for frames that never did
  // (heartbeats, response heads, messages read back from Redis for a resume).
  // Wrapping every 71 minutes does not matter: only differences of a few
  // seconds are ever taken (ssebridge_publish_to_write_seconds).
  uint32_t fanout_us() const { return fanout_us_; }

 private:
  friend class FrameRef;
  Frame() = default;

  // The offsets are at most kHeaderRoom, so one byte each leaves room for
  // the fan-out stamp without making a frame (one per message) any larger.
  uint32_t refs_ = 1;
  uint32_t raw_size_ = 0;
  uint32_t fanout_us_ = 0;
  uint8_t chunk_offset_ = 0;
  uint8_t raw_offset_ = kHeaderRoom;
  bool has_chunked_form_ = true;
  uint64_t id_ = 0;
  std::string bytes_;
};

static_assert(Frame::kHeaderRoom <= 255, "frame offsets are stored in one byte");

inline FrameRef::FrameRef(Frame* frame) : frame_(frame) {}
inline FrameRef::FrameRef(const FrameRef& other) : frame_(other.frame_) {
  if (frame_) ++frame_->refs_;
}
inline FrameRef& FrameRef::operator=(const FrameRef& other) noexcept {
  Frame* previous = frame_;
  frame_ = other.frame_;
  if (frame_) ++frame_->refs_;
  if (previous && --previous->refs_ == 0) delete previous;
  return *this;
}
inline void FrameRef::StampFanOut(uint32_t microseconds) { frame_->fanout_us_ = microseconds == 0 ? 1 : microseconds; }
inline FrameRef::~FrameRef() {
  if (frame_ && --frame_->refs_ == 0) delete frame_;
}

}  // namespace ssebridge
