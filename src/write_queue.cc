#include "ssebridge/write_queue.h"

#include <cassert>

namespace ssebridge {

WriteQueue::PushResult WriteQueue::Push(const FrameRef& frame, bool chunked_form) {
  std::string_view view = frame->view(chunked_form);
  if (bytes_ + view.size() > limit_bytes_) return PushResult::kOverLimit;
  PushUnbounded(frame, chunked_form);
  return PushResult::kQueued;
}

void WriteQueue::PushUnbounded(const FrameRef& frame, bool chunked_form) {
  std::string_view view = frame->view(chunked_form);
  if (view.empty()) return;
  entries_.push_back(Entry{frame, view.data(), view.size()});
  bytes_ += view.size();
}

size_t WriteQueue::Fill(uv_buf_t* buffers, size_t max_buffers, size_t* total) const {
  size_t count = 0;
  size_t bytes = 0;
  for (const Entry& entry : entries_) {
    if (count == max_buffers) break;
    buffers[count] = uv_buf_init(const_cast<char*>(entry.data), static_cast<unsigned>(entry.size));
    bytes += entry.size;
    ++count;
  }
  *total = bytes;
  return count;
}

void WriteQueue::Consume(size_t bytes) {
  assert(bytes <= bytes_);
  bytes_ -= bytes;
  while (bytes > 0) {
    Entry& front = entries_.front();
    if (bytes < front.size) {
      front.data += bytes;
      front.size -= bytes;
      return;
    }
    bytes -= front.size;
    entries_.pop_front();
  }
}

void WriteQueue::Clear() {
  entries_.clear();
  bytes_ = 0;
}

}  // namespace ssebridge
