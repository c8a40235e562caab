// reel neural t5-encode: one prompt through the umT5 text encoder, to check a checkpoint
// and tokenizer by hand and to compare with a reference implementation.
#include <cstdio>

#include "args.hpp"
#include "commands.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/runtime.hpp"
#include "reel/neural/tools.hpp"

namespace reel::neural_cli {

namespace {

constexpr const char* kUsage =
    "usage: reel neural t5-encode [--t5-config T5_CONFIG.json] --weights W.pth|W.safetensors "
    "--tokenizer spiece.model --prompt TEXT --out OUT.safetensors [--text-len N] "
    "[--device cpu|cuda[:N]] [--dtype fp32|bf16|fp16]";

std::string need(const cli::Args& args, const std::string& name) {
  auto v = args.value(name);
  if (!v) throw Error(ErrorKind::InvalidInput, "missing " + name + "\n" + kUsage);
  return *v;
}

}  // namespace

int t5_encode(const Argv& argv) {
  cli::Args args(argv, {},
                 {"--t5-config", "--weights", "--tokenizer", "--prompt", "--out", "--text-len",
                  "--device", "--dtype"});
  args.max_positional(0, kUsage);
  neural::T5EncodeOptions o;
  o.t5_config = args.value("--t5-config").value_or("");
  o.weights = need(args, "--weights");
  o.tokenizer = need(args, "--tokenizer");
  o.prompt = need(args, "--prompt");
  o.out = need(args, "--out");
  if (auto n = args.value("--text-len")) {
    o.text_len = static_cast<std::size_t>(cli::parse_integer(*n, "--text-len", 1, 4096));
  }
  o.device = neural::parse_device(args.value("--device").value_or("cpu"));
  o.dtype = compute_dtype(args, o.device);
  neural::t5_encode_files(o);
  std::printf("wrote %s\n", o.out.string().c_str());
  return 0;
}

}  // namespace reel::neural_cli
