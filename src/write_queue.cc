#include "ssebridge/write_queue.h"

#include <cassert>

namespace ssebridge {

WriteQueue::PushResult WriteQueue::Push(const FrameRef& frame, bool chunked_form) {
  std::string_view view = frame->view(chunked_form);
  if (bytes_ + view.size() > limit_bytes_) return PushResult::kOverLimit;
  PushUnbounded(frame, chunked_form);
  return PushResult::kQueued;
}

void WriteQueue::Grow() {
  std::vector<Entry> larger(ring_.empty() ? 4 : ring_.size() * 2);
  for (size_t i = 0; i < count_; ++i) larger[i] = std::move(At(i));
  ring_ = std::move(larger);
  head_ = 0;
}

void WriteQueue::PushUnbounded(const FrameRef& frame, bool chunked_form) {
  std::string_view view = frame->view(chunked_form);
  if (view.empty()) return;
  if (count_ == ring_.size()) Grow();
  At(count_) = Entry{frame, view.data(), view.size()};
  ++count_;
  bytes_ += view.size();
}

size_t WriteQueue::Fill(uv_buf_t* buffers, size_t max_buffers, size_t* total) const {
  size_t count = 0;
  size_t bytes = 0;
  for (; count < count_ && count < max_buffers; ++count) {
    const Entry& entry = At(count);
    buffers[count] = uv_buf_init(const_cast<char*>(entry.data), static_cast<unsigned>(entry.size));
    bytes += entry.size;
  }
  *total = bytes;
  return count;
}

void WriteQueue::Consume(size_t bytes) {
  assert(bytes <= bytes_);
  bytes_ -= bytes;
  while (bytes > 0) {
    Entry& front = At(0);
    if (bytes < front.size) {
      front.data += bytes;
      front.size -= bytes;
      return;
    }
    bytes -= front.size;
    front = Entry{};  // Releases the frame now, not when the slot is reused.
    head_ = (head_ + 1) & (ring_.size() - 1);
    --count_;
  }
  // After a burst, give the memory back: idle streams stay small.
  if (count_ == 0 && ring_.size() > 64) Clear();
}

void WriteQueue::Clear() {
  std::vector<Entry>().swap(ring_);
  head_ = 0;
  count_ = 0;
  bytes_ = 0;
}

}  // namespace ssebridge
