// `reel neural ...` hands over to the reel-neural binary beside this one, so that only
// the neural tools pay LibTorch's start-up cost (about 0.5 s a process).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "commands.hpp"
#include "reel/core/error.hpp"

namespace reel::cli {

int cmd_neural(const Argv& args) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error(ErrorKind::Internal, "cannot find the reel binary: " + ec.message());
  std::filesystem::path tool = self.parent_path() / "reel-neural";
  std::vector<std::string> owned{tool.string()};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : owned) argv.push_back(s.data());
  argv.push_back(nullptr);
  ::execv(tool.c_str(), argv.data());
  throw Error(ErrorKind::NotFound, "cannot run " + tool.string() + ": " + std::strerror(errno) +
                                       " (it is built beside reel; run `make build`)");
}

}  // namespace reel::cli
