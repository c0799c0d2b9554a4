#include "ssebridge/untrusted_json.h"

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ssebridge {
namespace {

using Json = nlohmann::ordered_json;

// Builds an ordered_json document from nlohmann's SAX events, like its own
// DOM builder, except that each large object gets a hash index of its keys,
// so finding a repeated key costs O(1) instead of a scan of every member.
class DocumentBuilder {
 public:
  explicit DocumentBuilder(Json* root) : root_(root) {}

  bool null() { return Place(Json(nullptr)) != nullptr; }
  bool boolean(bool value) { return Place(Json(value)) != nullptr; }
  bool number_integer(Json::number_integer_t value) { return Place(Json(value)) != nullptr; }
  bool number_unsigned(Json::number_unsigned_t value) { return Place(Json(value)) != nullptr; }
  bool number_float(Json::number_float_t value, const Json::string_t& /*text*/) {
    return Place(Json(value)) != nullptr;
  }
  bool string(Json::string_t& value) { return Place(Json(std::move(value))) != nullptr; }
  // The JSON lexer never reports binary values; refusing them keeps the
  // builder honest if that ever changes.
  bool binary(Json::binary_t& /*value*/) { return false; }

  bool start_object(std::size_t /*size*/) { return Open(Json::object()); }
  bool start_array(std::size_t /*size*/) { return Open(Json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(Json::string_t& name) {
    Level& level = open_.back();
    // The vector under ordered_map: indexed by position, appended to without
    // ordered_map's linear duplicate search (Find() did that job).
    Members& members = level.value->get_ref<Json::object_t&>();
    const size_t existing = Find(level, members, name);
    if (existing != members.size()) {
      // nlohmann keeps a repeated key where it first appeared, with the last value.
      slot_ = &members[existing].second;
      return true;
    }
    if (!level.index.empty()) level.index.emplace(name, members.size());
    members.emplace_back(std::move(name), Json());
    slot_ = &members.back().second;
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*error*/) {
    return false;
  }

 private:
  // Objects up to this many members are searched linearly: an index would
  // cost more than it saves, and most objects are small.
  static constexpr size_t kIndexFrom = 16;

  using Members = Json::object_t::Container;

  struct Level {
    Json* value;
    std::unordered_map<std::string, size_t> index;  // Key -> member position, once large.
  };

  // Position of `name` among the members, or members.size().
  static size_t Find(Level& level, const Members& members, const std::string& name) {
    if (members.size() < kIndexFrom) {
      for (size_t i = 0; i < members.size(); ++i) {
        if (members[i].first == name) return i;
      }
      return members.size();
    }
    if (level.index.empty()) {
      for (size_t i = 0; i < members.size(); ++i) level.index.emplace(members[i].first, i);
    }
    auto it = level.index.find(name);
    return it == level.index.end() ? members.size() : it->second;
  }

  // Stores a value where the document expects the next one and returns it.
  // Pointers stay valid while the value is open: its parent gets no new
  // members until it is closed.
  Json* Place(Json value) {
    if (open_.empty()) {
      *root_ = std::move(value);
      return root_;
    }
    Json* container = open_.back().value;
    if (container->is_array()) {
      Json::array_t& elements = container->get_ref<Json::array_t&>();
      elements.push_back(std::move(value));
      return &elements.back();
    }
    *slot_ = std::move(value);
    return slot_;
  }

  bool Open(Json empty) {
    // The caller scanned the depth already; this keeps the builder bounded
    // on its own.
    if (open_.size() >= kMaxJsonDepth) return false;
    Json* value = Place(std::move(empty));
    open_.push_back(Level{value, {}});
    return true;
  }

  bool Close() {
    open_.pop_back();
    return true;
  }

  Json* root_;
  Json* slot_ = nullptr;  // The member whose key was read last.
  std::vector<Level> open_;
};

}  // namespace

bool JsonNestsDeeperThan(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  const size_t size = text.size();
  size_t at = 0;
  while (at < size) {
    const char c = text[at++];
    if (c == '"') {
      // Skip the string: up to the next quote that no backslash escapes. An
      // unterminated string ends the text for any parser, so nothing after
      // it can nest deeper.
      for (;;) {
        if (at >= size) return false;
        const char s = text[at++];
        if (s == '"') break;
        if (s == '\\') ++at;
      }
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

JsonParseStatus ParseUntrustedJson(std::string_view text, nlohmann::ordered_json* out) {
  if (JsonNestsDeeperThan(text, kMaxJsonDepth)) return JsonParseStatus::kTooDeep;
  DocumentBuilder builder(out);
  return Json::sax_parse(text.begin(), text.end(), &builder) ? JsonParseStatus::kOk : JsonParseStatus::kInvalid;
}

std::string ParseUntrustedJsonObject(std::string_view body, nlohmann::ordered_json* out) {
  switch (ParseUntrustedJson(body, out)) {
    case JsonParseStatus::kOk:
      break;
    case JsonParseStatus::kTooDeep:
      return "JSON nests deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    case JsonParseStatus::kInvalid:
      return "body is not valid JSON";
  }
  if (!out->is_object()) return "body must be a JSON object";
  return "";
}

}  // namespace ssebridge
