#pragma once
// Runs `reel-neural generate` as a child process: its stdout carries one JSON object
// per line ({"progress": f, "message": m}, finally {"done": true, ...timings}); its
// stderr one error line when it fails. A cancelled token ends it: SIGTERM, then
// SIGKILL after a grace period, and the call throws Error(Cancelled).
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "reel/core/cancel.hpp"
#include "reel/core/json.hpp"

namespace reel::wan::detail {

struct ChildResult {
  Json done = Json::object();  // the {"done": true, ...} line, or {} when none came
};

// Throws: Cancelled (after the child is gone), NotFound when argv[0] cannot be run,
// and, for a non-zero exit, the kind its exit code stands for (docs/cli.md) with the
// child's error message.
ChildResult run_child(const std::vector<std::string>& argv, const CancelToken& cancel,
                      std::chrono::milliseconds kill_grace,
                      const std::function<void(double, std::string_view)>& on_progress);

}  // namespace reel::wan::detail
