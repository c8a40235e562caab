// The --dtype every reel-neural command shares, and its default when it is not given.
#include "args.hpp"
#include "commands.hpp"
#include "reel/neural/cpu_features.hpp"

namespace reel::neural_cli {

neural::DType compute_dtype(const cli::Args& args, neural::Device device) {
  if (auto t = args.value("--dtype")) return neural::parse_compute_dtype(*t);
  return neural::default_compute_dtype(device, neural::cpu_features());
}

}  // namespace reel::neural_cli
