// Licence policies: checked against model cards before any compute is spent.
#include <algorithm>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/provenance/provenance.hpp"

namespace reel::provenance {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::vector<std::string> policy_names() {
  return {"commercial-safe", "permissive"};
}

Policy policy_by_name(const std::string& name) {
  using model::TrainingData;
  if (name == "commercial-safe")
    // Only declarations a buyer can rely on; non-commercial licences are refused even
    // though allowed_licences is open.
    return Policy{name,
                  {TrainingData::synthetic, TrainingData::licensed, TrainingData::public_domain},
                  {},
                  {"CC-BY-NC-1.0", "CC-BY-NC-2.0", "CC-BY-NC-2.5", "CC-BY-NC-3.0", "CC-BY-NC-4.0",
                   "CC-BY-NC-SA-4.0", "CC-BY-NC-ND-4.0", "CC-BY-NC-SA-3.0", "CC-BY-NC-ND-3.0"}};
  if (name == "permissive")
    return Policy{name,
                  {TrainingData::synthetic, TrainingData::licensed, TrainingData::public_domain,
                   TrainingData::undisclosed, TrainingData::scraped},
                  {},
                  {}};
  throw Error(ErrorKind::InvalidInput, "unknown policy '" + name + "'; known policies: " +
                                           join(policy_names()) + " (or a policy file)");
}

Policy load_policy_file(const std::filesystem::path& json_file) {
  return with_context("reading policy file " + json_file.string(), [&] {
    const Json j = parse_json(read_file(json_file, 1u << 20), json_file.string());
    if (!j.is_object())
      throw Error(ErrorKind::InvalidInput, "a policy file must hold a JSON object");
    for (const auto& [k, v] : j.items())
      if (k != "name" && k != "allowed_training_data" && k != "allowed_licences" &&
          k != "denied_licences")
        throw Error(
            ErrorKind::InvalidInput,
            "unknown policy field '" + k +
                "'; allowed: name, allowed_training_data, allowed_licences, denied_licences");
    Policy p;
    p.name = j.value("name", json_file.stem().string());
    auto strings = [&](const char* key) {
      std::vector<std::string> out;
      if (!j.contains(key)) return out;
      if (!j[key].is_array())
        throw Error(ErrorKind::InvalidInput, std::string(key) + " must be an array of strings");
      for (const auto& s : j[key]) {
        if (!s.is_string())
          throw Error(ErrorKind::InvalidInput, std::string(key) + " must be an array of strings");
        out.push_back(s.get<std::string>());
      }
      return out;
    };
    if (!j.contains("allowed_training_data"))
      throw Error(ErrorKind::InvalidInput, "a policy file must list allowed_training_data");
    for (const auto& s : strings("allowed_training_data"))
      p.allowed_training_data.push_back(model::training_data_from_string(s));
    p.allowed_licences = strings("allowed_licences");
    p.denied_licences = strings("denied_licences");
    return p;
  });
}

std::string refuse_reason(const Policy& p, const model::ModelCard& card) {
  const std::string who = "model '" + card.id + "'";
  if (std::find(p.allowed_training_data.begin(), p.allowed_training_data.end(),
                card.training_data) == p.allowed_training_data.end()) {
    std::vector<std::string> allowed;
    for (auto d : p.allowed_training_data) allowed.push_back(model::to_string(d));
    return who + ": training data '" + model::to_string(card.training_data) +
           "' is not allowed by policy " + p.name + " (allowed: " + join(allowed) + ")";
  }
  const std::string lic = lower(card.licence);
  for (const auto& d : p.denied_licences)
    if (lower(d) == lic)
      return who + ": licence '" + card.licence + "' is refused by policy " + p.name;
  if (!p.allowed_licences.empty()) {
    const bool ok = std::any_of(p.allowed_licences.begin(), p.allowed_licences.end(),
                                [&](const std::string& a) { return lower(a) == lic; });
    if (!ok)
      return who + ": licence '" +
             (card.licence.empty() ? std::string("(none declared)") : card.licence) +
             "' is not allowed by policy " + p.name + " (allowed: " + join(p.allowed_licences) +
             ")";
  }
  return "";
}

}  // namespace reel::provenance
