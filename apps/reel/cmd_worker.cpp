// `reel worker`: claims jobs from a shared store and runs them (issue 7).
#include "commands.hpp"
#include "reel/core/error.hpp"

namespace reel::cli {

int cmd_worker(const Argv& args) {
  throw Error(ErrorKind::Unsupported, "reel worker: not built yet (issue 7)");
}

}  // namespace reel::cli
