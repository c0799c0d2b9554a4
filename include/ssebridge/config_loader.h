// The configuration loader: merges command-line flags, SSEBRIDGE_* environment
// variables and a JSON file into one Config, through the option table.
// Precedence is flag > env > file > default. Loading never exits the process:
// it returns an error message naming the offending option, and main() decides.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ssebridge/config.h"

namespace ssebridge {

struct ConfigLoadResult {
  Config config;
  std::string error;  // Non-empty: invalid input; the process should exit with status 2.
  bool show_help = false;
  bool show_version = false;
  bool show_man = false;  // --print-man: the build writes ssebridge(1) with it.
};

// Looks up an environment variable; returns nullopt when unset. Injected so tests
// can run without touching the real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Reads a whole file; returns nullopt when it cannot be read. Injected for tests.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

// The FileReader of the real process: the whole file, or nullopt.
std::optional<std::string> ReadWholeFile(const std::string& path);

ConfigLoadResult LoadConfig(const std::vector<std::string>& args, const EnvLookup& env,
                            const FileReader& read_file);

// Convenience for main(): real environment and filesystem.
ConfigLoadResult LoadConfigFromProcess(int argc, char** argv);

// The --help text.
std::string ConfigUsage();

}  // namespace ssebridge
