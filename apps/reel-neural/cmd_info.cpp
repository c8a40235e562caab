// reel neural info: what this process computes on (docs/neural.md, "Compute backend").
// reel's own `reel info` runs `reel-neural info --json`, as only this binary loads LibTorch.
#include <cstdio>

#include "args.hpp"
#include "commands.hpp"
#include "reel/neural/compute_backend.hpp"

namespace reel::neural_cli {

int info(const Argv& argv) {
  cli::Args args(argv, {"--json", "--line"}, {});
  args.max_positional(0, "reel neural info [--json | --line]");
  const neural::ComputeBackend backend = neural::probe_compute_backend();
  if (args.flag("--json")) {
    std::printf("%s\n", backend.to_json().dump(2).c_str());
    return 0;
  }
  if (args.flag("--line"))  // the line every other command prints first, for scripts
    std::printf("%s\n", neural::summary_line(backend).c_str());
  else
    std::fputs(neural::describe(backend).c_str(), stdout);
  if (auto w = neural::blas_warning(backend))
    std::fprintf(stderr, "reel: warning: %s\n", w->c_str());
  return 0;
}

void print_backend_summary() {
  const neural::ComputeBackend backend = neural::probe_compute_backend();
  std::fprintf(stderr, "%s\n", neural::summary_line(backend).c_str());
  if (auto w = neural::blas_warning(backend))
    std::fprintf(stderr, "reel: warning: %s\n", w->c_str());
}

}  // namespace reel::neural_cli
