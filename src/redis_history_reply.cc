#include "ssebridge/redis_history_reply.h"

#include <algorithm>

#include <hiredis/hiredis.h>

#include "ssebridge/envelope.h"
#include "ssebridge/event_id.h"
#include "ssebridge/message_frame.h"

namespace ssebridge {

std::string_view ReplyText(const redisReply* reply) {
  if (reply == nullptr || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS &&
                           reply->type != REDIS_REPLY_ERROR)) {
    return std::string_view();
  }
  return std::string_view(reply->str, reply->len);
}

uint64_t ReplyNumber(const redisReply* reply) {
  if (reply == nullptr) return 0;
  if (reply->type == REDIS_REPLY_INTEGER) return reply->integer > 0 ? static_cast<uint64_t>(reply->integer) : 0;
  uint64_t value = 0;
  ParseEventId(ReplyText(reply), &value);
  return value;
}

namespace {

bool IsArray(const redisReply* reply, size_t at_least) {
  return reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements >= at_least;
}

bool IsString(const redisReply* reply) { return reply != nullptr && reply->type == REDIS_REPLY_STRING; }

}  // namespace

FetchResult ParseFetchReply(const redisReply* reply) {
  FetchResult result;
  if (!IsArray(reply, 3)) return result;
  result.now_us = ReplyNumber(reply->element[0]);
  result.clock = ReplyNumber(reply->element[1]);
  result.epoch = ReplyNumber(reply->element[2]);
  size_t first = 3;
  if (reply->elements > 3 && reply->element[3] != nullptr && reply->element[3]->type != REDIS_REPLY_ARRAY) {
    // The read bound's mark: a decimal id, "0" when nothing was left out.
    if (!IsString(reply->element[3]) || !ParseEventId(ReplyText(reply->element[3]), &result.omitted)) {
      return FetchResult();
    }
    first = 4;
  }
  size_t total = 0;
  for (size_t i = first; i < reply->elements; ++i) {
    const redisReply* entry = reply->element[i];
    if (!IsArray(entry, 5) || entry->element[4] == nullptr || entry->element[4]->type != REDIS_REPLY_ARRAY ||
        entry->element[4]->elements % 2 != 0 || !IsString(entry->element[0])) {
      return FetchResult();
    }
    uint64_t omitted = 0;
    if (entry->elements > 5 && (!IsString(entry->element[5]) || !ParseEventId(ReplyText(entry->element[5]), &omitted))) {
      return FetchResult();
    }
    total += entry->element[4]->elements / 2;
  }
  result.messages.reserve(total);
  for (size_t i = first; i < reply->elements; ++i) {
    const redisReply* entry = reply->element[i];
    FetchedChannel channel;
    channel.channel = std::string(ReplyText(entry->element[0]));
    channel.topic_index = ReplyNumber(entry->element[1]);
    channel.watermark = ReplyNumber(entry->element[2]);
    channel.missing = ReplyNumber(entry->element[3]) != 0;
    if (entry->elements > 5) ParseEventId(ReplyText(entry->element[5]), &channel.omitted);
    const redisReply* flat = entry->element[4];
    for (size_t k = 0; k < flat->elements; k += 2) {
      uint64_t id = 0;
      // Lua turns the ids into strings; anything else is not our stream.
      if (!IsString(flat->element[k]) || !ParseEventId(ReplyText(flat->element[k]), &id) || id == 0 ||
          !IsString(flat->element[k + 1])) {
        return FetchResult();
      }
      std::string_view payload = ReplyText(flat->element[k + 1]);
      Message message;
      if (!DecodeEnvelope(payload, &message)) {
        message = Message();
        message.data.assign(payload.data(), payload.size());
      }
      message.sequence = id;
      message.id = std::to_string(id);
      result.messages.push_back(FetchedMessage{id, result.channels.size(), EncodeMessageFrame(message)});
    }
    result.channels.push_back(std::move(channel));
  }
  // Each channel's stream is in id order already; only merging several
  // channels needs a sort (skipped for the common single-channel replay).
  auto by_id = [](const FetchedMessage& a, const FetchedMessage& b) { return a.id < b.id; };
  if (!std::is_sorted(result.messages.begin(), result.messages.end(), by_id)) {
    std::stable_sort(result.messages.begin(), result.messages.end(), by_id);
  }
  // A message published to several matching channels is replayed once.
  result.messages.erase(std::unique(result.messages.begin(), result.messages.end(),
                                    [](const FetchedMessage& a, const FetchedMessage& b) { return a.id == b.id; }),
                        result.messages.end());
  result.ok = true;
  return result;
}

}  // namespace ssebridge
