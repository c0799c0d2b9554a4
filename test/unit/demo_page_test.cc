// Unit tests for the demo page served at GET / (include/ssebridge/demo_page.h):
// a complete HTML document that subscribes with EventSource on the events
// route relative to its own location and loads nothing from elsewhere.

#include "ssebridge/demo_page.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ssebridge {
namespace {

bool Contains(std::string_view text, std::string_view needle) { return text.find(needle) != std::string_view::npos; }

TEST(DemoPageTest, IsACompleteHtmlDocument) {
  std::string_view html = DemoPageHtml();
  ASSERT_FALSE(html.empty());
  EXPECT_EQ(html.substr(0, 15), "<!doctype html>");
  EXPECT_TRUE(Contains(html, "<meta charset=\"utf-8\">"));
  EXPECT_TRUE(Contains(html, "<title>"));
  const size_t end = html.rfind("</html>");
  ASSERT_NE(end, std::string_view::npos);
  // Nothing but the final newline after the closing tag.
  EXPECT_EQ(html.substr(end), "</html>\n");
  for (std::string_view tag : {"html", "head", "body", "script", "style"}) {
    EXPECT_TRUE(Contains(html, "<" + std::string(tag))) << tag;
    EXPECT_TRUE(Contains(html, "</" + std::string(tag) + ">")) << tag;
  }
}

TEST(DemoPageTest, HasNoEmbeddedNulBytes) {
  std::string_view html = DemoPageHtml();
  EXPECT_EQ(html.find('\0'), std::string_view::npos);
}

TEST(DemoPageTest, SubscribesWithEventSourceOnTheEventsRoute) {
  std::string_view html = DemoPageHtml();
  EXPECT_TRUE(Contains(html, "new EventSource(base + 'events?'"));
  EXPECT_TRUE(Contains(html, "'channel=' + encodeURIComponent("));
}

TEST(DemoPageTest, PublishesToThePublishRouteRelativeToItsLocation) {
  std::string_view html = DemoPageHtml();
  EXPECT_TRUE(Contains(html, "fetch(base + 'publish'"));
  // URLs come from the page's own location, so any --base-path works.
  EXPECT_TRUE(Contains(html, "location.pathname"));
}

TEST(DemoPageTest, LoadsNoExternalResources) {
  std::string_view html = DemoPageHtml();
  EXPECT_FALSE(Contains(html, "http://"));
  EXPECT_FALSE(Contains(html, "https://"));
  EXPECT_FALSE(Contains(html, "src="));
  EXPECT_FALSE(Contains(html, "<link"));
  EXPECT_FALSE(Contains(html, "@import"));
  EXPECT_FALSE(Contains(html, "url("));
}

TEST(DemoPageTest, ReturnsTheSameStorageEveryCall) {
  EXPECT_EQ(DemoPageHtml().data(), DemoPageHtml().data());
  EXPECT_EQ(DemoPageHtml().size(), DemoPageHtml().size());
}

}  // namespace
}  // namespace ssebridge
