#include "ssebridge/redis_publisher.h"

#include <memory>

#include <hiredis/hiredis.h>

#include "ssebridge/envelope.h"
#include "ssebridge/log.h"
#include "ssebridge/metrics.h"
#include "ssebridge/redis_history_reply.h"
#include "ssebridge/redis_scripts.h"

namespace ssebridge {
namespace {

// The integer at `index` of a two-integer array reply, or -1.
long long IntegerAt(const redisReply* reply, size_t index) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) return -1;
  const redisReply* element = reply->element[index];
  return element->type == REDIS_REPLY_INTEGER && element->integer >= 0 ? element->integer : -1;
}

}  // namespace

bool RedisPublisher::CountUserQueue(const redisReply* tail) {
  const long long queued = IntegerAt(tail, 0);
  const long long dropped = IntegerAt(tail, 1);
  if (queued < 0 || dropped < 0) return false;
  counters_->user_messages_queued += static_cast<uint64_t>(queued);
  counters_->user_messages_dropped += static_cast<uint64_t>(dropped);
  return true;
}

RedisPublisher::RedisPublisher(RedisCommandSender* sender, CompletionQueue* completions, Counters* counters,
                               const History::Limits& history)
    : sender_(sender),
      completions_(completions),
      counters_(counters),
      history_(history),
      script_(sender, completions, kPublishScript) {}

void RedisPublisher::Publish(const PublishRequest& request, PublishCallback done) {
  if (!sender_->ready()) {
    ++counters_->publish_failures;
    LOG_WARN("publish refused: Redis is not connected");
    completions_->Post([done = std::move(done)] {
      done(PublishOutcome{503, "", "Redis is not connected; the message was not published"});
    });
    return;
  }
  // The script's arguments: its one key (the id clock) and the retention,
  // then per publish the envelope head, the channel count and the channels.
  if (args_.empty()) {
    args_.push_back("1");
    args_.push_back(kClockKey);
    args_.push_back(std::to_string(history_.messages_per_channel));
    args_.push_back(std::to_string(history_.ttl_ms));
    args_.push_back(std::to_string(user_queue_ttl_ms_));
    args_.push_back(std::to_string(user_queue_size_));
  }
  args_.push_back(EncodeEnvelopeHead(request));
  args_.push_back(std::to_string(request.channels.size()));
  for (const std::string& channel : request.channels) args_.push_back(channel);
  batch_.push_back(Queued{request.channels.size(), std::move(done)});
  if (batch_.size() >= kMaxBatch) SendBatch();
}

void RedisPublisher::Flush() {
  if (!batch_.empty()) SendBatch();
}

void RedisPublisher::SendBatch() {
  auto batch = std::make_shared<std::vector<Queued>>(std::move(batch_));
  batch_.clear();
  std::vector<std::string> args = std::move(args_);
  args_.clear();
  script_.Run(std::move(args), [this, batch](const redisReply* reply) {
    // The script answers with one id (or error) per publish, in order, then
    // what it did for users: { queued, dropped }.
    const bool answered = reply != nullptr && reply->type == REDIS_REPLY_ARRAY &&
                          reply->elements == batch->size() + 1 && CountUserQueue(reply->element[batch->size()]);
    std::string reason;
    if (!answered) {
      reason = reply == nullptr ? "connection to Redis lost before the publish was confirmed"
               : reply->type == REDIS_REPLY_ERROR ? "Redis error: " + std::string(ReplyText(reply))
                                                  : "unexpected reply from the publish script";
      LOG_WARN("publish of %zu message(s) failed: %s", batch->size(), reason.c_str());
    }
    for (size_t i = 0; i < batch->size(); ++i) {
      Queued& publish = (*batch)[i];
      const redisReply* element = answered ? reply->element[i] : nullptr;
      if (element != nullptr && element->type == REDIS_REPLY_STRING) {
        counters_->messages_published += publish.channel_count;
        publish.done(PublishOutcome{200, std::string(element->str, element->len), ""});
        continue;
      }
      std::string message_reason = reason;
      if (element != nullptr) {
        message_reason = "Redis error: " + std::string(ReplyText(element));
        LOG_WARN("publish failed: %s", message_reason.c_str());
      }
      ++counters_->publish_failures;
      publish.done(PublishOutcome{503, "", message_reason});
    }
  });
}

}  // namespace ssebridge
