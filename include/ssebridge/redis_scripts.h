// The Lua scripts ssebridge runs in Redis (sources: deploy/redis/*.lua).
#pragma once

namespace ssebridge {

// Assigns an id, appends to each channel's history stream, publishes.
extern const char* const kPublishScript;
// Reads history after given ids for channels and patterns.
extern const char* const kFetchScript;
// Delivers, once, what the publish script kept for a user with no stream.
extern const char* const kDrainUserScript;

// The id clock both scripts share: the last id issued (absent until the first publish).
constexpr const char* kClockKey = "ssebridge:seq";

}  // namespace ssebridge
