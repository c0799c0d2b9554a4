// The manual page ssebridge(1), written from the option table
// (config_options) that the binary parses its flags with, so the page lists
// exactly the options, environment variables and defaults the program has.
// The build runs `ssebridge --print-man` to produce it (CMakeLists.txt).
#pragma once

#include <string>

#include "ssebridge/config_options.h"

namespace ssebridge {

// The default an option's help text states in its "(default ...)" clause,
// without the parentheses, or "" when the text names none.
std::string OptionDefault(const OptionSpec& option);

// Escapes text for roff: backslashes, hyphens (so they stay minus signs that
// can be searched and copied) and a leading '.' or '\''.
std::string RoffEscape(const std::string& text);

// The whole page in man(7) format. `version` appears in the page's footer.
std::string ManPage(const std::string& version);

}  // namespace ssebridge
