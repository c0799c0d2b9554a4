#include "ssebridge/write_queue.h"

#include <cassert>

namespace ssebridge {

void WriteQueue::Grow() {
  // 2^31 frames would take tens of gigabytes of frame references: the byte
  // limit ends a queue long before, so reaching it is a bug, not a load.
  assert(capacity_ < (1u << 31));
  const uint32_t capacity = capacity_ ? capacity_ * 2 : 4;
  std::unique_ptr<Entry[]> larger(new Entry[capacity]());
  for (uint32_t i = 0; i < count_; ++i) larger[i] = std::move(At(i));
  ring_ = std::move(larger);
  capacity_ = capacity;
  mask_ = capacity - 1;
  head_ = 0;
}

void WriteQueue::PushUnbounded(const FrameRef& frame, bool chunked_form) {
  Append(frame, frame->view(chunked_form));
}

size_t WriteQueue::Fill(uv_buf_t* buffers, size_t max_buffers, size_t* total) const {
  size_t count = 0;
  size_t bytes = 0;
  for (; count < count_ && count < max_buffers; ++count) {
    const Entry& entry = At(count);
    // Filled directly: uv_buf_init is a call into libuv per buffer.
    buffers[count].base = const_cast<char*>(entry.data);
    buffers[count].len = entry.size;
    bytes += entry.size;
  }
  *total = bytes;
  return count;
}

void WriteQueue::Consume(size_t bytes) {
  assert(bytes <= bytes_);
  bytes_ -= bytes;
  written_ += bytes;
  while (bytes > 0) {
    Entry& front = At(0);
    if (bytes < front.size) {
      front.data += bytes;
      front.size -= bytes;
      return;
    }
    bytes -= front.size;
    front = Entry{};  // Releases the frame now, not when the slot is reused.
    head_ = (head_ + 1) & mask_;
    --count_;
  }
  // After a burst, give the memory back: idle streams stay small.
  if (count_ == 0 && capacity_ > 64) Clear();
}

void WriteQueue::Clear() {
  ring_.reset();
  capacity_ = 0;
  mask_ = 0;
  head_ = 0;
  count_ = 0;
  bytes_ = 0;
}

}  // namespace ssebridge
