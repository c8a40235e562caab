#pragma once
// One function per `reel neural <command>`; each parses its own options.
#include <string>
#include <vector>

#include "reel/neural/runtime.hpp"

namespace reel::cli {
class Args;
}

namespace reel::neural_cli {

using Argv = std::vector<std::string>;

int dit_forward(const Argv& args);
int dit_sample(const Argv& args);
int vae_encode(const Argv& args);
int vae_decode(const Argv& args);
int generate(const Argv& args);
int t5_encode(const Argv& args);
int info(const Argv& args);  // cmd_info.cpp: the compute backend this process loaded

// One line on stderr naming the compute backend, and the reference-BLAS warning when it
// applies; every command but info prints it first, so no timing is read without it.
void print_backend_summary();
// --dtype when given, else the default for `device` on this CPU (default_compute_dtype).
neural::DType compute_dtype(const cli::Args& args, neural::Device device);

}  // namespace reel::neural_cli
