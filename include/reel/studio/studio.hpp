#pragma once
#include "reel/model/registry.hpp"

namespace reel::studio {

// Registers studio-character, studio-environment and studio-animator.
void register_models(model::Registry& registry);

}  // namespace reel::studio
