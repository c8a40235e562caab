// What the pre-flight check of a model needs from the model layer: the names of estimate
// sources and the refusal of `extra` keys a model does not read.
#include <algorithm>

#include "model/enum_names.hpp"
#include "reel/core/error.hpp"
#include "reel/model/tasks.hpp"

namespace reel::model {
namespace {
constexpr std::pair<EstimateSource, std::string_view> kSources[] = {
    {EstimateSource::measured, "measured"},
    {EstimateSource::calibrated, "calibrated"},
    {EstimateSource::published, "published"},
    {EstimateSource::price_rule, "price-rule"},
};
}  // namespace

std::string_view to_string(EstimateSource s) {
  return detail::enum_name(kSources, s, "unknown");
}

void check_extra_keys(const std::string& model_id, const Json& extra,
                      const std::vector<std::string>& allowed) {
  if (extra.is_null()) return;
  if (!extra.is_object())
    throw Error(ErrorKind::InvalidInput, model_id + ": extra must be a mapping of name: value");
  for (const auto& item : extra.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) != allowed.end()) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw Error(ErrorKind::InvalidInput,
                model_id + ": unknown extra key '" + item.key() + "'; " +
                    (allowed.empty() ? model_id + " takes no extra settings (remove extra)"
                                     : "allowed: " + list));
  }
}

}  // namespace reel::model
