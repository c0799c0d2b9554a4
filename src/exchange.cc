#include "ssebridge/exchange.h"

#include "ssebridge/bridge_context.h"

namespace ssebridge {

bool DeferredAnswer::Complete(int status, std::string_view content_type, std::string_view body) const {
  return owner_->CompleteAnswer(connection_id_, sequence_,
                                 BuildResponse(status, content_type, body, headers_, http_minor_, keep_alive_));
}

IpAddress Exchange::ClientAddress() const {
  const std::vector<CidrRange>& trusted = *context_->trusted_proxies;
  // The common cases cost nothing: no proxies configured, or a direct client.
  if (trusted.empty() || !InAnyRange(trusted, peer_)) return peer_;
  std::vector<std::string_view> forwarded;
  for (const auto& header : request_.headers) {
    if (header.first == "x-forwarded-for") forwarded.push_back(header.second);
  }
  return SelectClientAddress(peer_, forwarded, trusted);
}

bool Exchange::ClientIsLocal() const {
  if (!IsLoopback(peer_)) return false;
  const std::vector<CidrRange>& trusted = *context_->trusted_proxies;
  if (!trusted.empty() && InAnyRange(trusted, peer_)) return IsLoopback(ClientAddress());
  for (const auto& header : request_.headers) {
    if (header.first == "x-forwarded-for" || header.first == "forwarded" || header.first == "x-real-ip") return false;
  }
  return true;
}

}  // namespace ssebridge
