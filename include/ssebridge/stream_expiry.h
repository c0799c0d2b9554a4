// StreamExpiries: the streams whose credential expires, ordered by when. The
// scheduler's 250 ms sweep ends the due ones (Server calls ExpireDue), so a
// stream with a token costs one ordered-map node, not a timer of its own.
// A stream leaves the index when it closes (EventStream::Stop), so no entry
// outlives its stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>

namespace ssebridge {

class EventStream;

class StreamExpiries {
 public:
  using Index = std::multimap<uint64_t, EventStream*>;
  using Handle = Index::iterator;

  // `due_ms` is on the loop's clock (uv_now).
  Handle Add(uint64_t due_ms, EventStream* stream) { return index_.emplace(due_ms, stream); }
  void Remove(Handle handle) { index_.erase(handle); }

  // For every entry due at `now_ms`, oldest first: takes it out of the
  // index, then calls end(stream), which must not Remove() it again.
  void ExpireDue(uint64_t now_ms, const std::function<void(EventStream*)>& end);

  size_t size() const { return index_.size(); }

 private:
  Index index_;
};

}  // namespace ssebridge
