#include "reel/model/model_card.hpp"

#include <algorithm>

#include "reel/core/error.hpp"

namespace reel::model {
namespace {
constexpr std::pair<TrainingData, const char*> kTrainingData[] = {
    {TrainingData::synthetic, "synthetic"},
    {TrainingData::licensed, "licensed"},
    {TrainingData::public_domain, "public-domain"},
    {TrainingData::undisclosed, "undisclosed"},
    {TrainingData::scraped, "scraped"},
};
}  // namespace

std::string to_string(TrainingData d) {
  for (auto& [v, name] : kTrainingData)
    if (v == d) return name;
  return "undisclosed";
}

TrainingData training_data_from_string(const std::string& s) {
  std::string allowed;
  for (auto& [v, name] : kTrainingData) {
    if (s == name) return v;
    allowed += (allowed.empty() ? "" : ", ") + std::string(name);
  }
  throw Error(ErrorKind::InvalidInput,
              "unknown training-data declaration '" + s + "'; allowed: " + allowed);
}

bool ModelCard::supports(Task t) const {
  return std::find(tasks.begin(), tasks.end(), t) != tasks.end();
}

Json ModelCard::to_json() const {
  Json j;
  j["id"] = id;
  j["version"] = version;
  j["name"] = name;
  j["publisher"] = publisher;
  j["tasks"] = Json::array();
  for (Task t : tasks) j["tasks"].push_back(std::string(model::to_string(t)));
  j["licence"] = licence;
  j["training_data"] = model::to_string(training_data);
  j["training_data_note"] = training_data_note;
  j["devices"] = devices;
  j["cost_profile"] = {{"device", cost.device},
                       {"setup_seconds", cost.setup_seconds},
                       {"seconds_per_megapixel", cost.seconds_per_megapixel},
                       {"measured_on", cost.measured_on}};
  j["description"] = description;
  if (!availability.empty()) j["availability"] = availability;
  return j;
}

}  // namespace reel::model
