#pragma once
// What the neural engine computes on, as the process that runs it sees it: the BLAS the
// dynamic loader resolved (not what the build was told), the thread pools, oneDNN, the
// CPU's bf16/AMX instructions and CUDA devices. Only reel-neural loads LibTorch, so it
// fills this in (`reel-neural info --json`); reel reads the JSON back and applies the same
// classification and warning, so both print the same line.
#include <optional>
#include <string>
#include <string_view>

#include "reel/core/json.hpp"
#include "reel/neural/cpu_features.hpp"
#include "reel/neural/runtime.hpp"

namespace reel::neural {

// The Debian package scripts/setup installs for fp32 CPU matmuls; named in the warning.
inline constexpr std::string_view kOptimisedBlasPackage = "libopenblas0-openmp";

enum class BlasKind {
  optimised,  // identifies itself (OpenBLAS, MKL, BLIS) or is ATLAS
  reference,  // Debian's netlib libblas3: single-threaded, ~40x slower fp32 matmuls
  unknown,    // no sgemm_ in the process (e.g. a LibTorch with its own kernels)
};
std::string_view to_string(BlasKind kind);

struct BlasLibrary {
  std::string library;         // real path of the object defining sgemm_; empty = none
  std::string implementation;  // real path of the object holding the vendor's entry points
  std::string config;          // the vendor's self-description, e.g. openblas_get_config()
  std::string threading;       // "pthreads", "openmp", "sequential"; empty = not said
  int threads = 0;             // the library's own thread count; 0 = not said
};

// Decided from what the library says of itself, then from where it lives: a libblas
// without any vendor's entry points is netlib's (Debian keeps it in .../blas/).
BlasKind classify_blas(const BlasLibrary& blas);

struct ComputeBackend {
  BlasLibrary blas;
  std::string torch_version;  // LibTorch's own build string, "" when it does not say
  std::string parallel;       // ATen's intra-op backend: "OpenMP", "native", "TBB"
  int intra_op_threads = 0, inter_op_threads = 0;
  bool onednn = false;         // at::hasMKLDNN(): bf16 matmuls and convolutions go there
  std::string onednn_version;  // of the loaded libdnnl, "" when it is linked in hidden
  CpuFeatures cpu;
  int cuda_devices = 0;

  Json to_json() const;
  // InvalidInput naming the key when `j` is not what to_json writes.
  static ComputeBackend from_json(const Json& j);
};

// One line for stderr, e.g. "backend: BLAS OpenBLAS 0.3.21 (pthreads, 2 threads),
// LibTorch 1.13.0 2 threads (OpenMP), oneDNN 2.7.3, CPU bf16 yes, AMX no, CUDA none, default
// dtype cpu bf16".
std::string summary_line(const ComputeBackend& backend);
// The same facts, one per line ("BLAS        OpenBLAS 0.3.21 ..."), for `info` commands.
std::string describe(const ComputeBackend& backend);
// Set when fp32 CPU matmuls would run on the reference (or no) BLAS: says why it matters
// and names the Debian package to install.
std::optional<std::string> blas_warning(const ComputeBackend& backend);

// Fills everything from the running process; needs reel_neural (LibTorch) linked in.
ComputeBackend probe_compute_backend();

}  // namespace reel::neural
