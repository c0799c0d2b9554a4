// Unit tests for MatchRoute (include/ssebridge/router.h).

#include "ssebridge/router.h"

#include <ostream>
#include <string>

#include <gtest/gtest.h>

namespace ssebridge {

void PrintTo(Route route, std::ostream* os) {
  static const char* const kNames[] = {"kStream", "kPublish", "kHealth", "kMetrics", "kDemoPage", "kNotFound"};
  *os << kNames[static_cast<int>(route)];
}

namespace {

TEST(RouterTest, StreamRoute) {
  RouteMatch m = MatchRoute("", "GET", "/events");
  EXPECT_EQ(m.route, Route::kStream);
  EXPECT_TRUE(m.method_allowed);
  EXPECT_FALSE(m.is_preflight);
  EXPECT_EQ(m.rest, "");
  EXPECT_STREQ(m.allow, "GET, OPTIONS");
}

TEST(RouterTest, StreamRouteWithChannelsInPath) {
  RouteMatch m = MatchRoute("", "GET", "/events/a/b%2Fc");
  EXPECT_EQ(m.route, Route::kStream);
  EXPECT_EQ(m.rest, "a/b%2Fc");  // Still percent-encoded: decoding is the caller's job.
  EXPECT_TRUE(m.method_allowed);
}

TEST(RouterTest, StreamRouteWithTrailingSlashHasEmptyRest) {
  RouteMatch m = MatchRoute("", "GET", "/events/");
  EXPECT_EQ(m.route, Route::kStream);
  EXPECT_EQ(m.rest, "");
}

TEST(RouterTest, EventsPrefixWithoutSlashIsNotTheStream) {
  EXPECT_EQ(MatchRoute("", "GET", "/eventsource").route, Route::kNotFound);
  EXPECT_EQ(MatchRoute("", "GET", "/event").route, Route::kNotFound);
}

TEST(RouterTest, StreamOnlyAllowsGet) {
  for (const char* method : {"POST", "HEAD", "PUT", "DELETE"}) {
    RouteMatch m = MatchRoute("", method, "/events/a");
    EXPECT_EQ(m.route, Route::kStream) << method;
    EXPECT_FALSE(m.method_allowed) << method;
    EXPECT_STREQ(m.allow, "GET, OPTIONS");
  }
}

TEST(RouterTest, PublishRoute) {
  RouteMatch m = MatchRoute("", "POST", "/publish");
  EXPECT_EQ(m.route, Route::kPublish);
  EXPECT_TRUE(m.method_allowed);
  EXPECT_STREQ(m.allow, "POST, OPTIONS");
  RouteMatch get = MatchRoute("", "GET", "/publish");
  EXPECT_EQ(get.route, Route::kPublish);
  EXPECT_FALSE(get.method_allowed);  // -> 405 with Allow: POST, OPTIONS
  EXPECT_STREQ(get.allow, "POST, OPTIONS");
}

TEST(RouterTest, PublishSubpathIsNotFound) {
  EXPECT_EQ(MatchRoute("", "POST", "/publish/x").route, Route::kNotFound);
  EXPECT_EQ(MatchRoute("", "POST", "/publishx").route, Route::kNotFound);
}

TEST(RouterTest, HealthMetricsAndDemoPageAllowGetAndHead) {
  struct Case {
    const char* path;
    Route route;
  } cases[] = {{"/healthz", Route::kHealth},
               {"/metrics", Route::kMetrics},
               {"/", Route::kDemoPage},
               {"/index.html", Route::kDemoPage}};
  for (const Case& c : cases) {
    for (const char* method : {"GET", "HEAD"}) {
      RouteMatch m = MatchRoute("", method, c.path);
      EXPECT_EQ(m.route, c.route) << c.path;
      EXPECT_TRUE(m.method_allowed) << method << " " << c.path;
      EXPECT_STREQ(m.allow, "GET, HEAD, OPTIONS");
    }
    RouteMatch post = MatchRoute("", "POST", c.path);
    EXPECT_EQ(post.route, c.route);
    EXPECT_FALSE(post.method_allowed) << c.path;
  }
}

TEST(RouterTest, OptionsIsAPreflightOnKnownRoutes) {
  for (const char* path : {"/events", "/events/a", "/publish", "/healthz", "/metrics", "/"}) {
    RouteMatch m = MatchRoute("", "OPTIONS", path);
    EXPECT_NE(m.route, Route::kNotFound) << path;
    EXPECT_TRUE(m.is_preflight) << path;
    EXPECT_TRUE(m.method_allowed) << path;
  }
}

TEST(RouterTest, OptionsOnUnknownPathIsNotFoundNotPreflight) {
  RouteMatch m = MatchRoute("", "OPTIONS", "/nope");
  EXPECT_EQ(m.route, Route::kNotFound);
  EXPECT_FALSE(m.is_preflight);
}

TEST(RouterTest, PreflightKeepsRestForStream) {
  EXPECT_EQ(MatchRoute("", "OPTIONS", "/events/x").rest, "x");
}

TEST(RouterTest, UnknownPathsAreNotFound) {
  for (const char* path : {"/foo", "/healthz/", "/metrics.txt", "/index.htm", "//events", "/EVENTS"}) {
    RouteMatch m = MatchRoute("", "GET", path);
    EXPECT_EQ(m.route, Route::kNotFound) << path;
    EXPECT_FALSE(m.method_allowed) << path;
  }
}

TEST(RouterTest, BasePathPrefixesEveryRoute) {
  EXPECT_EQ(MatchRoute("/sse", "GET", "/sse/events/a").route, Route::kStream);
  EXPECT_EQ(MatchRoute("/sse", "GET", "/sse/events/a").rest, "a");
  EXPECT_EQ(MatchRoute("/sse", "POST", "/sse/publish").route, Route::kPublish);
  EXPECT_EQ(MatchRoute("/sse", "GET", "/sse/healthz").route, Route::kHealth);
  EXPECT_EQ(MatchRoute("/sse", "GET", "/sse/metrics").route, Route::kMetrics);
  EXPECT_EQ(MatchRoute("/a/b", "GET", "/a/b/events").route, Route::kStream);
}

TEST(RouterTest, BasePathItselfServesTheDemoPage) {
  EXPECT_EQ(MatchRoute("/sse", "GET", "/sse").route, Route::kDemoPage);
  EXPECT_EQ(MatchRoute("/sse", "GET", "/sse/").route, Route::kDemoPage);
  EXPECT_EQ(MatchRoute("/sse", "GET", "/sse/index.html").route, Route::kDemoPage);
}

TEST(RouterTest, PathsOutsideTheBasePathAreNotFound) {
  EXPECT_EQ(MatchRoute("/sse", "GET", "/events/a").route, Route::kNotFound);
  EXPECT_EQ(MatchRoute("/sse", "POST", "/publish").route, Route::kNotFound);
  EXPECT_EQ(MatchRoute("/sse", "GET", "/").route, Route::kNotFound);
  EXPECT_EQ(MatchRoute("/sse", "OPTIONS", "/publish").route, Route::kNotFound);
  // A path that merely starts with the same characters is outside too.
  EXPECT_EQ(MatchRoute("/sse", "GET", "/ssevents").route, Route::kNotFound);
  EXPECT_EQ(MatchRoute("/sse", "GET", "/sse2/events").route, Route::kNotFound);
  EXPECT_EQ(MatchRoute("/sse", "GET", "/ss").route, Route::kNotFound);
}

}  // namespace
}  // namespace ssebridge
