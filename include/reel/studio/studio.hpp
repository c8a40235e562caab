#pragma once
#include "reel/model/registry.hpp"

namespace reel::studio {

// Registers studio-character, studio-environment, studio-animator and
// studio-composite.
void register_models(model::Registry& registry);

}  // namespace reel::studio
