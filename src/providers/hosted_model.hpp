#pragma once
#include <memory>
#include <string>

#include "providers/provider.hpp"
#include "reel/model/tasks.hpp"
#include "reel/providers/providers.hpp"

namespace reel::providers {

// A hosted model as a registry model: `row` from the table, or null for an id the table
// does not know (then it takes every task and is unpriced).
std::shared_ptr<model::Model> make_hosted_model(const Provider& provider, std::string model,
                                                const ModelRow* row, ProviderOptions options);

}  // namespace reel::providers
