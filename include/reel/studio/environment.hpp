#pragma once
// studio-environment: procedural environments (TextToImage) returning RGB + depth
// + the key light.
#include <memory>

#include "reel/model/tasks.hpp"

namespace reel::studio {

std::shared_ptr<model::Model> make_environment_model();

}  // namespace reel::studio
