// reel: run AI video pipelines, inspect models, the cache, costs and provenance.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "commands.hpp"
#include "reel/core/error.hpp"

namespace {

constexpr const char* kUsage =
    "usage: reel <command> [options]\n"
    "\n"
    "commands:\n"
    "  run FILE [--out PATH] [--set step.param=value]... [--seed N] [--dry-run] [--json]\n"
    "           [--prices FILE] [--no-cache] [--policy NAME|FILE] [--no-sign]\n"
    "           [--contact-sheet PNG] [--training-mining allowed|notAllowed|constrained]\n"
    "           [--crf N] [--preset P] [--quiet]      run a pipeline file (YAML or JSON)\n"
    "           [--weights DIR|MODEL=DIR]             where Wan checkpoints are (docs/models.md)\n"
    "  batch FILE --rows ROWS.csv|ROWS.jsonl [--out DIR] [--name '{{col}}'] [--jobs N]\n"
    "           [--budget USD] [--resume] [--strict] [--json] [--quiet]\n"
    "                                                  one output per row (docs/cli.md)\n"
    "  models [--weights DIR|MODEL=DIR]... [--json]   list models with licences and data\n"
    "  calibrate MODEL [--weights DIR|MODEL=DIR] [--device cpu|cuda] [--dtype T] [--json]\n"
    "                                                  measure a Wan model's cost profile\n"
    "  providers [--provider-keys FILE] [--json]       hosted models, prices, whether keys are "
    "set\n"
    "  cache ls|gc|clear [--max-bytes N] [--json]      inspect or trim the artifact store\n"
    "  probe FILE [--json]                             describe a video or image file\n"
    "  cost FILE [--json]                              show a clip's cost report\n"
    "  verify FILE [--trust ROOT.pem]... [--json]      check a file's Content Credentials\n"
    "  keys init [--dir DIR] [--force]                 make a local signing identity\n"
    "  keys create|list|set|revoke|audit --store URL   API keys of reel serve (docs/api.md)\n"
    "  serve [--store URL] [--listen HOST:PORT] [--workers N]  the HTTP API (docs/api.md)\n"
    "  worker --store URL [--concurrency N]             run queued jobs (docs/server.md)\n"
    "  neural dit-forward|dit-sample|t5-encode ...      check Wan weights (docs/neural.md)\n"
    "  neural generate --folder DIR --request REQ.json --out OUT  text/image → video frames\n"
    "  contact-sheet VIDEO PNG [--columns N] [--rows N]  a grid of frames\n"
    "  info [--json]                                   version and compute backend (BLAS...)\n"
    "\n"
    "exit codes: 0 ok, 2 invalid input, 3 I/O, 4 not found, 5 model load, 6 out of memory,\n"
    "            7 budget, 8 unsupported, 9 refused by policy, 10 verification failed,\n"
    "            70 internal error, 130 cancelled\n";

bool wants_json(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--json") == 0) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace reel::cli;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  if (command == "--version") {
    std::puts("reel " REEL_VERSION);
    return 0;
  }
  Argv args(argv + 2, argv + argc);
  try {
    if (command == "run") return cmd_run(args);
    if (command == "batch") return cmd_batch(args);
    if (command == "models") return cmd_models(args);
    if (command == "calibrate") return cmd_calibrate(args);
    if (command == "providers") return cmd_providers(args);
    if (command == "cache") return cmd_cache(args);
    if (command == "probe") return cmd_probe(args);
    if (command == "cost") return cmd_cost(args);
    if (command == "verify") return cmd_verify(args);
    if (command == "keys")  // API keys of `reel serve`, or the local signing identity
      return !args.empty() && (args[0] == "create" || args[0] == "list" || args[0] == "revoke" ||
                               args[0] == "set" || args[0] == "audit")
                 ? cmd_api_keys(args)
                 : cmd_keys(args);
    if (command == "contact-sheet") return cmd_contact_sheet(args);
    if (command == "info") return cmd_info(args);
    if (command == "neural") return cmd_neural(args);
    if (command == "serve") return cmd_serve(args);
    if (command == "worker") return cmd_worker(args);
    throw reel::Error(
        reel::ErrorKind::InvalidInput,
        "unknown command '" + command +
            "'; commands: run, batch, models, calibrate, cache, probe, cost, verify, "
            "keys, contact-sheet, info, neural, serve, worker, providers (reel --help)");
  } catch (const reel::Error& e) {
    if (wants_json(argc, argv))
      std::fprintf(stderr, "%s\n", e.to_json().c_str());
    else
      std::fprintf(stderr, "reel: error: %s\n", e.what());
    return reel::exit_code(e.kind());
  } catch (const std::exception& e) {
    reel::Error err(reel::ErrorKind::Internal, e.what());
    if (wants_json(argc, argv))
      std::fprintf(stderr, "%s\n", err.to_json().c_str());
    else
      std::fprintf(stderr, "reel: internal error: %s\n", e.what());
    return 70;
  }
}
