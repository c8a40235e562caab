// The torch-free half of the compute backend report: classification, the CPU's
// features, the default dtype, JSON both ways and the summary line. reel (which never
// loads LibTorch) uses this on what `reel-neural info --json` printed.
#include "reel/neural/compute_backend.hpp"

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "reel/core/error.hpp"

namespace reel::neural {

std::string_view to_string(BlasKind kind) {
  switch (kind) {
    case BlasKind::optimised:
      return "optimised";
    case BlasKind::reference:
      return "reference";
    case BlasKind::unknown:
      break;
  }
  return "unknown";
}

BlasKind classify_blas(const BlasLibrary& blas) {
  if (!blas.config.empty()) return BlasKind::optimised;
  if (blas.library.empty()) return BlasKind::unknown;
  const std::filesystem::path lib(blas.library);
  // ATLAS is the one optimised BLAS without a version entry point.
  for (const auto& part : lib.parent_path())
    if (part.string().find("atlas") != std::string::npos) return BlasKind::optimised;
  // Netlib's libblas.so.3 (Debian: /usr/lib/<triplet>/blas/) or its look-alikes.
  return BlasKind::reference;
}

namespace {

std::string_view dtype_label(DType d) {
  return d == DType::bf16 ? "bf16" : "fp32";
}

template <class T>
T get(const Json& j, const char* key, const char* where) {
  const Json* v = j.is_object() && j.contains(key) ? &j.at(key) : nullptr;
  try {
    if (v != nullptr) return v->get<T>();
  } catch (const Json::exception&) {
  }
  throw Error(ErrorKind::InvalidInput, std::string("compute backend report: ") + where + "." + key +
                                           (v ? " has the wrong type" : " is missing"));
}

// "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64" → "OpenBLAS 0.3.21".
std::string vendor_of(const BlasLibrary& b) {
  std::istringstream words(b.config);
  std::string name, version;
  words >> name >> version;
  if (!name.empty()) return version.empty() ? name : name + " " + version;
  return std::filesystem::path(b.library).filename().string();
}

}  // namespace

Json ComputeBackend::to_json() const {
  const BlasKind kind = classify_blas(blas);
  return {
      {"blas",
       {{"library", blas.library},
        {"implementation", blas.implementation},
        {"config", blas.config},
        {"threading", blas.threading},
        {"threads", blas.threads},
        {"kind", std::string(to_string(kind))}}},
      {"torch",
       {{"version", torch_version},
        {"parallel", parallel},
        {"intra_op_threads", intra_op_threads},
        {"inter_op_threads", inter_op_threads}}},
      {"onednn", {{"enabled", onednn}, {"version", onednn_version}}},
      {"cpu",
       {{"model", cpu.model},
        {"cores", cpu.cores},
        {"avx2", cpu.avx2},
        {"avx512f", cpu.avx512f},
        {"avx512_bf16", cpu.avx512_bf16},
        {"amx_bf16", cpu.amx_bf16},
        {"amx_tile", cpu.amx_tile}}},
      {"cuda", {{"devices", cuda_devices}}},
      {"default_dtype",
       {{"cpu", std::string(dtype_label(default_compute_dtype(Device::cpu(), cpu)))},
        {"cuda", std::string(dtype_label(default_compute_dtype(Device::cuda(), cpu)))}}},
  };
}

ComputeBackend ComputeBackend::from_json(const Json& j) {
  ComputeBackend b;
  const Json& blas = get<Json>(j, "blas", "report");
  b.blas.library = get<std::string>(blas, "library", "blas");
  b.blas.implementation = get<std::string>(blas, "implementation", "blas");
  b.blas.config = get<std::string>(blas, "config", "blas");
  b.blas.threading = get<std::string>(blas, "threading", "blas");
  b.blas.threads = get<int>(blas, "threads", "blas");
  const Json& torch = get<Json>(j, "torch", "report");
  b.torch_version = get<std::string>(torch, "version", "torch");
  b.parallel = get<std::string>(torch, "parallel", "torch");
  b.intra_op_threads = get<int>(torch, "intra_op_threads", "torch");
  b.inter_op_threads = get<int>(torch, "inter_op_threads", "torch");
  const Json& onednn = get<Json>(j, "onednn", "report");
  b.onednn = get<bool>(onednn, "enabled", "onednn");
  b.onednn_version = get<std::string>(onednn, "version", "onednn");
  const Json& cpu = get<Json>(j, "cpu", "report");
  b.cpu.model = get<std::string>(cpu, "model", "cpu");
  b.cpu.cores = get<int>(cpu, "cores", "cpu");
  b.cpu.avx2 = get<bool>(cpu, "avx2", "cpu");
  b.cpu.avx512f = get<bool>(cpu, "avx512f", "cpu");
  b.cpu.avx512_bf16 = get<bool>(cpu, "avx512_bf16", "cpu");
  b.cpu.amx_bf16 = get<bool>(cpu, "amx_bf16", "cpu");
  b.cpu.amx_tile = get<bool>(cpu, "amx_tile", "cpu");
  b.cuda_devices = get<int>(get<Json>(j, "cuda", "report"), "devices", "cuda");
  return b;
}

std::string summary_line(const ComputeBackend& b) {
  std::string blas;
  switch (classify_blas(b.blas)) {
    case BlasKind::optimised:
      blas = vendor_of(b.blas);
      break;
    case BlasKind::reference:
      blas = "reference (netlib) " + b.blas.library;
      break;
    case BlasKind::unknown:
      blas = "none found";
      break;
  }
  std::string detail = b.blas.threading;
  if (b.blas.threads > 0)
    detail += (detail.empty() ? "" : ", ") + std::to_string(b.blas.threads) + " threads";
  if (!detail.empty()) blas += " (" + detail + ")";
  std::string line =
      "backend: BLAS " + blas + "; LibTorch " +
      (b.torch_version.empty() ? "" : b.torch_version + " ") + std::to_string(b.intra_op_threads) +
      " threads" + (b.parallel.empty() ? "" : " (" + b.parallel + ")") + "; oneDNN " +
      (b.onednn ? (b.onednn_version.empty() ? "yes" : b.onednn_version) : "no") + "; CPU bf16 " +
      (b.cpu.native_bf16() ? "yes" : "no") + ", AMX " + (b.cpu.amx_tile ? "yes" : "no") +
      "; CUDA " + (b.cuda_devices > 0 ? std::to_string(b.cuda_devices) + " device(s)" : "none") +
      "; default dtype cpu " +
      std::string(dtype_label(default_compute_dtype(Device::cpu(), b.cpu)));
  return line;
}

std::string describe(const ComputeBackend& b) {
  const auto row = [](const char* key, const std::string& value) {
    char head[16];
    std::snprintf(head, sizeof head, "%-12s", key);
    return head + value + "\n";
  };
  const BlasKind kind = classify_blas(b.blas);
  std::string blas = std::string(to_string(kind));
  if (kind == BlasKind::optimised) blas = vendor_of(b.blas) + ", " + blas;
  if (!b.blas.threading.empty()) blas += ", " + b.blas.threading;
  if (b.blas.threads > 0) blas += ", " + std::to_string(b.blas.threads) + " threads";
  std::string text = row("BLAS", blas);
  if (!b.blas.library.empty()) text += row("", b.blas.library);
  if (!b.blas.implementation.empty() && b.blas.implementation != b.blas.library)
    text += row("", b.blas.implementation);
  text += row("LibTorch", (b.torch_version.empty() ? "" : b.torch_version + ", ") +
                              std::to_string(b.intra_op_threads) + " intra-op / " +
                              std::to_string(b.inter_op_threads) + " inter-op threads" +
                              (b.parallel.empty() ? "" : " (" + b.parallel + ")"));
  text += row("oneDNN", b.onednn ? (b.onednn_version.empty() ? "yes" : b.onednn_version) : "no");
  std::string isa = b.cpu.avx512_bf16 ? "avx512_bf16" : "";
  if (b.cpu.amx_bf16) isa += std::string(isa.empty() ? "" : " ") + "amx_bf16";
  if (b.cpu.amx_tile) isa += std::string(isa.empty() ? "" : " ") + "amx_tile";
  text += row("CPU", (b.cpu.model.empty() ? "" : b.cpu.model + ", ") + std::to_string(b.cpu.cores) +
                         " cores, bf16/AMX: " + (isa.empty() ? "none" : isa));
  text += row("CUDA", b.cuda_devices > 0 ? std::to_string(b.cuda_devices) + " device(s)" : "none");
  text +=
      row("dtype",
          "default cpu " + std::string(dtype_label(default_compute_dtype(Device::cpu(), b.cpu))) +
              ", cuda " + std::string(dtype_label(default_compute_dtype(Device::cuda(), b.cpu))) +
              " (--dtype fp32|bf16|fp16 overrides)");
  return text;
}

std::optional<std::string> blas_warning(const ComputeBackend& b) {
  if (classify_blas(b.blas) != BlasKind::reference) return std::nullopt;
  return "fp32 CPU matmuls run on the reference BLAS (" + b.blas.library +
         "), single-threaded and ~40x slower than an optimised one; install Debian's " +
         std::string(kOptimisedBlasPackage) + " (scripts/setup does) or select it with " +
         "`update-alternatives --config libblas.so.3-x86_64-linux-gnu`";
}

}  // namespace reel::neural
