// LineBuffer: splits a byte stream that arrives in arbitrary pieces into
// '\n'-terminated lines, with a bound on the length of one line. Used by the
// control port and the FIFO (control_listener, fifo_reader). Pure.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace ssebridge {

// Longest control line (channel, type and data together); a longer one is
// skipped whole.
constexpr size_t kMaxControlLineBytes = 64 * 1024;

// What a line source (control port, FIFO) hands each complete line to.
// `source` names where it came from, for log lines ("control 127.0.0.1:40112",
// "fifo /run/sse.fifo").
using LineHandler = std::function<void(std::string_view line, const std::string& source)>;

class LineBuffer {
 public:
  explicit LineBuffer(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  // Called once per line, without its '\n'. `too_long`: the line exceeded the
  // bound; `line` is then only its first max_line_bytes bytes, and the rest of
  // it up to the next '\n' is dropped. Returns false to stop: the remaining
  // bytes of this Feed are discarded (a "halt" closed the source).
  using Sink = std::function<bool(std::string_view line, bool too_long)>;

  // Returns false when the sink stopped it.
  bool Feed(std::string_view bytes, const Sink& sink);
  // End of input: a last line without '\n' is delivered. The buffer is empty
  // afterwards and may be fed again.
  bool Finish(const Sink& sink);

  // Bytes of an incomplete line held.
  size_t pending_bytes() const { return partial_.size(); }

 private:
  const size_t max_line_bytes_;
  std::string partial_;      // The incomplete line so far.
  bool discarding_ = false;  // Inside a too-long line already reported.
};

}  // namespace ssebridge
