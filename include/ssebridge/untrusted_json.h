// Untrusted JSON: parsing JSON that comes from the network (publish bodies,
// Redis payloads) so that no input can exhaust the stack or the CPU.
//
// nlohmann_json parses without recursion, but it serializes (dump()), copies
// and compares documents recursively, so a document nested tens of thousands
// of levels deep overflows the stack after it parsed fine. And ordered_json,
// which keeps the publisher's key order, finds duplicate keys by a linear
// search per key, so an object with 100,000 members takes seconds to build.
// ParseUntrustedJson() closes both holes: it refuses text nesting deeper than
// kMaxJsonDepth before the parser sees it, and builds objects with a hash
// index, so the whole parse is linear in the size of the text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ssebridge {

// The deepest nesting of arrays and objects accepted from the network, the
// outermost level included: {"data":[1]} nests 2 levels. Far beyond what any
// real message needs, and far below what the recursive parts of nlohmann_json
// survive on a 64 KiB stack.
constexpr size_t kMaxJsonDepth = 64;

// True when some point of `text` lies inside more than `max_depth` open
// arrays and objects. One linear pass without recursion or allocation; it
// stops at the first level too deep. Brackets inside strings do not count.
// The text is not validated: for malformed JSON the answer still bounds the
// depth a parser reaches before it finds the error.
bool JsonNestsDeeperThan(std::string_view text, size_t max_depth);

enum class JsonParseStatus { kOk, kInvalid, kTooDeep };

// Parses `text` as one JSON document into *out, exactly as
// nlohmann::ordered_json::parse() would (a repeated key keeps its first
// position and takes the last value), in time linear in the text. Returns
// kTooDeep, without parsing, when the text nests deeper than kMaxJsonDepth;
// kInvalid when it is not JSON. *out is unspecified unless kOk.
JsonParseStatus ParseUntrustedJson(std::string_view text, nlohmann::ordered_json* out);

// ParseUntrustedJson for a request body that must be a JSON object: "" when
// it is, else what the client is told in its 400.
std::string ParseUntrustedJsonObject(std::string_view body, nlohmann::ordered_json* out);

}  // namespace ssebridge
