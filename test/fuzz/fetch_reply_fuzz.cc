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
// a server it trusts, not what this target tests. Scanning the input for such
// headers missed forms hiredis also accepts ("*+400000000"), so the reader
// itself is asked: its array constructor refuses large arrays, which hiredis
// reports as an error and frees what it had built.
constexpr int kLargestArray = 4096;

redisReplyObjectFunctions* DefaultFunctions() {
  static redisReplyObjectFunctions defaults = [] {
    redisReader* probe = redisReaderCreate();
    redisReplyObjectFunctions copy = *probe->fn;
    redisReaderFree(probe);
    return copy;
  }();
  return &defaults;
}

void* CreateBoundedArray(const redisReadTask* task, int elements) {
  if (elements > kLargestArray) return nullptr;
  return DefaultFunctions()->createArray(task, elements);
}

redisReplyObjectFunctions* BoundedFunctions() {
  static redisReplyObjectFunctions bounded = [] {
    redisReplyObjectFunctions copy = *DefaultFunctions();
    copy.createArray = CreateBoundedArray;
    return copy;
  }();
  return &bounded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  redisReader* reader = redisReaderCreateWithFunctions(BoundedFunctions());
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
