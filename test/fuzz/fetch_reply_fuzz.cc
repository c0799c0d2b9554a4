// libFuzzer target: the fetch script's reply (deploy/redis/fetch.lua) as it
// comes off the wire. The input is RESP bytes; hiredis's own reader turns them
// into the reply tree the broker would get, and ParseFetchReply decodes it.
// Properties: no crash or leak whatever the tree, and an accepted result is
// consistent: ids positive, strictly ascending, each frame carrying its id,
// each message pointing at a channel of the result.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <hiredis/hiredis.h>

#include "ssebridge/redis_history_reply.h"

namespace {

// hiredis allocates an array's element pointers as soon as it reads the
// header, so "*400000000" costs 3 GB before any element: its behaviour with
// a server it trusts, not what this target tests. Such inputs are skipped.
bool HasHugeArrayHeader(const uint8_t* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    if (data[i] != '*' || (i > 0 && data[i - 1] != '\n')) continue;
    uint64_t count = 0;
    for (size_t k = i + 1; k < size && data[k] >= '0' && data[k] <= '9'; ++k) {
      count = count * 10 + (data[k] - '0');
      if (count > 4096) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (HasHugeArrayHeader(data, size)) return 0;
  redisReader* reader = redisReaderCreate();
  if (reader == nullptr) return 0;
  if (redisReaderFeed(reader, reinterpret_cast<const char*>(data), size) == REDIS_OK) {
    void* reply = nullptr;
    // Several replies in one input are decoded one after the other, like a
    // connection's stream.
    while (redisReaderGetReply(reader, &reply) == REDIS_OK && reply != nullptr) {
      ssebridge::FetchResult result = ssebridge::ParseFetchReply(static_cast<const redisReply*>(reply));
      if (result.ok) {
        uint64_t previous = 0;
        for (const ssebridge::FetchedMessage& message : result.messages) {
          if (message.id == 0 || message.id <= previous) abort();
          if (message.channel_index >= result.channels.size()) abort();
          if (!message.frame || message.frame->id() != message.id) abort();
          if (message.frame->chunked().size() <= message.frame->raw_size()) abort();
          previous = message.id;
        }
      } else if (!result.messages.empty() || !result.channels.empty()) {
        abort();  // A refused reply must not leak half a result.
      }
      freeReplyObject(reply);
      reply = nullptr;
    }
  }
  redisReaderFree(reader);
  return 0;
}
