// The option table: every option of ssebridge described once — its name,
// whether it takes a value, its help text and how a textual value is applied
// to Config. Flags, environment variables and the JSON file (config.cc) all
// go through it, and so does --help, so none of them can drift apart.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ssebridge/config.h"

namespace ssebridge {

struct OptionSpec {
  const char* name;
  // False for a switch: the bare flag means "on" (--flag=off still works);
  // the environment and the file give on/off.
  bool takes_value;
  bool repeatable;
  const char* help;
  // Applies one textual value. Returns an error description or "".
  std::function<std::string(Config&, const std::string&)> apply;
  // Repeatable options only: forgets the values of lower-precedence sources.
  void (*clear)(Config&) = nullptr;
};

// Every option, in the order --help lists them.
const std::vector<OptionSpec>& Options();

// Combinations of the Redis options that cannot work (--redis-sentinel
// without --redis-master, ...): "" or what is wrong.
std::string CheckRedisOptions(const Config& config);

// The option called `name` (without the leading dashes), or nullptr.
const OptionSpec* FindOption(const std::string& name);

// The environment variable that sets an option: SSEBRIDGE_ and the name in
// upper case with '-' as '_'.
std::string EnvName(const std::string& option);

}  // namespace ssebridge
