#include "ssebridge/redis_broker.h"

#include "ssebridge/log.h"

namespace ssebridge {

// Kept identical to deploy/redis/publish.lua (a unit test compares them).
const char* const kPublishScript = R"LUA(-- ssebridge publish script: assigns a resumable event id and announces the
-- message on every channel in one atomic step.
--
-- Applications that want ssebridge ids for their own messages can run it too:
--   redis-cli --eval deploy/redis/publish.lua ssebridge:seq , '{"event":"message","data":{"n":7}' orders
-- KEYS[1]  the id counter key (ssebridge:seq)
-- ARGV[1]  the envelope without its closing brace: {"event":"<name>","data":<json>
-- ARGV[2..] the channels
-- Returns the id (a decimal string).
local seq = redis.call('INCR', KEYS[1])
if seq < 1000000 then
  -- A fresh (or flushed) counter starts from the clock in microseconds, so ids
  -- keep increasing across a Redis restart without persistence.
  local now = redis.call('TIME')
  seq = tonumber(now[1]) * 1000000 + tonumber(now[2])
  redis.call('SET', KEYS[1], string.format('%d', seq))
end
local id = string.format('%d', seq)
local envelope = ARGV[1] .. ',"id":"' .. id .. '"}'
for i = 2, #ARGV do
  redis.call('PUBLISH', ARGV[i], envelope)
end
return id
)LUA";

namespace {

constexpr const char* kSequenceKey = "ssebridge:seq";

RedisClient::Options ClientOptions(const RedisAddress& address, const char* name, uint64_t command_timeout_ms) {
  RedisClient::Options options;
  options.address = address;
  options.name = name;
  options.command_timeout_ms = command_timeout_ms;
  return options;
}

}  // namespace

RedisBroker::RedisBroker(uv_loop_t* loop, Options options, PubsubRegistry* registry, Counters* counters)
    : options_(std::move(options)),
      registry_(registry),
      counters_(counters),
      commands_(loop, ClientOptions(options_.address, "redis-commands", options_.command_timeout_ms)),
      // The subscriber gets no command timeout: it only ever waits for pushes.
      subscriber_(loop, ClientOptions(options_.address, "redis-subscriber", 0),
                  [this](std::string_view source, bool is_pattern, std::string_view channel,
                         std::string_view payload) { OnMessage(source, is_pattern, channel, payload); }) {
  commands_.on_ready = [this] {
    commands_.Command({"SCRIPT", "LOAD", kPublishScript}, [this](const redisReply* reply) {
      if (reply && reply->type == REDIS_REPLY_STRING) script_sha_.assign(reply->str, reply->len);
    });
  };
  subscriber_.on_lost = [this] { last_frame_.reset(); };
}

void RedisBroker::Start() {
  commands_.Start();
  subscriber_.Start();
}

void RedisBroker::Shutdown() {
  commands_.Stop();
  subscriber_.Stop();
}

void RedisBroker::Publish(const PublishRequest& request, PublishCallback done) {
  std::vector<std::string> args;
  args.reserve(request.channels.size() + 5);
  args.push_back("");  // EVAL or EVALSHA, and the script or its hash, go here.
  args.push_back("");
  args.push_back("1");
  args.push_back(kSequenceKey);
  args.push_back(EncodeEnvelopeHead(request));
  for (const std::string& channel : request.channels) args.push_back(channel);
  counters_->messages_published += request.channels.size();
  RunPublishScript(std::move(args), std::move(done), !script_sha_.empty());
}

void RedisBroker::RunPublishScript(std::vector<std::string> args, PublishCallback done, bool by_sha) {
  args[0] = by_sha ? "EVALSHA" : "EVAL";
  args[1] = by_sha ? script_sha_ : kPublishScript;
  // The callback needs the arguments again only for the NOSCRIPT retry.
  auto retry_args = by_sha ? args : std::vector<std::string>();
  bool sent = commands_.Command(args, [this, done, retry_args = std::move(retry_args)](const redisReply* reply) mutable {
    if (reply != nullptr && reply->type == REDIS_REPLY_STRING) {
      done(PublishOutcome{200, std::string(reply->str, reply->len), ""});
      return;
    }
    if (reply != nullptr && reply->type == REDIS_REPLY_ERROR && std::string_view(reply->str, reply->len).substr(0, 8) == "NOSCRIPT" &&
        !retry_args.empty()) {
      // Redis restarted and forgot the script: send its source once.
      RunPublishScript(std::move(retry_args), std::move(done), false);
      return;
    }
    std::string reason = reply == nullptr ? "connection to Redis lost before the publish was confirmed"
                                          : "Redis error: " + std::string(reply->str ? reply->str : "", reply->len);
    LOG_WARN("publish failed: %s", reason.c_str());
    ++counters_->publish_failures;
    done(PublishOutcome{503, "", reason});
  });
  if (!sent) {
    ++counters_->publish_failures;
    LOG_WARN("publish refused: Redis is not connected");
    done(PublishOutcome{503, "", "Redis is not connected; the message was not published"});
  }
}

void RedisBroker::OnMessage(std::string_view source, bool is_pattern, std::string_view channel,
                            std::string_view payload) {
  if (!(last_frame_ && payload == last_payload_)) {
    Message message;
    if (!(options_.recognise_envelopes && DecodeEnvelope(payload, &message))) {
      message = Message();
      message.data.assign(payload.data(), payload.size());
    }
    bool has_id = !message.id.empty();
    last_frame_.emplace([message = std::move(message)] { return EncodeMessageFrame(message); });
    if (has_id) {
      last_payload_.assign(payload.data(), payload.size());
    } else {
      // Without an id two equal payloads are two messages; never merge them.
      last_payload_.clear();
      ++counters_->messages_received;
      counters_->deliveries += registry_->DeliverNotification(source, is_pattern, channel, *last_frame_);
      last_frame_.reset();
      return;
    }
    ++counters_->messages_received;
  }
  counters_->deliveries += registry_->DeliverNotification(source, is_pattern, channel, *last_frame_);
}

}  // namespace ssebridge
