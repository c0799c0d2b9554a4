// JSON string literals for the few JSON documents we write by hand (error
// bodies, publish replies, envelopes, gap events): cheaper than building a
// JSON tree for one string.
#pragma once

#include <string>
#include <string_view>

namespace ssebridge {

// Escapes a string as a JSON string literal including the quotes. Bytes are
// passed through as they are (the text is expected to be UTF-8); only '"',
// '\\' and control characters are escaped.
std::string JsonQuote(std::string_view text);
void AppendJsonQuoted(std::string* out, std::string_view text);  // JsonQuote, appended.

}  // namespace ssebridge
