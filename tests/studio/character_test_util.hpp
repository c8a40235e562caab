#pragma once
// Helpers shared by the studio-character tests.
#include <memory>
#include <string>

#include "reel/model/tasks.hpp"
#include "reel/studio/character.hpp"

namespace reel::studio::testing {

inline model::ImageResult make_character(const std::string& prompt, std::uint64_t seed = 1,
                                         int width = 320, int height = 180,
                                         const std::string& style = "",
                                         const Json& extra = Json::object()) {
  static std::shared_ptr<model::Model> model = make_character_model();
  model::TextToImageRequest req;
  req.prompt = prompt;
  req.seed = seed;
  req.width = width;
  req.height = height;
  req.style = style;
  req.params = extra;
  model::RunContext ctx;
  return dynamic_cast<model::TextToImage&>(*model).generate(req, ctx);
}

inline std::string archetype_of(const model::ImageResult& r) {
  return r.metadata.at("archetype").get<std::string>();
}

inline std::string joined_notes(const model::ImageResult& r) {
  std::string all;
  for (const auto& n : r.notes) all += n + "\n";
  return all;
}

}  // namespace reel::studio::testing
