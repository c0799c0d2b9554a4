// Unit tests for the bridge's route table (include/ssebridge/handlers/route_table.h):
// which row, methods, Allow header and path rest each request reaches.

#include "ssebridge/handlers/route_table.h"

#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "ssebridge/handlers/publish_handler.h"
#include "ssebridge/handlers/query_publish_handler.h"
#include "ssebridge/handlers/root_handler.h"
#include "ssebridge/handlers/stats_handler.h"
#include "ssebridge/handlers/status_handlers.h"
#include "ssebridge/handlers/stream_handler.h"

namespace ssebridge {
namespace {

// The endpoint a row serves, named by its handler.
// kRoot is GET /: the demo page, or a stream when the query names a channel.
enum class Endpoint { kStream, kPublish, kHealth, kMetrics, kDemoPage, kRoot, kStats, kReady, kNotFound };

void PrintTo(Endpoint endpoint, std::ostream* os) {
  static const char* const kNames[] = {"kStream",   "kPublish", "kHealth", "kMetrics",
                                       "kDemoPage", "kRoot",    "kStats",  "kReady", "kNotFound"};
  *os << kNames[static_cast<int>(endpoint)];
}

struct Match {
  Endpoint route = Endpoint::kNotFound;
  bool method_allowed = false;
  bool is_preflight = false;
  std::string_view rest;
  const char* allow = "";
};

Match MatchBridgeRoute(std::string_view base_path, std::string_view method, std::string_view path) {
  RouteMatch m = MatchRoute(BridgeRoutes(), base_path, method, path);
  Match out{Endpoint::kNotFound, m.method_allowed, m.is_preflight, m.rest, m.allow};
  if (m.route == nullptr) return out;
  const Handler handler = m.route->handler;
  if (handler == HandleStream) out.route = Endpoint::kStream;
  if (handler == HandlePublish) out.route = Endpoint::kPublish;
  if (handler == HandleHealth) out.route = Endpoint::kHealth;
  if (handler == HandleMetrics) out.route = Endpoint::kMetrics;
  if (handler == HandleDemoPage) out.route = Endpoint::kDemoPage;
  if (handler == HandleRoot) out.route = Endpoint::kRoot;
  if (handler == HandleStats) out.route = Endpoint::kStats;
  if (handler == HandleReady) out.route = Endpoint::kReady;
  return out;
}

TEST(RouteTableTest, StreamRoute) {
  Match m = MatchBridgeRoute("", "GET", "/events");
  EXPECT_EQ(m.route, Endpoint::kStream);
  EXPECT_TRUE(m.method_allowed);
  EXPECT_FALSE(m.is_preflight);
  EXPECT_EQ(m.rest, "");
  EXPECT_STREQ(m.allow, "GET, OPTIONS");
}

TEST(RouteTableTest, StreamRouteWithChannelsInPath) {
  Match m = MatchBridgeRoute("", "GET", "/events/a/b%2Fc");
  EXPECT_EQ(m.route, Endpoint::kStream);
  EXPECT_EQ(m.rest, "a/b%2Fc");  // Still percent-encoded: decoding is the caller's job.
  EXPECT_TRUE(m.method_allowed);
}

TEST(RouteTableTest, StreamRouteWithTrailingSlashHasEmptyRest) {
  Match m = MatchBridgeRoute("", "GET", "/events/");
  EXPECT_EQ(m.route, Endpoint::kStream);
  EXPECT_EQ(m.rest, "");
}

TEST(RouteTableTest, EventsPrefixWithoutSlashIsNotTheStream) {
  EXPECT_EQ(MatchBridgeRoute("", "GET", "/eventsource").route, Endpoint::kNotFound);
  EXPECT_EQ(MatchBridgeRoute("", "GET", "/event").route, Endpoint::kNotFound);
}

TEST(RouteTableTest, StreamOnlyAllowsGet) {
  for (const char* method : {"POST", "HEAD", "PUT", "DELETE"}) {
    Match m = MatchBridgeRoute("", method, "/events/a");
    EXPECT_EQ(m.route, Endpoint::kStream) << method;
    EXPECT_FALSE(m.method_allowed) << method;
    EXPECT_STREQ(m.allow, "GET, OPTIONS");
  }
}

TEST(RouteTableTest, PublishRoute) {
  Match m = MatchBridgeRoute("", "POST", "/publish");
  EXPECT_EQ(m.route, Endpoint::kPublish);
  EXPECT_TRUE(m.method_allowed);
  EXPECT_STREQ(m.allow, "POST, OPTIONS");
  Match get = MatchBridgeRoute("", "GET", "/publish");
  EXPECT_EQ(get.route, Endpoint::kPublish);
  EXPECT_FALSE(get.method_allowed);  // -> 405 with Allow: POST, OPTIONS
  EXPECT_STREQ(get.allow, "POST, OPTIONS");
}

TEST(RouteTableTest, PublishSubpathIsNotFound) {
  EXPECT_EQ(MatchBridgeRoute("", "POST", "/publish/x").route, Endpoint::kNotFound);
  EXPECT_EQ(MatchBridgeRoute("", "POST", "/publishx").route, Endpoint::kNotFound);
}

TEST(RouteTableTest, HealthMetricsAndDemoPageAllowGetAndHead) {
  struct Case {
    const char* path;
    Endpoint route;
  } cases[] = {{"/healthz", Endpoint::kHealth},
               {"/readyz", Endpoint::kReady},
               {"/metrics", Endpoint::kMetrics},
               {"/", Endpoint::kRoot},
               {"/index.html", Endpoint::kDemoPage},
               {"/stats", Endpoint::kStats}};
  for (const Case& c : cases) {
    for (const char* method : {"GET", "HEAD"}) {
      Match m = MatchBridgeRoute("", method, c.path);
      EXPECT_EQ(m.route, c.route) << c.path;
      EXPECT_TRUE(m.method_allowed) << method << " " << c.path;
      EXPECT_STREQ(m.allow, "GET, HEAD, OPTIONS");
    }
    Match post = MatchBridgeRoute("", "POST", c.path);
    EXPECT_EQ(post.route, c.route);
    EXPECT_FALSE(post.method_allowed) << c.path;
  }
}

TEST(RouteTableTest, OptionsIsAPreflightOnKnownRoutes) {
  for (const char* path : {"/events", "/events/a", "/publish", "/healthz", "/readyz", "/metrics", "/", "/stats"}) {
    Match m = MatchBridgeRoute("", "OPTIONS", path);
    EXPECT_NE(m.route, Endpoint::kNotFound) << path;
    EXPECT_TRUE(m.is_preflight) << path;
    EXPECT_TRUE(m.method_allowed) << path;
  }
}

TEST(RouteTableTest, OptionsOnUnknownPathIsNotFoundNotPreflight) {
  Match m = MatchBridgeRoute("", "OPTIONS", "/nope");
  EXPECT_EQ(m.route, Endpoint::kNotFound);
  EXPECT_FALSE(m.is_preflight);
}

TEST(RouteTableTest, PreflightKeepsRestForStream) {
  EXPECT_EQ(MatchBridgeRoute("", "OPTIONS", "/events/x").rest, "x");
}

TEST(RouteTableTest, UnknownPathsAreNotFound) {
  for (const char* path : {"/foo", "/healthz/", "/metrics.txt", "/index.htm", "//events", "/EVENTS"}) {
    Match m = MatchBridgeRoute("", "GET", path);
    EXPECT_EQ(m.route, Endpoint::kNotFound) << path;
    EXPECT_FALSE(m.method_allowed) << path;
  }
}

TEST(RouteTableTest, BasePathPrefixesEveryRoute) {
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/sse/events/a").route, Endpoint::kStream);
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/sse/events/a").rest, "a");
  EXPECT_EQ(MatchBridgeRoute("/sse", "POST", "/sse/publish").route, Endpoint::kPublish);
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/sse/healthz").route, Endpoint::kHealth);
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/sse/readyz").route, Endpoint::kReady);
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/sse/metrics").route, Endpoint::kMetrics);
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/sse/stats").route, Endpoint::kStats);
  EXPECT_EQ(MatchBridgeRoute("/a/b", "GET", "/a/b/events").route, Endpoint::kStream);
}

TEST(RouteTableTest, BasePathItselfServesTheRoot) {
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/sse").route, Endpoint::kRoot);
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/sse/").route, Endpoint::kRoot);
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/sse/index.html").route, Endpoint::kDemoPage);
}

TEST(RouteTableTest, PathsOutsideTheBasePathAreNotFound) {
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/events/a").route, Endpoint::kNotFound);
  EXPECT_EQ(MatchBridgeRoute("/sse", "POST", "/publish").route, Endpoint::kNotFound);
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/").route, Endpoint::kNotFound);
  EXPECT_EQ(MatchBridgeRoute("/sse", "OPTIONS", "/publish").route, Endpoint::kNotFound);
  // A path that merely starts with the same characters is outside too.
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/ssevents").route, Endpoint::kNotFound);
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/sse2/events").route, Endpoint::kNotFound);
  EXPECT_EQ(MatchBridgeRoute("/sse", "GET", "/ss").route, Endpoint::kNotFound);
}

// W3C SSE-Server style publishing (--allow-get-publish): its own row, below
// the POST row, so GET /publish alone keeps its 405.
TEST(RouteTableTest, GetPublishWithChannelsIsTheQueryPublishRow) {
  RouteMatch get = MatchRoute(BridgeRoutes(), "", "GET", "/publish/color/page");
  ASSERT_NE(get.route, nullptr);
  EXPECT_EQ(get.route->handler, HandleQueryPublish);
  EXPECT_TRUE(get.method_allowed);
  EXPECT_EQ(get.rest, "color/page");
  RouteMatch post = MatchRoute(BridgeRoutes(), "", "POST", "/publish/color");
  ASSERT_NE(post.route, nullptr);
  EXPECT_FALSE(post.method_allowed);
  EXPECT_STREQ(post.allow, "GET, OPTIONS");
  RouteMatch bare = MatchRoute(BridgeRoutes(), "", "GET", "/publish");
  ASSERT_NE(bare.route, nullptr);
  EXPECT_EQ(bare.route->handler, HandlePublish);
  EXPECT_FALSE(bare.method_allowed);
}

}  // namespace
}  // namespace ssebridge
