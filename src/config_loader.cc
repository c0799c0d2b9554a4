#include "ssebridge/config_loader.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ssebridge/config_options.h"

namespace ssebridge {
namespace {

// A value for one option from one source. Repeatable options collect several.
struct SourceValues {
  std::vector<std::pair<const OptionSpec*, std::vector<std::string>>> values;
  void Set(const OptionSpec* option, std::vector<std::string> list) {
    for (auto& entry : values) {
      if (entry.first == option) {
        if (option->repeatable) {
          entry.second.insert(entry.second.end(), list.begin(), list.end());
        } else {
          entry.second = std::move(list);
        }
        return;
      }
    }
    values.emplace_back(option, std::move(list));
  }
};

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> parts;
  std::string current;
  std::istringstream stream(text);
  while (std::getline(stream, current, ',')) {
    size_t begin = current.find_first_not_of(" \t");
    size_t end = current.find_last_not_of(" \t");
    if (begin != std::string::npos) parts.push_back(current.substr(begin, end - begin + 1));
  }
  return parts;
}

std::string JsonScalarToText(const nlohmann::json& value, bool* ok) {
  *ok = true;
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "on" : "off";
  if (value.is_number_unsigned() || value.is_number_integer()) return value.dump();
  *ok = false;
  return "";
}

std::string ReadFileSource(const std::string& path, const FileReader& read_file, SourceValues* out) {
  std::optional<std::string> text = read_file(path);
  if (!text) return "--config: cannot read file '" + path + "'";
  nlohmann::json document = nlohmann::json::parse(*text, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return "--config: '" + path + "' is not a JSON object";
  }
  for (auto it = document.begin(); it != document.end(); ++it) {
    const OptionSpec* option = FindOption(it.key());
    if (option == nullptr) {
      return "--config: unknown option '" + it.key() + "' in '" + path + "'";
    }
    std::vector<std::string> list;
    bool ok = true;
    if (it.value().is_array()) {
      if (!option->repeatable) return "--" + it.key() + ": takes a single value, not an array";
      for (const auto& element : it.value()) {
        list.push_back(JsonScalarToText(element, &ok));
        if (!ok) break;
      }
    } else {
      list.push_back(JsonScalarToText(it.value(), &ok));
    }
    if (!ok) return "--" + it.key() + ": unsupported JSON value in '" + path + "'";
    out->Set(option, std::move(list));
  }
  return "";
}

}  // namespace

ConfigLoadResult LoadConfig(const std::vector<std::string>& args, const EnvLookup& env,
                            const FileReader& read_file) {
  ConfigLoadResult result;
  SourceValues flags;
  std::optional<std::string> config_path;

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      result.show_help = true;
      continue;
    }
    if (arg == "--version") {
      result.show_version = true;
      continue;
    }
    // Not in --help: it is for the build, which writes the manual page with it.
    if (arg == "--print-man") {
      result.show_man = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      result.error = "unexpected argument '" + arg + "'";
      return result;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    size_t equals = name.find('=');
    if (equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    }
    if (name == "config") {
      if (!value) {
        if (i + 1 >= args.size()) {
          result.error = "--config: missing value";
          return result;
        }
        value = args[++i];
      }
      config_path = *value;
      continue;
    }
    const OptionSpec* option = FindOption(name);
    if (option == nullptr) {
      result.error = "unknown option '--" + name + "'";
      return result;
    }
    if (!value && !option->takes_value) value = "on";  // A switch: --allow-commands.
    if (!value) {
      if (i + 1 >= args.size()) {
        result.error = "--" + name + ": missing value";
        return result;
      }
      value = args[++i];
    }
    flags.Set(option, {*value});
  }
  if (result.show_help || result.show_version || result.show_man) return result;

  if (!config_path) config_path = env("SSEBRIDGE_CONFIG");
  SourceValues file;
  if (config_path) {
    result.error = ReadFileSource(*config_path, read_file, &file);
    if (!result.error.empty()) return result;
  }

  SourceValues environment;
  for (const auto& option : Options()) {
    std::optional<std::string> value = env(EnvName(option.name));
    if (!value) continue;
    environment.Set(&option, option.repeatable ? SplitComma(*value) : std::vector<std::string>{*value});
  }

  // Apply the highest-precedence source that mentions each option.
  for (const auto& option : Options()) {
    const std::vector<std::string>* chosen = nullptr;
    const char* source = "";
    for (const auto* candidate : {&flags, &environment, &file}) {
      for (const auto& entry : candidate->values) {
        if (entry.first == &option) {
          chosen = &entry.second;
          source = candidate == &flags ? "flag" : candidate == &environment ? "environment" : "config file";
          break;
        }
      }
      if (chosen) break;
    }
    if (!chosen) continue;
    if (option.clear != nullptr) option.clear(result.config);
    for (const auto& value : *chosen) {
      std::string error = option.apply(result.config, value);
      if (!error.empty()) {
        result.error = std::string("--") + option.name + " (from " + source + "): " + error;
        return result;
      }
    }
  }
  result.error = CheckRedisOptions(result.config);
  return result;
}

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return std::nullopt;
  std::ostringstream contents;
  contents << stream.rdbuf();
  if (stream.bad()) return std::nullopt;
  return contents.str();
}

ConfigLoadResult LoadConfigFromProcess(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto env = [](const std::string& name) -> std::optional<std::string> {
    const char* value = getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  return LoadConfig(args, env, ReadWholeFile);
}

std::string ConfigUsage() {
  std::string usage =
      "Usage: ssebridge [--config FILE] [options]\n"
      "Relays Redis (or embedded) pub/sub messages to browsers over Server-Sent Events.\n\n"
      "Options (each also settable as env SSEBRIDGE_<NAME> or as a key of the JSON config file;\n"
      "precedence: flag > env > file > default):\n";
  for (const auto& option : Options()) {
    std::string line = std::string("  --") + option.name + (option.takes_value ? " VALUE" : "");
    if (line.size() < 28) line.resize(28, ' ');
    usage += line + " " + option.help + "\n";
  }
  usage +=
      "  --config FILE              JSON file with option names as keys\n"
      "  --help                     show this text\n"
      "  --version                  print the version\n";
  return usage;
}

}  // namespace ssebridge
