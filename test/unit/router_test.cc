// Unit tests for the generic matcher (include/ssebridge/router.h) on a table
// of its own; the bridge's table is tested in route_table_test.cc.

#include "ssebridge/router.h"

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

void First(Exchange&) {}
void Second(Exchange&) {}

const std::vector<Route> kTable = {
    {"/items", true, kGet | kDelete, First},
    {"/items/special", false, kPost, Second},  // Shadowed: the prefix row above matches first.
    {"/stats", false, kGet, Second},
};

TEST(RouterTest, PrefixRowMatchesItselfAndBelowWithRest) {
  EXPECT_EQ(MatchRoute(kTable, "", "GET", "/items").route, &kTable[0]);
  RouteMatch m = MatchRoute(kTable, "", "DELETE", "/items/42");
  EXPECT_EQ(m.route, &kTable[0]);
  EXPECT_EQ(m.rest, "42");
  EXPECT_TRUE(m.method_allowed);
  EXPECT_EQ(MatchRoute(kTable, "", "POST", "/items/special").route, &kTable[0]);
}

TEST(RouterTest, ExactRowMatchesOnlyItself) {
  EXPECT_EQ(MatchRoute(kTable, "", "GET", "/stats").route, &kTable[2]);
  EXPECT_EQ(MatchRoute(kTable, "", "GET", "/stats/x").route, nullptr);
  EXPECT_EQ(MatchRoute(kTable, "", "GET", "/statsx").route, nullptr);
}

TEST(RouterTest, UnlistedMethodIsNotAllowedButOptionsIsAPreflight) {
  RouteMatch put = MatchRoute(kTable, "", "PUT", "/items");
  EXPECT_FALSE(put.method_allowed);
  EXPECT_STREQ(put.allow, "GET, DELETE, OPTIONS");
  RouteMatch options = MatchRoute(kTable, "", "OPTIONS", "/stats");
  EXPECT_TRUE(options.is_preflight);
  EXPECT_TRUE(options.method_allowed);
}

TEST(RouterTest, AllowHeaderListsMethodsInAFixedOrder) {
  EXPECT_STREQ(AllowHeader(kGet), "GET, OPTIONS");
  EXPECT_STREQ(AllowHeader(kPost), "POST, OPTIONS");
  EXPECT_STREQ(AllowHeader(kHead | kGet), "GET, HEAD, OPTIONS");
  EXPECT_STREQ(AllowHeader(kPost | kGet), "GET, POST, OPTIONS");
  EXPECT_STREQ(AllowHeader(0), "OPTIONS");
}

}  // namespace
}  // namespace ssebridge
