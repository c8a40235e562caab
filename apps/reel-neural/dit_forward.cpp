// reel neural dit-forward: one Wan DiT forward from safetensors files, to check a
// checkpoint by hand and to compare with a reference implementation.
#include <cstdio>

#include "args.hpp"
#include "commands.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/runtime.hpp"
#include "reel/neural/tools.hpp"

namespace reel::neural_cli {

namespace {

constexpr const char* kUsage =
    "usage: reel neural dit-forward --config CONFIG.json --weights W.safetensors "
    "--inputs IN.safetensors --out OUT.safetensors [--device cpu|cuda[:N]] "
    "[--dtype fp32|bf16|fp16] [--offload]";

std::string need(const cli::Args& args, const std::string& name) {
  auto v = args.value(name);
  if (!v) throw Error(ErrorKind::InvalidInput, "missing " + name + "\n" + kUsage);
  return *v;
}

}  // namespace

int dit_forward(const Argv& argv) {
  cli::Args args(argv, {"--offload"},
                 {"--config", "--weights", "--inputs", "--out", "--device", "--dtype"});
  args.max_positional(0, kUsage);
  neural::DitForwardOptions o;
  o.config = need(args, "--config");
  o.weights = need(args, "--weights");
  o.inputs = need(args, "--inputs");
  o.out = need(args, "--out");
  o.device = neural::parse_device(args.value("--device").value_or("cpu"));
  o.dtype = compute_dtype(args, o.device);
  o.offload = args.flag("--offload");
  neural::dit_forward_files(o);
  std::printf("wrote %s\n", o.out.string().c_str());
  return 0;
}

}  // namespace reel::neural_cli
