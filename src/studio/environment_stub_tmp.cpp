#include "studio/environment_render.hpp"
#include "studio/environment_terrain.hpp"
namespace reel::studio::env {
std::unique_ptr<Terrain> make_mountain_terrain(const World& w) {
  return make_mars_terrain(w, true);
}
std::unique_ptr<Terrain> make_beach_terrain(const World& w) {
  return make_mars_terrain(w, true);
}
std::unique_ptr<Terrain> make_forest_terrain(const World& w) {
  return make_mars_terrain(w, true);
}
void render_city(World& w, Frame& f) {
  render_terrain(w, *make_mars_terrain(w, true), f);
}
void render_space(World& w, Frame& f) {
  render_terrain(w, *make_mars_terrain(w, true), f);
}
void render_studio(World& w, Frame& f) {
  render_terrain(w, *make_mars_terrain(w, true), f);
}
void render_trees(const World&, Frame&) {}
}  // namespace reel::studio::env
