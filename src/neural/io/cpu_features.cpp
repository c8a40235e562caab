// parse_cpu_features, cpu_features, default_compute_dtype (include/reel/neural/cpu_features.hpp).
#include "reel/neural/cpu_features.hpp"

#include <sched.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace reel::neural {

CpuFeatures parse_cpu_features(std::string_view cpuinfo, int cores) {
  CpuFeatures f;
  f.cores = cores;
  bool seen_model = false, seen_flags = false;
  std::istringstream in{std::string(cpuinfo)};
  std::string line;
  while (std::getline(in, line) && !(seen_model && seen_flags)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (key == "model name" && !seen_model) {
      f.model = value;
      seen_model = true;
    } else if (key == "flags" && !seen_flags) {
      std::istringstream words(value);
      std::set<std::string> flags;
      for (std::string w; words >> w;) flags.insert(w);
      f.avx2 = flags.count("avx2") > 0;
      f.avx512f = flags.count("avx512f") > 0;
      f.avx512_bf16 = flags.count("avx512_bf16") > 0;
      f.amx_bf16 = flags.count("amx_bf16") > 0;
      f.amx_tile = flags.count("amx_tile") > 0;
      seen_flags = true;
    }
  }
  return f;
}

CpuFeatures cpu_features() {
  // The affinity mask, not the machine's count: a container or taskset may allow fewer.
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
  std::ifstream in("/proc/cpuinfo");
  std::stringstream text;
  text << in.rdbuf();
  return parse_cpu_features(text.str(), cores);
}

DType default_compute_dtype(Device device, const CpuFeatures& cpu) {
  if (device.is_cuda()) return DType::f32;
  return cpu.native_bf16() ? DType::bf16 : DType::f32;
}

}  // namespace reel::neural
