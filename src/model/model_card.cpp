#include "reel/model/model_card.hpp"

#include <algorithm>

#include "model/enum_names.hpp"
#include "reel/core/error.hpp"

namespace reel::model {
namespace {
constexpr std::pair<TrainingData, std::string_view> kTrainingData[] = {
    {TrainingData::synthetic, "synthetic"},
    {TrainingData::licensed, "licensed"},
    {TrainingData::public_domain, "public-domain"},
    {TrainingData::undisclosed, "undisclosed"},
    {TrainingData::scraped, "scraped"},
};
constexpr std::pair<PricePer, std::string_view> kPricePer[] = {
    {PricePer::machine_time, "machine_time"},
    {PricePer::output_second, "output_second"},
    {PricePer::image, "image"},
    {PricePer::megapixel, "megapixel"},
    {PricePer::unpriced, "unpriced"},
};
}  // namespace

std::string to_string(PricePer p) {
  return std::string(detail::enum_name(kPricePer, p, "machine_time"));
}

PricePer price_per_from_string(const std::string& s) {
  return detail::enum_from_name(kPricePer, s, "price unit");
}

std::string to_string(TrainingData d) {
  return std::string(detail::enum_name(kTrainingData, d, "undisclosed"));
}

TrainingData training_data_from_string(const std::string& s) {
  return detail::enum_from_name(kTrainingData, s, "training-data declaration");
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
  if (price.paid())
    j["price"] = {{"per", to_string(price.per)}, {"usd", price.usd}, {"source", price.source}};
  j["description"] = description;
  j["availability"] = availability.to_json();
  return j;
}

Json Availability::to_json(bool with_reason) const {
  Json j = {{"available", available}, {"needs", needs}};
  if (with_reason && !reason.empty()) j["reason"] = reason;
  return j;
}

}  // namespace reel::model
