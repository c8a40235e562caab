#include "support/many_steps.hpp"

#include <fstream>
#include <string>

namespace reel::testing {

int process_threads() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return 0;
}

pipeline::Graph fal_stills(int n, int salt) {
  pipeline::Graph g;
  g.name = "many";
  g.seed = 1;
  for (int i = 0; i < n; ++i)
    g.steps.push_back({"s" + std::to_string(i),
                       model::Task::text_to_image,
                       "fal:fal-ai/flux/dev",
                       {},
                       {{"prompt", "mug " + std::to_string(salt) + "-" + std::to_string(i)},
                        {"width", 64},
                        {"height", 48}},
                       {}});
  g.output = "s0";
  return g;
}

}  // namespace reel::testing
