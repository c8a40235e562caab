// `reel serve` and `reel keys create|list|revoke` (issue 7).
#include "commands.hpp"
#include "reel/core/error.hpp"

namespace reel::cli {

int cmd_serve(const Argv& args) {
  throw Error(ErrorKind::Unsupported, "reel serve: not built yet (issue 7)");
}
int cmd_api_keys(const Argv& args) {
  throw Error(ErrorKind::Unsupported, "reel keys create: not built yet (issue 7)");
}

}  // namespace reel::cli
