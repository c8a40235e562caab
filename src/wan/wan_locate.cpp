// Finding the reel-neural binary from wherever this code runs: the reel CLI (beside
// it), a test or the server (same), or the Python module (build/python/reel*.so, with
// the binaries in build/bin).
#include <dlfcn.h>

#include "reel/core/error.hpp"
#include "reel/wan/wan.hpp"

namespace reel::wan {
namespace fs = std::filesystem;

namespace {
void anchor() {}  // an address inside whichever object holds this code
}  // namespace

fs::path find_reel_neural(const WanOptions& options) {
  std::error_code ec;
  std::vector<fs::path> tried;
  if (!options.neural_bin.empty()) {
    if (fs::is_regular_file(options.neural_bin, ec)) return options.neural_bin;
    throw Error(ErrorKind::NotFound, "reel-neural not found at " + options.neural_bin.string() +
                                         " (REEL_NEURAL_BIN or the neural_bin option)");
  }
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) tried.push_back(self.parent_path() / "reel-neural");
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&anchor), &info) != 0 && info.dli_fname) {
    fs::path obj = fs::absolute(info.dli_fname, ec).parent_path();
    tried.push_back(obj / "reel-neural");
    tried.push_back(obj.parent_path() / "bin" / "reel-neural");
  }
  std::string list;
  for (const fs::path& p : tried) {
    if (fs::is_regular_file(p, ec)) return p;
    list += (list.empty() ? "" : ", ") + p.string();
  }
  throw Error(ErrorKind::NotFound, "reel-neural not found (looked at " + list +
                                       "); build it (`make build`) or set REEL_NEURAL_BIN");
}

}  // namespace reel::wan
