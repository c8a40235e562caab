#pragma once
// Connects the SDK to the provenance layer: the licence policy check used before a
// run, and signing of saved outputs.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "reel/model/model_card.hpp"
#include "reel/sdk/results.hpp"

namespace reel::sdk {

class Session;

// "" → no policy (nullptr function); a policy name or a JSON file path otherwise.
std::function<std::string(const model::ModelCard&)> make_policy_check(const std::string& policy);

// Signs a saved output with a C2PA manifest describing its lineage. `ingredients`
// are the stills that went into it (empty for a still itself); `parent` is the
// credentials the output's own model returned with it (a provider's signed file).
void sign_output(const std::filesystem::path& file, Session& session, const Lineage& lineage,
                 const std::vector<const StillImage*>& ingredients, const Json& cost,
                 const std::vector<std::string>& notes,
                 const std::optional<model::SourceCredentials>& parent);

}  // namespace reel::sdk
