// Decoding of what Redis sends back about history: the reply of the fetch
// script (deploy/redis/fetch.lua) turned into shared message frames. Pure
// functions of a hiredis reply tree, with no connection or broker state, so
// a fuzzer can feed them any tree (test/fuzz/fetch_reply_fuzz.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ssebridge/frame.h"

struct redisReply;

namespace ssebridge {

// One history message read from Redis, decoded once and shared by all waiters.
struct FetchedMessage {
  uint64_t id;
  size_t channel_index;  // Into FetchResult::channels.
  FrameRef frame;        // Its SSE event, with the id as resumable sequence.
};

struct FetchedChannel {
  std::string channel;
  size_t topic_index;  // Which asked (topic, after) pair it answers; not checked against the ask.
  uint64_t watermark;  // Newest id dropped from its stream (0: none).
  bool missing;        // It has no stream (never published, or expired).
  uint64_t omitted = 0;  // Newest id of this channel the read's bound left out (0: none).
};

struct FetchResult {
  bool ok = false;     // False: no reply, an error, or a reply of another shape.
  uint64_t now_us = 0;
  uint64_t clock = 0;
  uint64_t epoch = 0;  // First id of the current Redis history (set when the clock starts).
  // The newest id after its topic's after-id that the read's bound left out
  // (0: none): every retained message newer than it is in `messages`.
  uint64_t omitted = 0;
  std::vector<FetchedChannel> channels;
  std::vector<FetchedMessage> messages;  // Ascending, unique ids, none 0.
};

// Decodes the fetch script's reply:
//   { now_us, clock, epoch, omitted, { channel, topic_index, watermark, missing, { id, envelope, ... }, omitted }, ... }
// (both `omitted` are absent in replies of scripts before the read bound).
// Any deviation (a missing or mistyped element, an id that is not a positive
// decimal, an odd id/envelope list) makes the whole result !ok: history that
// cannot be read is reported as unavailable, never half-read.
FetchResult ParseFetchReply(const redisReply* reply);

// Accessors shared with the broker. The text of a string, status or error
// reply (empty for anything else, including nullptr).
std::string_view ReplyText(const redisReply* reply);
// A non-negative integer reply, or a decimal string; 0 for anything else.
uint64_t ReplyNumber(const redisReply* reply);

}  // namespace ssebridge
