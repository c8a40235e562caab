// probe_compute_backend: asks the running process, not the build, what it computes on.
// The BLAS is whichever object the dynamic loader bound sgemm_ to (Debian switches
// libblas.so.3 with update-alternatives after LibTorch was built), and its vendor is
// whatever entry points that object or its dependencies export.
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <dlfcn.h>

#include <filesystem>

#include "neural/runtime.hpp"
#include "reel/neural/compute_backend.hpp"

namespace reel::neural {
namespace {

std::string real_path_of(const void* address) {
  Dl_info info{};
  if (address == nullptr || ::dladdr(address, &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  auto p = std::filesystem::canonical(info.dli_fname, ec);
  return ec ? std::string(info.dli_fname) : p.string();
}

// A handle whose dlsym searches `library` and what it loaded (a wrapper libblas.so.3
// forwards to libopenblas.so.0), never unrelated objects of the process.
class LoadedLibrary {
 public:
  explicit LoadedLibrary(const std::string& path)
      : handle_(path.empty() ? nullptr : ::dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD)) {}
  ~LoadedLibrary() {
    if (handle_ != nullptr) ::dlclose(handle_);
  }
  LoadedLibrary(const LoadedLibrary&) = delete;
  LoadedLibrary& operator=(const LoadedLibrary&) = delete;
  template <class Fn>
  Fn* find(const char* name) const {
    return handle_ ? reinterpret_cast<Fn*>(::dlsym(handle_, name)) : nullptr;
  }

 private:
  void* handle_;
};

BlasLibrary probe_blas() {
  BlasLibrary b;
  b.library = real_path_of(::dlsym(RTLD_DEFAULT, "sgemm_"));
  LoadedLibrary lib(b.library);
  if (auto* config = lib.find<const char*()>("openblas_get_config")) {
    b.config = config();
    b.implementation = real_path_of(reinterpret_cast<void*>(config));
    if (auto* threads = lib.find<int()>("openblas_get_num_threads")) b.threads = threads();
    if (auto* parallel = lib.find<int()>("openblas_get_parallel")) {
      const int p = parallel();  // OpenBLAS: 0 sequential, 1 pthreads, 2 OpenMP
      b.threading = p == 2 ? "openmp" : p == 1 ? "pthreads" : "sequential";
    }
  } else if (auto* version = lib.find<void(char*, int)>("MKL_Get_Version_String")) {
    char text[256] = {};
    version(text, sizeof text - 1);
    b.config = text;
    b.implementation = real_path_of(reinterpret_cast<void*>(version));
    if (auto* threads = lib.find<int()>("MKL_Get_Max_Threads")) b.threads = threads();
  } else if (auto* blis = lib.find<const char*()>("bli_info_get_version_str")) {
    b.config = std::string("BLIS ") + blis();
    b.implementation = real_path_of(reinterpret_cast<void*>(blis));
  }
  return b;
}

// The line of at::show_config() "... TORCH_VERSION=1.13.0, ..." (LibTorch has no other
// run-time version call in C++).
std::string torch_version() {
  const std::string config = at::show_config();
  const std::string key = "TORCH_VERSION=";
  const auto at = config.find(key);
  if (at == std::string::npos) return {};
  const auto end = config.find_first_of(", \n", at + key.size());
  return config.substr(at + key.size(), end - at - key.size());
}

// "ATen parallel backend: OpenMP" from at::get_parallel_info().
std::string parallel_backend() {
  const std::string info = at::get_parallel_info();
  const std::string key = "ATen parallel backend: ";
  const auto at = info.find(key);
  if (at == std::string::npos) return {};
  const auto end = info.find('\n', at);
  return info.substr(at + key.size(), end == std::string::npos ? end : end - at - key.size());
}

// oneDNN's dnnl_version_t, stable since 1.0; the headers are not part of Debian's LibTorch.
struct DnnlVersion {
  int major, minor, patch;
  const char* hash;
  unsigned cpu_runtime, gpu_runtime;
};

std::string onednn_version() {
  auto* version = reinterpret_cast<const DnnlVersion* (*)()>(::dlsym(RTLD_DEFAULT, "dnnl_version"));
  if (version == nullptr) return {};
  const DnnlVersion* v = version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

}  // namespace

ComputeBackend probe_compute_backend() {
  init_threads();  // report the thread count runs use, not LibTorch's start-up value
  ComputeBackend b;
  b.blas = probe_blas();
  b.torch_version = torch_version();
  b.parallel = parallel_backend();
  b.intra_op_threads = at::get_num_threads();
  b.inter_op_threads = at::get_num_interop_threads();
  b.onednn = at::hasMKLDNN();
  b.onednn_version = onednn_version();
  b.cpu = cpu_features();
  b.cuda_devices = at::hasCUDA() ? static_cast<int>(at::getNumGPUs()) : 0;
  return b;
}

}  // namespace reel::neural
