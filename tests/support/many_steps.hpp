#pragma once
// What the tests and the benchmark of many hosted steps in one run share.
#include "reel/pipeline/graph.hpp"

namespace reel::testing {

// The threads in this process now (/proc/self/status).
int process_threads();

// `n` independent fal:fal-ai/flux/dev stills (64x48); `salt` makes the prompts, and so the
// cache keys, differ from another batch's. The output is the first.
pipeline::Graph fal_stills(int n, int salt = 0);

}  // namespace reel::testing
