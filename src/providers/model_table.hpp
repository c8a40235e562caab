#pragma once
// The hosted models reel knows by name: their tasks, how reel's common params map onto
// their fields, and their price rule with its source and date (docs/providers.md). Any
// other `provider:model` id still runs, unpriced, with only prompt, image and seed mapped.
#include <optional>
#include <string>
#include <vector>

#include "reel/model/model_card.hpp"

namespace reel::providers {

struct DurationRule {
  std::string field = "duration";
  std::vector<int> seconds;  // the clip lengths the model makes
  bool as_string = false;    // Kling on fal takes "5", not 5
  std::string suffix;        // Luma takes "5s": sent as a string with this suffix
};

struct ModelRow {
  std::string provider;  // "fal"
  std::string model;     // the provider's name: "fal-ai/flux/dev"
  std::string name;
  std::vector<model::Task> tasks;
  model::CallPrice price;
  double typical_seconds = 30;  // wall time of one call, for plans (waiting, not compute)
  std::optional<DurationRule> duration;
  std::string size_field;  // "image_size" → {"width", "height"}; "" = not mapped
  // The sizes or aspect ratios the model makes, in the provider's own words: Runway's
  // output sizes ("1280:720"), Luma's, Kling's and Veo's aspect ratios ("16:9"),
  // DashScope's sizes ("832*480"), OpenAI's ("1024x1024"). Empty = not mapped.
  std::vector<std::string> ratios;
  std::string image_field = "image_url";
  model::TrainingData training_data = model::TrainingData::undisclosed;
  std::string training_data_note = "not disclosed by the provider";

  std::string id() const { return provider + ":" + model; }
};

const std::vector<ModelRow>& model_table();
const ModelRow* find_row(const std::string& provider, const std::string& model);

}  // namespace reel::providers
