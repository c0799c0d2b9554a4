// Unit tests for StreamExpiries (include/ssebridge/stream_expiry.h).

#include "ssebridge/stream_expiry.h"

#include <gtest/gtest.h>

#include <vector>

namespace ssebridge {
namespace {

EventStream* Fake(uintptr_t n) { return reinterpret_cast<EventStream*>(n * 16); }

TEST(StreamExpiriesTest, EndsTheDueEntriesOldestFirstAndKeepsTheRest) {
  StreamExpiries expiries;
  expiries.Add(300, Fake(3));
  expiries.Add(100, Fake(1));
  StreamExpiries::Handle removed = expiries.Add(150, Fake(9));
  expiries.Add(200, Fake(2));
  expiries.Remove(removed);
  std::vector<EventStream*> ended;
  expiries.ExpireDue(200, [&](EventStream* stream) { ended.push_back(stream); });
  EXPECT_EQ(ended, (std::vector<EventStream*>{Fake(1), Fake(2)}));
  EXPECT_EQ(expiries.size(), 1u);
  ended.clear();
  expiries.ExpireDue(299, [&](EventStream* stream) { ended.push_back(stream); });
  EXPECT_TRUE(ended.empty());
}

TEST(StreamExpiriesTest, AnEndMayAddEntries) {
  StreamExpiries expiries;
  expiries.Add(10, Fake(1));
  int calls = 0;
  expiries.ExpireDue(10, [&](EventStream*) {
    if (++calls == 1) expiries.Add(5, Fake(2));  // Due too: ended in the same pass.
  });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(expiries.size(), 0u);
}

}  // namespace
}  // namespace ssebridge
