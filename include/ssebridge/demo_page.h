// The demo page served at GET / (compiled into the binary).
#pragma once

#include <string_view>

namespace ssebridge {

std::string_view DemoPageHtml();

}  // namespace ssebridge
