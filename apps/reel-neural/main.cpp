// reel-neural: the torch-linked half of the CLI, reached as `reel neural <command>`.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "reel/core/error.hpp"

namespace reel::neural_cli {
using Argv = std::vector<std::string>;
}  // namespace reel::neural_cli

namespace {

constexpr const char* kUsage =
    "usage: reel neural <command> [options]\n"
    "\n"
    "commands:\n"
    "  (none yet)\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  try {
    throw reel::Error(reel::ErrorKind::InvalidInput,
                      "unknown neural command '" + command + "' (reel neural --help)");
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "reel: error: %s\n", e.what());
    return reel::exit_code(e.kind());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reel: internal error: %s\n", e.what());
    return 70;
  }
}
