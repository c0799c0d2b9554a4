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
                               const History::Limits& history, PublishDurability durability)
    : sender_(sender),
      completions_(completions),
      counters_(counters),
      history_(history),
      durability_(durability),
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
    auto outcomes = std::make_shared<std::vector<PublishOutcome>>(batch->size());
    size_t published = 0;
    for (size_t i = 0; i < batch->size(); ++i) {
      const redisReply* element = answered ? reply->element[i] : nullptr;
      PublishOutcome& outcome = (*outcomes)[i];
      if (element != nullptr && element->type == REDIS_REPLY_STRING) {
        outcome = PublishOutcome{200, std::string(element->str, element->len), ""};
        ++published;
        continue;
      }
      outcome = PublishOutcome{503, "", reason};
      if (element != nullptr) {
        outcome.error = "Redis error: " + std::string(ReplyText(element));
        LOG_WARN("publish failed: %s", outcome.error.c_str());
      }
    }
    if (durability_.replicas == 0 || published == 0) {
      Answer(*batch, *outcomes);
      return;
    }
    // WAIT covers every write this connection made before it: this batch.
    const bool sent = sender_->Command(
        {"WAIT", std::to_string(durability_.replicas), std::to_string(durability_.timeout_ms)},
        [this, batch, outcomes](const redisReply* acked) {
          const bool durable = acked != nullptr && acked->type == REDIS_REPLY_INTEGER &&
                               acked->integer >= static_cast<long long>(durability_.replicas);
          if (!durable) {
            const std::string why =
                acked == nullptr ? "connection to Redis lost before replicas confirmed the publish"
                : acked->type == REDIS_REPLY_INTEGER
                    ? std::to_string(acked->integer) + " of " + std::to_string(durability_.replicas) +
                          " replica(s) confirmed the publish within " + std::to_string(durability_.timeout_ms) + " ms"
                    : "Redis error on WAIT: " + std::string(ReplyText(acked));
            LOG_WARN("publish of %zu message(s) not confirmed as replicated: %s", batch->size(), why.c_str());
            for (PublishOutcome& outcome : *outcomes) {
              if (outcome.status == 200) outcome = PublishOutcome{503, "", why + "; it may or may not be delivered"};
            }
          }
          Answer(*batch, *outcomes);
        });
    if (!sent) {
      // Inside a reply callback: answering here is outside Publish().
      for (PublishOutcome& outcome : *outcomes) {
        if (outcome.status == 200) {
          outcome = PublishOutcome{503, "", "connection to Redis lost before replicas confirmed the publish"};
        }
      }
      Answer(*batch, *outcomes);
    }
  });
}

void RedisPublisher::Answer(std::vector<Queued>& batch, std::vector<PublishOutcome>& outcomes) {
  for (size_t i = 0; i < batch.size(); ++i) {
    if (outcomes[i].status == 200) {
      counters_->messages_published += batch[i].channel_count;
    } else {
      ++counters_->publish_failures;
    }
    batch[i].done(outcomes[i]);
  }
}

}  // namespace ssebridge
