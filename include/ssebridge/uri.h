// Percent-decoding and query-string splitting (RFC 3986 / WHATWG urlencoded).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ssebridge {

// The value of one hexadecimal digit (either case), or -1.
int HexDigitValue(char c);

// ASCII case-insensitive equality, as HTTP uses for tokens and media types
// (no locale lookups).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Decodes %XX escapes; with plus_as_space, '+' becomes ' ' (form encoding).
// Returns nullopt for a malformed escape such as "%G1" or a trailing "%4".
std::optional<std::string> PercentDecode(std::string_view text, bool plus_as_space);

// Splits "a=1&b=2&b=3" into decoded pairs in order. Malformed escapes keep the
// raw text rather than failing the whole request: callers validate values.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);

// Splits a path rest such as "a/b%20c//d" at '/' into its non-empty segments,
// each percent-decoded ('+' stays a plus sign). nullopt for a malformed escape.
std::optional<std::vector<std::string>> DecodePathSegments(std::string_view rest);

// Splits a request target into path and query (without '?'); drops any fragment.
void SplitTarget(std::string_view target, std::string_view* path, std::string_view* query);

// The value of cookie `name` in a Cookie header ("a=1; b=2"), if present;
// the value as sent (not decoded).
std::optional<std::string_view> CookieValue(std::string_view header, std::string_view name);

}  // namespace ssebridge
