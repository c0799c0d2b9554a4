#include "ssebridge/handlers/client_handlers.h"

#include "ssebridge/bridge_context.h"
#include "ssebridge/broker.h"
#include "ssebridge/channel.h"
#include "ssebridge/channel_list_request.h"
#include "ssebridge/client_command.h"
#include "ssebridge/client_id.h"
#include "ssebridge/config.h"
#include "ssebridge/exchange.h"
#include "ssebridge/handlers/access_check.h"
#include "ssebridge/handlers/publish_handler.h"
#include "ssebridge/http_response.h"
#include "ssebridge/json_quote.h"
#include "ssebridge/log.h"
#include "ssebridge/metrics.h"
#include "ssebridge/uri.h"

namespace ssebridge {
namespace {

std::string StatusBody(const char* status, const std::string& id, const std::string& more) {
  std::string body = "{\"status\":\"";
  body += status;
  body += "\",\"client\":";
  AppendJsonQuoted(&body, id);
  body += more;
  body.push_back('}');
  return body;
}

std::string TooManyChannels(size_t max_channels) {
  return "too many channels: a stream may subscribe to at most " + std::to_string(max_channels) +
         " (--max-channels-per-subscribe)";
}

// Applies the command to a stream on this process, else hands it to the
// broker for the other processes (Redis mode: 202 once Redis has it), else 404.
void Execute(Exchange& exchange, const ClientCommand& command) {
  // A publisher operation on the client's private channel (and, to add or
  // remove, on the channels named): the publish policy decides.
  std::vector<std::string> channels{PrivateChannel(command.client)};
  channels.insert(channels.end(), command.channels.begin(), command.channels.end());
  if (!CheckAccess(exchange, AccessAction::kPublish, channels)) return;
  BridgeContext& context = exchange.context();
  const size_t max_channels = context.config->max_channels_per_subscribe;
  size_t topics = 0;
  switch (ApplyClientCommand(context.clients, command, max_channels, &topics)) {
    case ClientCommandResult::kDone:
      LOG_INFO("client %s: %s", command.client.c_str(), EncodeClientCommand(command).c_str());
      exchange.Respond(200, "application/json",
                       StatusBody("ok", command.client,
                                  command.op == ClientCommand::Op::kEnd ? ",\"ended\":true"
                                                                        : ",\"topics\":" + std::to_string(topics)));
      return;
    case ClientCommandResult::kNotSubscribed:
      exchange.RespondError(404, "client '" + command.client + "' is not subscribed to '" + command.channels[0] + "'");
      return;
    case ClientCommandResult::kTooManyChannels:
      exchange.RespondError(400, TooManyChannels(max_channels));
      return;
    case ClientCommandResult::kUnknownClient:
      break;
  }
  if (!context.broker->forwards_client_commands()) {
    exchange.RespondError(404, "no client with id '" + command.client + "' on this server");
    return;
  }
  // Another process may hold the stream: the command travels through Redis.
  Counters* counters = context.counters;
  const std::string id = command.client;
  context.broker->SendClientCommand(
      EncodeClientCommand(command), [answer = exchange.DeferAnswer(), counters, id](long long receivers) {
        if (receivers < 0) {
          if (answer.Complete(503, "application/json",
                              JsonErrorBody("Redis is not connected; the command was not sent"))) {
            ++counters->http_errors;
          }
          return;
        }
        answer.Complete(202, "application/json", StatusBody("accepted", id, ""));
      });
}

void RespondWrongMethod(Exchange& exchange, const char* allow) {
  exchange.RespondError(405, "method " + exchange.request().method + " not allowed; use " + allow,
                        {{"Allow", allow}});
}

}  // namespace

void HandleClients(Exchange& exchange) {
  // A publisher operation: the publish rate limit applies.
  if (RefuseOverPublishRate(exchange)) return;
  const std::string_view rest = exchange.rest();
  const std::string& method = exchange.request().method;
  const size_t slash = rest.find('/');
  const std::string id(rest.substr(0, slash));
  if (id.empty()) {
    exchange.RespondError(404, "no such endpoint: use /clients/<id> or /clients/<id>/channels");
    return;
  }
  if (std::string error = CheckClientId(id); !error.empty()) {
    exchange.RespondError(400, error);
    return;
  }
  if (slash == std::string_view::npos) {
    if (method != "DELETE") return RespondWrongMethod(exchange, "DELETE, OPTIONS");
    HandleEndClient(exchange, id);
    return;
  }
  const std::string_view sub = rest.substr(slash + 1);
  if (sub == "channels") {
    if (method != "POST") return RespondWrongMethod(exchange, "POST, OPTIONS");
    HandleAddClientChannels(exchange, id);
    return;
  }
  if (sub.substr(0, 9) == "channels/" && sub.size() > 9) {
    if (method != "DELETE") return RespondWrongMethod(exchange, "DELETE, OPTIONS");
    std::optional<std::string> channel = PercentDecode(sub.substr(9), false);
    if (!channel) {
      exchange.RespondError(400, "bad percent-encoding in the path");
      return;
    }
    HandleRemoveClientChannel(exchange, id, *channel);
    return;
  }
  exchange.RespondError(404, "no such endpoint: use /clients/<id> or /clients/<id>/channels");
}

void HandleAddClientChannels(Exchange& exchange, const std::string& id) {
  const HttpRequest& request = exchange.request();
  const std::string* content_type = request.Header("content-type");
  ClientCommand command;
  command.op = ClientCommand::Op::kAdd;
  command.client = id;
  ChannelListParseResult parsed =
      ParseChannelListRequest(content_type ? *content_type : "", request.body,
                              exchange.context().config->max_channels_per_subscribe, &command.channels);
  if (!parsed.error.empty()) {
    exchange.RespondError(parsed.status, parsed.error);
    return;
  }
  Execute(exchange, command);
}

void HandleRemoveClientChannel(Exchange& exchange, const std::string& id, const std::string& channel) {
  if (std::string error = ValidateChannelName(channel); !error.empty()) {
    exchange.RespondError(400, error);
    return;
  }
  ClientCommand command;
  command.op = ClientCommand::Op::kRemove;
  command.client = id;
  command.channels.push_back(channel);
  Execute(exchange, command);
}

void HandleEndClient(Exchange& exchange, const std::string& id) {
  ClientCommand command;
  command.op = ClientCommand::Op::kEnd;
  command.client = id;
  Execute(exchange, command);
}

}  // namespace ssebridge
