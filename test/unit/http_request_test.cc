// Unit tests for HttpRequest (include/ssebridge/http_request.h): header
// lookup by lower-case name and Clear() resetting every field.

#include "ssebridge/http_request.h"

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

HttpRequest RequestWithHeaders() {
  HttpRequest request;
  request.method = "POST";
  request.target = "/publish?x=1";
  request.headers = {{"content-type", "application/json"}, {"x-forwarded-for", "10.0.0.1"},
                     {"x-forwarded-for", "10.0.0.2"}, {"empty", ""}};
  request.body = "{}";
  return request;
}

TEST(HttpRequestTest, HeaderFindsAPresentHeader) {
  HttpRequest request = RequestWithHeaders();
  const std::string* value = request.Header("content-type");
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(*value, "application/json");
}

TEST(HttpRequestTest, HeaderReturnsTheFirstOfRepeatedHeaders) {
  HttpRequest request = RequestWithHeaders();
  const std::string* value = request.Header("x-forwarded-for");
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(*value, "10.0.0.1");
  EXPECT_EQ(value, &request.headers[1].second);  // A pointer into the request, not a copy.
}

TEST(HttpRequestTest, HeaderIsNullForAMissingHeader) {
  HttpRequest request = RequestWithHeaders();
  EXPECT_EQ(request.Header("accept"), nullptr);
  EXPECT_EQ(request.Header(""), nullptr);
  EXPECT_EQ(HttpRequest{}.Header("content-type"), nullptr);
}

TEST(HttpRequestTest, HeaderMatchesExactLowerCaseNamesOnly) {
  // Names are stored lower-cased by the parser; lookups use lower case too.
  HttpRequest request = RequestWithHeaders();
  EXPECT_EQ(request.Header("Content-Type"), nullptr);
  EXPECT_EQ(request.Header("content-typ"), nullptr);
  EXPECT_EQ(request.Header("content-type2"), nullptr);
}

TEST(HttpRequestTest, HeaderFindsAnEmptyValue) {
  HttpRequest request = RequestWithHeaders();
  const std::string* value = request.Header("empty");
  ASSERT_NE(value, nullptr);
  EXPECT_TRUE(value->empty());
}

TEST(HttpRequestTest, DefaultsAreHttp11KeepAlive) {
  HttpRequest request;
  EXPECT_EQ(request.http_major, 1);
  EXPECT_EQ(request.http_minor, 1);
  EXPECT_TRUE(request.keep_alive);
}

TEST(HttpRequestTest, ClearResetsEveryFieldAndKeepsBuffers) {
  HttpRequest request = RequestWithHeaders();
  request.body.assign(1000, 'x');
  request.http_minor = 0;
  request.keep_alive = false;
  const size_t body_capacity = request.body.capacity();
  const size_t headers_capacity = request.headers.capacity();
  request.Clear();
  EXPECT_TRUE(request.method.empty());
  EXPECT_TRUE(request.target.empty());
  EXPECT_TRUE(request.headers.empty());
  EXPECT_TRUE(request.body.empty());
  EXPECT_EQ(request.http_major, 1);
  EXPECT_EQ(request.http_minor, 1);
  EXPECT_TRUE(request.keep_alive);
  EXPECT_EQ(request.Header("content-type"), nullptr);
  EXPECT_GE(request.body.capacity(), body_capacity);
  EXPECT_GE(request.headers.capacity(), headers_capacity);
}

}  // namespace
}  // namespace ssebridge
