// The Lua scripts ssebridge runs in Redis (sources: deploy/redis/*.lua).
#pragma once

namespace ssebridge {

// Assigns an id, appends to each channel's history stream, publishes.
extern const char* const kPublishScript;
// Reads history after given ids for channels and patterns.
extern const char* const kFetchScript;

}  // namespace ssebridge
