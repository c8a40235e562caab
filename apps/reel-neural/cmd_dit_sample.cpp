// reel neural dit-sample: a whole sampling run of a Wan DiT (noise → latent x0) from
// safetensors files, to compare with a reference implementation and to time it.
#include <cstdio>
#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/flow_tools.hpp"
#include "reel/neural/runtime.hpp"

namespace reel::neural_cli {
namespace {

constexpr const char* kUsage =
    "usage: reel neural dit-sample --config CONFIG.json --weights W.safetensors "
    "--inputs IN.safetensors --out OUT.safetensors [--sampler euler|unipc] [--steps N] "
    "[--shift S] [--guidance G] [--no-batch-cfg] [--device cpu|cuda[:N]] "
    "[--dtype fp32|bf16|fp16] [--offload] [--quiet]\n"
    "  IN: noise [C, F, H, W], context [L, text_dim], context_null [L2, text_dim] (needed "
    "when G != 1), first_frame [C, 1, H, W] (ti2v), cond [in_dim - C, F, H, W] and clip_fea "
    "[257, 1280] (i2v)\n"
    "  OUT: x0 [C, F, H, W] fp32\n"
    "  defaults: unipc, 50 steps, shift 5, guidance 5 (the official Wan T2V settings); dtype "
    "bf16 on CPUs with bf16 instructions, else fp32";

std::string need(const cli::Args& args, const std::string& name) {
  auto v = args.value(name);
  if (!v) throw Error(ErrorKind::InvalidInput, "missing " + name + "\n" + kUsage);
  return *v;
}

double parse_number(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty())
    throw Error(ErrorKind::InvalidInput, what + " must be a number, got '" + text + "'");
  return v;
}

}  // namespace

int dit_sample(const Argv& argv) {
  for (const auto& a : argv) {
    if (a == "--help" || a == "-h") {
      std::puts(kUsage);
      return 0;
    }
  }
  cli::Args args(argv, {"--no-batch-cfg", "--offload", "--quiet"},
                 {"--config", "--weights", "--inputs", "--out", "--sampler", "--steps", "--shift",
                  "--guidance", "--device", "--dtype"});
  args.max_positional(0, kUsage);
  neural::DitSampleOptions o;
  o.config = need(args, "--config");
  o.weights = need(args, "--weights");
  o.inputs = need(args, "--inputs");
  o.out = need(args, "--out");
  o.sampler = args.value("--sampler").value_or("unipc");
  o.steps = static_cast<int>(
      cli::parse_integer(args.value("--steps").value_or("50"), "--steps", 1, 1000));
  o.shift = parse_number(args.value("--shift").value_or("5"), "--shift");
  o.guidance = parse_number(args.value("--guidance").value_or("5"), "--guidance");
  o.batch_cfg = !args.flag("--no-batch-cfg");
  o.device = neural::parse_device(args.value("--device").value_or("cpu"));
  o.dtype = compute_dtype(args, o.device);
  o.offload = args.flag("--offload");
  if (!args.flag("--quiet")) {
    o.on_step = [](int index, int total, double sigma) {
      std::fprintf(stderr, "step %d/%d sigma %.6f\n", index + 1, total, sigma);
    };
  }
  neural::dit_sample_files(o);
  std::printf("wrote %s\n", o.out.string().c_str());
  return 0;
}

}  // namespace reel::neural_cli
