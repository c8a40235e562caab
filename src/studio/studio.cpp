#include "reel/studio/studio.hpp"

#include "reel/studio/animator.hpp"
#include "reel/studio/character.hpp"
#include "reel/studio/environment.hpp"

namespace reel::studio {

void register_models(model::Registry& registry) {
  // Order matters for Registry::pick: the first model that supports a task wins.
  registry.add(make_character_model());
  registry.add(make_environment_model());
  registry.add(make_animator_model());
}

}  // namespace reel::studio
