#include "ssebridge/poll_holds.h"

#include <algorithm>

#include "ssebridge/log.h"

namespace ssebridge {
namespace {

std::vector<std::string> Sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

void PollHolds::Hold::SendFrame(const FrameRef& frame) {
  if (!complete) return;
  bytes += frame->view(false).size();
  if (bytes > max_bytes) {
    // Too much for one client to fetch later: keep nothing rather than a hole.
    complete = false;
    frames.clear();
    frames.shrink_to_fit();
    return;
  }
  frames.push_back(frame);
}

void PollHolds::Hold::CutOff(const char* /*why*/) {
  complete = false;
  frames.clear();
}

PollHolds::PollHolds(PubsubRegistry* registry, Options options, RandomBytes random)
    : registry_(registry), options_(options), random_(random) {}

uint64_t PollHolds::NextToken() {
  for (;;) {
    uint64_t z = 0;
    if (!random_(&z, sizeof z)) {
      // Without the kernel's randomness tokens stay distinct (splitmix64
      // gives every state a distinct output) but become guessable.
      if (fallback_state_ == 0) LOG_WARN("poll holds: no random bytes from the kernel; poll cursors are guessable");
      fallback_state_ += 0x9e3779b97f4a7c15ull;
      z = fallback_state_;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      z ^= z >> 31;
    }
    if (z != 0 && by_token_.count(z) == 0) return z;
  }
}

uint64_t PollHolds::Open(const std::vector<std::string>& channels, uint64_t now_ms) {
  while (by_token_.size() >= options_.max_holds && !holds_.empty()) Drop(holds_.begin());
  holds_.emplace_back();
  Hold& hold = holds_.back();
  hold.token = NextToken();
  hold.opened_ms = now_ms;
  hold.max_bytes = options_.max_bytes;
  hold.sorted_channels = Sorted(channels);
  hold.subscriber = registry_->Subscribe(&hold, channels);
  by_token_.emplace(hold.token, std::prev(holds_.end()));
  return hold.token;
}

PollHolds::State PollHolds::Check(uint64_t token, const std::vector<std::string>& channels) const {
  auto it = by_token_.find(token);
  if (it == by_token_.end() || it->second->sorted_channels != Sorted(channels)) return State::kMissing;
  return it->second->complete ? State::kComplete : State::kIncomplete;
}

std::vector<FrameRef> PollHolds::Take(uint64_t token) {
  auto it = by_token_.find(token);
  if (it == by_token_.end()) return {};
  std::vector<FrameRef> frames = std::move(it->second->frames);
  Drop(it->second);
  return frames;
}

void PollHolds::Expire(uint64_t now_ms) {
  while (!holds_.empty() && now_ms - holds_.front().opened_ms >= options_.hold_ms) Drop(holds_.begin());
}

void PollHolds::Clear() {
  while (!holds_.empty()) Drop(holds_.begin());
}

void PollHolds::Drop(List::iterator hold) {
  if (hold->subscriber != nullptr) registry_->Unsubscribe(hold->subscriber);
  by_token_.erase(hold->token);
  holds_.erase(hold);
}

}  // namespace ssebridge
