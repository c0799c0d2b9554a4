#include "ssebridge/handlers/stream_handler.h"

#include <ctime>

#include "ssebridge/handlers/query_publish_handler.h"
#include "ssebridge/query_publish.h"

#include "ssebridge/bridge_context.h"
#include "ssebridge/handlers/access_check.h"
#include "ssebridge/client_id.h"
#include "ssebridge/config.h"
#include "ssebridge/exchange.h"
#include "ssebridge/log.h"
#include "ssebridge/loop_scheduler.h"
#include "ssebridge/metrics.h"
#include "ssebridge/poll_request.h"
#include "ssebridge/subscribe_request.h"
#include "ssebridge/user_channel.h"

namespace ssebridge {
namespace {

// Answers 429 and returns true when the client has --max-streams-per-ip
// open. Otherwise *counted says whether the new stream holds a count.
bool RefuseOverStreamLimit(Exchange& exchange, IpAddress* client, bool* counted) {
  BridgeContext& context = exchange.context();
  ClientLimits& limits = *context.client_limits;
  *counted = false;
  if (!limits.limits_streams()) return false;
  *client = exchange.ClientAddress();
  const uint64_t now_ms = context.scheduler->now_ms();
  switch (limits.OpenStream(*client, now_ms)) {
    case ClientLimits::StreamAdmission::kAdmitted:
      *counted = true;
      return false;
    case ClientLimits::StreamAdmission::kUntracked:
      return false;
    case ClientLimits::StreamAdmission::kRefused:
      break;
  }
  ++context.counters->rejected_per_ip_streams;
  ++context.counters->http_errors;
  uint64_t suppressed = 0;
  if (context.limit_log->Allow(now_ms, &suppressed)) {
    LOG_WARN("refusing stream from %s: %u streams open, limit %u per address (%llu similar line(s) suppressed)",
             client->ToString().c_str(), limits.open_streams(*client), context.config->max_streams_per_ip,
             static_cast<unsigned long long>(suppressed));
  }
  exchange.Respond(429, "application/json", JsonErrorBody("too many event streams from this address"));
  return true;
}

// A stream asking for a client id (register=1 or client_id=...): picks the
// id and adds its private channel. False after answering an error.
bool PrepareRegistration(Exchange& exchange, SubscribeRequest* subscribe) {
  if (subscribe->poll) {
    exchange.RespondError(400, "a long poll cannot register a client id: open an event stream");
    return false;
  }
  if (subscribe->client_id.empty()) {
    subscribe->client_id = NewClientId();
    if (subscribe->client_id.empty()) {
      LOG_ERROR("getrandom failed: cannot choose a client id");
      exchange.RespondError(503, "no client id could be chosen; try again later");
      return false;
    }
  }
  std::string channel = PrivateChannel(subscribe->client_id);
  for (const std::string& name : subscribe->channels) {
    if (name == channel) return true;
  }
  // Not counted against --max-channels-per-subscribe: the bridge adds it.
  subscribe->channels.push_back(std::move(channel));
  return true;
}

// `user:me` (CheckAccess allowed it: the principal has a subject) becomes
// `user:<sub>`, the channel publishers address (user_channel.h). Kept in
// place, so the order of channels stays the client's.
void ResolveOwnUserChannel(const Principal& principal, SubscribeRequest* subscribe) {
  const std::string own = UserChannel(principal.grants.subject);
  std::vector<std::string>& channels = subscribe->channels;
  for (size_t i = 0; i < channels.size(); ++i) {
    if (!IsOwnUserAlias(channels[i])) continue;
    if (channels[i] == own) return;  // The subject is literally "me".
    bool named = false;
    for (const std::string& other : channels) named = named || other == own;
    if (named) {
      channels.erase(channels.begin() + static_cast<ptrdiff_t>(i));
    } else {
      channels[i] = own;
    }
    return;
  }
}

}  // namespace

void HandleStream(Exchange& exchange) {
  // A W3C SSE-Server publishing script queries the stream URL itself
  // (/events/color?q1=go): publish (--allow-get-publish) or refuse with 400,
  // never open a stream the script would wait on forever.
  if (IsPublishQuery(exchange.query())) {
    HandleQueryPublish(exchange);
    return;
  }
  // Earlier requests are still being answered; the stream head must follow them.
  if (exchange.HoldBehindEarlierAnswers()) return;
  const Config& config = *exchange.context().config;
  SubscribeRequest subscribe;
  std::string error = ParseSubscribeRequest(exchange.rest(), exchange.query(), exchange.request(),
                                            config.max_channels_per_subscribe, &subscribe, config.empty_subscribe_all);
  if (!error.empty()) {
    exchange.RespondError(400, error);
    return;
  }
  bool is_poll = false;
  PollRequest poll;
  error = ParsePollRequest(exchange.query(), exchange.request(), subscribe.channels, &is_poll, &poll);
  if (!error.empty()) {
    exchange.RespondError(400, error);
    return;
  }
  if (is_poll) subscribe.poll = poll;
  // Checked on the channels the client named: a registered stream's private
  // channel is added by the bridge below.
  Principal principal;
  if (!CheckAccess(exchange, AccessAction::kSubscribe, subscribe.channels, &principal)) return;
  if (principal.authenticated && principal.grants.valid_until != 0) {
    const int64_t left = principal.grants.valid_until - static_cast<int64_t>(time(nullptr));
    subscribe.credential_ttl_ms = left > 0 ? static_cast<uint64_t>(left) * 1000 : 0;
  }
  ResolveOwnUserChannel(principal, &subscribe);
  if (subscribe.register_client && !PrepareRegistration(exchange, &subscribe)) return;
  // Channels the bridge adds go in here, before the stream starts: the
  // private channel above, and (the security issue) a channel per
  // authenticated user for Alfresco-style per-user messages. Everything after
  // this point, --max-stream-age and the reconnect with Last-Event-ID
  // included, treats them like the channels the URL named.
  IpAddress client;
  bool counted = false;
  if (RefuseOverStreamLimit(exchange, &client, &counted)) return;
  exchange.StartStream(subscribe, counted ? &client : nullptr);
}

}  // namespace ssebridge
