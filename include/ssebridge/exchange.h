// Exchange: what a handler sees of one request and its answer — the request,
// the part of the path after the route, the query, and the ways to answer.
// It never exposes the socket or the session: the connection implements it,
// and handler tests implement it with a fake that records the answers.
//
// Every answer a handler gives goes through exactly one of Respond(),
// RespondError(), DeferAnswer() (answered later through the DeferredAnswer),
// HoldBehindEarlierAnswers() (the request is handed to the handler again
// once earlier answers are out), Suspend() (handed to it again when someone
// calls ConnectionOwner::ResumeRequest) or StartStream().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "ssebridge/client_limits.h"
#include "ssebridge/http_request.h"
#include "ssebridge/http_response.h"

namespace ssebridge {

class ConnectionOwner;
struct BridgeContext;
struct SubscribeRequest;

// An answer that comes after the handler has returned (a publish waiting for
// its broker). It holds the connection's id, never its pointer: the client
// may hang up first, and then Complete() does nothing. Answers leave in
// request order whatever order they complete in.
class DeferredAnswer {
 public:
  DeferredAnswer(ConnectionOwner* owner, uint64_t connection_id, uint64_t sequence, HeaderList headers,
                 int http_minor, bool keep_alive)
      : owner_(owner),
        connection_id_(connection_id),
        sequence_(sequence),
        headers_(std::move(headers)),
        http_minor_(http_minor),
        keep_alive_(keep_alive) {}

  // Builds the response (with the request's CORS headers) and hands it to
  // its slot. False when the client has gone and nobody will read it.
  bool Complete(int status, std::string_view content_type, std::string_view body) const;

 private:
  ConnectionOwner* owner_;
  uint64_t connection_id_;
  uint64_t sequence_;
  HeaderList headers_;
  int http_minor_;
  bool keep_alive_;
};

class Exchange {
 public:
  Exchange(BridgeContext* context, const HttpRequest& request, const IpAddress& peer, std::string_view rest,
           std::string_view query, bool keep_alive)
      : context_(context), request_(request), peer_(peer), rest_(rest), query_(query), keep_alive_(keep_alive) {}
  virtual ~Exchange() = default;

  BridgeContext& context() const { return *context_; }
  const HttpRequest& request() const { return request_; }
  // The path after a prefix route ("a/b" for /events/a/b); empty otherwise.
  std::string_view rest() const { return rest_; }
  std::string_view query() const { return query_; }
  // The client asked for keep-alive and the bridge is not shutting down.
  bool keep_alive() const { return keep_alive_; }
  // The client's address for per-client limits: the peer, or what a trusted
  // proxy says in X-Forwarded-For.
  IpAddress ClientAddress() const;
  // The client is on this host (loopback), for --anonymous-publish local. A
  // request a loopback peer says it forwarded (X-Forwarded-For, Forwarded,
  // X-Real-IP) comes from elsewhere unless the peer is a --trusted-proxy and
  // the client it names is local too: a proxy on the same host must not make
  // every remote client local.
  bool ClientIsLocal() const;

  // A complete answer now. The request's CORS headers come first, then `extra`.
  virtual void Respond(int status, std::string_view content_type, std::string_view body, HeaderList extra = {}) = 0;
  // A JSON error body {"error":...}; counted and logged as every error answer is.
  virtual void RespondError(int status, const std::string& message, HeaderList extra = {}) = 0;
  // Reserves this request's place among the answers; fill it later.
  virtual DeferredAnswer DeferAnswer() = 0;
  // True when earlier answers are still owed: the exchange keeps the request
  // and hands it to the handler again once they are out. A stream head must
  // not overtake them.
  virtual bool HoldBehindEarlierAnswers() = 0;
  // Keeps the request, reads no further request, and hands it to the
  // handler again when ConnectionOwner::ResumeRequest(*connection_id) is
  // called: a check the handler waits for (the application's access check)
  // answers later. The handler returns at once. False when this exchange
  // cannot wait; then the handler must answer now.
  virtual bool Suspend(uint64_t* connection_id) {
    (void)connection_id;
    return false;
  }
  // Sends the stream head and turns the connection into an event stream.
  // `counted_client` is the address whose per-client stream count the stream
  // now holds (released when it closes), or null.
  virtual void StartStream(const SubscribeRequest& subscribe, const IpAddress* counted_client) = 0;

 private:
  BridgeContext* context_;
  const HttpRequest& request_;
  const IpAddress peer_;
  std::string_view rest_;
  std::string_view query_;
  bool keep_alive_;
};

}  // namespace ssebridge
