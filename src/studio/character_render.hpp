#pragma once
// The renderer behind render_character, taking an already validated recipe.
#include "character_recipe.hpp"
#include "reel/studio/character.hpp"

namespace reel::studio::character {

// Depth in the layer: kCameraDistance - z in character heights (z towards the
// camera, 0 at the character's root); pixels the character does not cover hold
// +infinity.
CharacterLayer render_layer(const Recipe& recipe, const Pose& pose, const Placement& placement,
                            const model::Light& light);

}  // namespace reel::studio::character
