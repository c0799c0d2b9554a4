// One text line of the control port or the FIFO, in the W3C SSE-Server
// grammar (docs/compat.md):
//
//   channel/type = data    an event of `type` with `data` on `channel`
//   channel = data         the same with the default type "message"
//   status | halt          commands (the caller decides whether they are allowed)
//
// Spaces, tabs and CRs at both ends and around the first '=' are ignored; the
// channel ends at the first '/', so the type may hold further slashes and the
// data further '=' signs. A blank line is nothing. Pure: no I/O, no logging.
#pragma once

#include <string>
#include <string_view>

#include "ssebridge/publish_request.h"

namespace ssebridge {

struct ControlLine {
  enum class Kind { kBlank, kPublish, kStatus, kHalt, kInvalid };
  Kind kind = Kind::kBlank;
  PublishRequest publish;  // kPublish: one channel, the event ("" = message) and the data.
  std::string error;       // kInvalid: why the line is skipped.
};

// `line` is one line without its '\n'.
ControlLine ParseControlLine(std::string_view line);

}  // namespace ssebridge
