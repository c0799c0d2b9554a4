#include "ssebridge/line_buffer.h"

namespace ssebridge {

bool LineBuffer::Feed(std::string_view bytes, const Sink& sink) {
  while (!bytes.empty()) {
    const size_t newline = bytes.find('\n');
    const bool complete = newline != std::string_view::npos;
    const std::string_view piece = complete ? bytes.substr(0, newline) : bytes;
    bool go_on = true;
    if (discarding_) {
      // The rest of a line already reported as too long.
      if (complete) discarding_ = false;
    } else if (partial_.size() + piece.size() > max_line_bytes_) {
      partial_.append(piece.substr(0, max_line_bytes_ - partial_.size()));
      go_on = sink(partial_, true);
      partial_.clear();
      discarding_ = !complete;
    } else if (!complete) {
      partial_.append(piece);
    } else if (partial_.empty()) {
      go_on = sink(piece, false);  // The common case: a whole line in one read, no copy.
    } else {
      partial_.append(piece);
      go_on = sink(partial_, false);
      partial_.clear();
    }
    if (!go_on) {
      partial_.clear();
      discarding_ = false;
      return false;
    }
    if (!complete) break;
    bytes.remove_prefix(newline + 1);
  }
  return true;
}

bool LineBuffer::Finish(const Sink& sink) {
  discarding_ = false;
  if (partial_.empty()) return true;
  std::string last;
  last.swap(partial_);
  return sink(last, false);
}

}  // namespace ssebridge
