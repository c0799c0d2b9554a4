// JsonFastReader: a strict, allocation-light reader for the few JSON shapes
// the hot paths see (a publish request body, a Redis envelope). It reads
// whitespace, strings (all escapes, surrogate pairs, UTF-8 validated),
// punctuation and the literals true/false. Anything it does not expect makes
// a call return false, and callers fall back to the full JSON parser, so the
// fast paths never decide a case the full parser would decide differently
// (checked by a differential fuzzer, test/fuzz/message_fuzz.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ssebridge {

class JsonFastReader {
 public:
  explicit JsonFastReader(std::string_view text) : text_(text) {}

  void SkipSpace();
  bool Consume(char c);  // Skips whitespace, then takes `c` if it is next.
  bool Peek(char c);     // Skips whitespace; true if `c` is next.
  bool AtEnd();          // Skips whitespace; true at the end of the text.
  // A JSON string into *out (decoded). False on anything malformed.
  bool String(std::string* out);
  // `true` or `false` into *out.
  bool Boolean(bool* out);
  // An object: for each member, reads the key and the colon and calls
  // read_value(key), which must read the value and return false to give up.
  template <typename ReadValue>
  bool Object(ReadValue&& read_value) {
    if (!Consume('{')) return false;
    if (Consume('}')) return true;
    std::string key;
    do {
      if (!String(&key) || !Consume(':') || !read_value(key)) return false;
    } while (Consume(','));
    return Consume('}');
  }

 private:
  size_t PlainRunEnd(size_t from) const;
  bool Hex4(uint32_t* code);
  static char* EncodeUtf8(uint32_t code, char* out);

  std::string_view text_;
  size_t at_ = 0;
};

}  // namespace ssebridge
