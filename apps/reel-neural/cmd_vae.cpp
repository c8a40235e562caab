// reel neural vae-encode / vae-decode: the Wan VAE (2.1 or 2.2) from safetensors files, to
// check a VAE checkpoint by hand and to compare with a reference implementation.
#include <cstdio>
#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/runtime.hpp"
#include "reel/neural/tools.hpp"

namespace reel::neural_cli {

namespace {

constexpr const char* kUsage =
    "usage: reel neural vae-encode|vae-decode (--vae-config CFG.json | --version 2.1|2.2) "
    "(--weights W.pth|W.safetensors | --random-seed N) --inputs IN.safetensors "
    "--out OUT.safetensors [--tile PX --overlap PX] [--device cpu|cuda[:N]] "
    "[--dtype fp32|bf16|fp16]\n"
    "  vae-encode reads `video` [3, 1+4k, H, W] in [-1, 1] and writes `latent`;\n"
    "  vae-decode reads `latent` [z, F, h, w] and writes `video`.";

std::string need(const cli::Args& args, const std::string& name) {
  auto v = args.value(name);
  if (!v) throw Error(ErrorKind::InvalidInput, "missing " + name + "\n" + kUsage);
  return *v;
}

int to_int(const std::string& name, const std::string& text) {
  try {
    std::size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used == text.size() && v >= 0 && v <= (1 << 20)) return static_cast<int>(v);
  } catch (const std::exception&) {
  }
  throw Error(ErrorKind::InvalidInput,
              name + " must be a non-negative integer, got '" + text + "'");
}

neural::VaeToolOptions parse(const Argv& argv) {
  cli::Args args(argv, {},
                 {"--vae-config", "--version", "--weights", "--random-seed", "--inputs", "--out",
                  "--tile", "--overlap", "--device", "--dtype"});
  args.max_positional(0, kUsage);
  neural::VaeToolOptions o;
  if (auto c = args.value("--vae-config")) o.vae_config = *c;
  o.version = args.value("--version").value_or("2.1");
  if (auto w = args.value("--weights")) o.weights = *w;
  if (auto s = args.value("--random-seed")) o.random_seed = to_int("--random-seed", *s);
  o.inputs = need(args, "--inputs");
  o.out = need(args, "--out");
  if (auto t = args.value("--tile")) o.tile = to_int("--tile", *t);
  if (auto t = args.value("--overlap")) o.overlap = to_int("--overlap", *t);
  o.device = neural::parse_device(args.value("--device").value_or("cpu"));
  // fp32 unless asked: the VAE is the part kept in fp32 by default (docs/neural.md).
  o.dtype = neural::parse_compute_dtype(args.value("--dtype").value_or("fp32"));
  return o;
}

}  // namespace

int vae_encode(const Argv& argv) {
  auto o = parse(argv);
  neural::vae_encode_files(o);
  std::printf("wrote %s\n", o.out.string().c_str());
  return 0;
}

int vae_decode(const Argv& argv) {
  auto o = parse(argv);
  neural::vae_decode_files(o);
  std::printf("wrote %s\n", o.out.string().c_str());
  return 0;
}

}  // namespace reel::neural_cli
