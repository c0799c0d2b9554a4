// WriteQueue: the bytes a connection still has to send, as references to
// shared frames plus a running byte count. Pure data structure: it never
// touches sockets, so its accounting and limits are unit-tested directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include <uv.h>

#include "ssebridge/frame.h"

namespace ssebridge {

class WriteQueue {
 public:
  enum class PushResult { kQueued, kOverLimit };

  // limit_bytes caps what Push() accepts; PushUnbounded() ignores it (used for
  // response heads and final chunks, which must never be dropped).
  explicit WriteQueue(size_t limit_bytes) : limit_bytes_(limit_bytes) {}

  // Queues frame's chunked or raw view. Returns kOverLimit, queuing nothing,
  // when the queue would exceed the limit. Inline: it runs once per delivery.
  PushResult Push(const FrameRef& frame, bool chunked_form) {
    std::string_view view = frame->view(chunked_form);
    if (bytes_ + view.size() > limit_bytes_) return PushResult::kOverLimit;
    Append(frame, view);
    return PushResult::kQueued;
  }
  void PushUnbounded(const FrameRef& frame, bool chunked_form);

  // Fills up to max_buffers uv_buf_t with the oldest unsent bytes. Returns the
  // number of buffers; *total receives their byte count.
  size_t Fill(uv_buf_t* buffers, size_t max_buffers, size_t* total) const;

  // Drops the first `bytes` bytes (sent by the kernel), releasing frames.
  void Consume(size_t bytes);

  // Bytes consumed (written) since construction or the last ResetWritten():
  // the access log's bytes of a stream. Clear() keeps it.
  uint64_t written() const { return written_; }
  void ResetWritten() { written_ = 0; }

  void Clear();

  size_t bytes() const { return bytes_; }
  bool empty() const { return count_ == 0; }
  size_t frame_count() const { return count_; }
  size_t limit_bytes() const { return limit_bytes_; }
  void set_limit_bytes(size_t limit) { limit_bytes_ = limit; }

 private:
  struct Entry {
    FrameRef frame;
    const char* data;  // Unsent part of the frame's view.
    size_t size;
  };

  Entry& At(size_t index) { return ring_[(head_ + index) & mask_]; }
  const Entry& At(size_t index) const { return ring_[(head_ + index) & mask_]; }
  void Grow();
  void Append(const FrameRef& frame, std::string_view view) {
    if (view.empty()) return;
    if (count_ == capacity_) Grow();
    Entry& slot = At(count_);
    slot.frame = frame;
    slot.data = view.data();
    slot.size = view.size();
    ++count_;
    bytes_ += view.size();
  }

  // A ring buffer (power-of-two size) rather than std::deque, which allocates
  // over half a kilobyte for every queue, even an idle stream's empty one.
  // Its positions are 32-bit, which leaves room for written_ in the same 56
  // bytes (every connection embeds a queue): 2^31 frames are far beyond any
  // queue, which --client-buffer-bytes (at most 16 GiB) cuts off first.
  std::unique_ptr<Entry[]> ring_;
  uint32_t capacity_ = 0;  // 0 or a power of two.
  uint32_t mask_ = 0;      // capacity_ - 1 once allocated.
  uint32_t head_ = 0;
  uint32_t count_ = 0;
  size_t bytes_ = 0;
  size_t limit_bytes_;
  uint64_t written_ = 0;
};

}  // namespace ssebridge
