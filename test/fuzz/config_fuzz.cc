// libFuzzer target: the JSON config file loader, with the file injected.
// The file is trusted, but no content may crash the loader: it either loads
// or returns an error naming the problem.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "ssebridge/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ssebridge::EnvLookup no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  ssebridge::FileReader reader = [&text](const std::string&) -> std::optional<std::string> { return text; };
  ssebridge::ConfigLoadResult result = ssebridge::LoadConfig({"--config", "fuzz.json"}, no_env, reader);
  if (result.error.empty() && (result.show_help || result.show_version)) abort();
  return 0;
}
