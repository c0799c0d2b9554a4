// The /clients endpoints (server-event-mgr compatibility): publisher
// operations on a stream registered under a client id (see client_id.h).
//
//   POST   /clients/<id>/channels            add channels and patterns (JSON or form body)
//   DELETE /clients/<id>/channels/<channel>  remove one (percent-encoded, '/' as %2F)
//   DELETE /clients/<id>                     end the stream
//
// They obey what publishing obeys (the per-client publish rate, CORS). An id
// not registered on this process is answered 404 with a JSON error.
#pragma once

#include <string>

namespace ssebridge {

class Exchange;

// The route table's one row for /clients/...: splits the rest of the path
// and hands the request to one of the three handlers below, or answers
// 404/405.
void HandleClients(Exchange& exchange);

void HandleAddClientChannels(Exchange& exchange, const std::string& id);
void HandleRemoveClientChannel(Exchange& exchange, const std::string& id, const std::string& channel);
void HandleEndClient(Exchange& exchange, const std::string& id);

}  // namespace ssebridge
