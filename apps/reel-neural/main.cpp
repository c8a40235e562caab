// reel-neural: the torch-linked half of the CLI, reached as `reel neural <command>`.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "reel/core/error.hpp"

namespace {

struct Command {
  const char* name;
  int (*run)(const reel::neural_cli::Argv&);
  const char* help;
};

constexpr Command kCommands[] = {
    {"dit-forward", reel::neural_cli::dit_forward,
     "one Wan DiT forward: --config --weights --inputs --out [--device] [--dtype] [--offload]"},
    {"dit-sample", reel::neural_cli::dit_sample,
     "a whole sampling run: dit-sample --help for options"},
    {"vae-encode", reel::neural_cli::vae_encode,
     "Wan VAE encode: (--vae-config|--version) --weights --inputs --out [--tile --overlap]"},
    {"vae-decode", reel::neural_cli::vae_decode,
     "Wan VAE decode: (--vae-config|--version) --weights --inputs --out [--tile --overlap]"},
    {"generate", reel::neural_cli::generate,
     "text/image to video with a Wan checkpoint folder: generate --help for options"},
    {"t5-encode", reel::neural_cli::t5_encode,
     "one prompt through umT5: --weights --tokenizer --prompt --out [--t5-config] [--dtype]"},
    {"info", reel::neural_cli::info,
     "the compute backend loaded: BLAS, threads, oneDNN, CPU bf16/AMX, CUDA [--json|--line]"},
};

void usage(std::FILE* to) {
  std::fputs("usage: reel neural <command> [options]\n\ncommands:\n", to);
  for (const auto& c : kCommands) std::fprintf(to, "  %-14s %s\n", c.name, c.help);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  try {
    for (const auto& c : kCommands) {
      if (command != c.name) continue;
      const reel::neural_cli::Argv args(argv + 2, argv + argc);
      const bool help = std::find(args.begin(), args.end(), "--help") != args.end() ||
                        std::find(args.begin(), args.end(), "-h") != args.end();
      if (command != "info" && !help) reel::neural_cli::print_backend_summary();
      return c.run(args);
    }
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
