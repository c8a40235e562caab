#include "character_recipe.hpp"

#include <string>

#include "reel/core/error.hpp"

namespace reel::studio::character {
namespace {

constexpr int kRecipeVersion = 1;
constexpr const char* kArchetypes[] = {"astronaut", "robot", "woman", "man", "cat", "dog"};

[[noreturn]] void bad(const std::string& why) {
  throw Error(ErrorKind::InvalidInput, "studio-character recipe: " + why);
}

Rgb get_rgb(const Json& j, const char* key) {
  if (!j.contains(key) || !j.at(key).is_array() || j.at(key).size() != 3)
    bad(std::string("'") + key + "' must be an array of 3 numbers (linear RGB 0..1)");
  Rgb c{};
  for (int i = 0; i < 3; ++i) {
    if (!j.at(key).at(i).is_number()) bad(std::string("'") + key + "' must hold numbers");
    float v = j.at(key).at(i).get<float>();
    if (!(v >= 0 && v <= 1)) bad(std::string("'") + key + "' values must lie in 0..1");
    c[i] = v;
  }
  return c;
}

float get_scale(const Json& j, const char* key) {
  if (!j.contains(key) || !j.at(key).is_number())
    bad(std::string("proportion '") + key + "' must be a number");
  float v = j.at(key).get<float>();
  // Past these the skeleton intersects itself or leaves the bounding box estimate.
  if (!(v >= 0.5f && v <= 1.6f)) bad(std::string("proportion '") + key + "' must lie in 0.5..1.6");
  return v;
}

}  // namespace

const char* to_string(Archetype a) {
  return kArchetypes[static_cast<int>(a)];
}

bool is_quadruped(Archetype a) {
  return a == Archetype::cat || a == Archetype::dog;
}

Json Recipe::to_json() const {
  Json j;
  j["model"] = "studio-character";
  j["version"] = kRecipeVersion;
  j["archetype"] = to_string(archetype);
  j["female"] = female;
  j["detailed"] = detailed;
  j["photoreal"] = photoreal;
  j["dress"] = dress;
  j["seed"] = seed;
  j["detail_seed"] = detail_seed;
  j["colours"] = {{"primary", primary}, {"secondary", secondary}, {"accent", accent},
                  {"visor", visor},     {"skin", skin},           {"hair", hair},
                  {"boots", boots}};
  j["proportions"] = {{"width", width},
                      {"shoulders", shoulders},
                      {"head", head},
                      {"legs", legs},
                      {"stature", stature}};
  j["details"] = {{"patch_side", patch_side},
                  {"hose_side", hose_side},
                  {"hair_length", hair_length},
                  {"variant", variant}};
  return j;
}

Recipe Recipe::from_json(const Json& j) {
  if (!j.is_object() || j.value("model", std::string()) != "studio-character")
    bad("not a studio-character recipe (expected \"model\": \"studio-character\")");
  if (!j.contains("version") || !j.at("version").is_number_integer() ||
      j.at("version").get<int>() != kRecipeVersion)
    bad("unsupported version; this build reads version " + std::to_string(kRecipeVersion));
  Recipe r;
  std::string a = j.value("archetype", std::string());
  bool found = false;
  for (int i = 0; i < 6; ++i)
    if (a == kArchetypes[i]) r.archetype = static_cast<Archetype>(i), found = true;
  if (!found) bad("unknown archetype '" + a + "'; allowed: astronaut, robot, woman, man, cat, dog");
  try {
    r.female = j.at("female").get<bool>();
    r.detailed = j.at("detailed").get<bool>();
    r.photoreal = j.at("photoreal").get<bool>();
    r.dress = j.at("dress").get<bool>();
    r.seed = j.at("seed").get<std::uint64_t>();
    r.detail_seed = j.at("detail_seed").get<std::uint32_t>();
    const Json& c = j.at("colours");
    r.primary = get_rgb(c, "primary");
    r.secondary = get_rgb(c, "secondary");
    r.accent = get_rgb(c, "accent");
    r.visor = get_rgb(c, "visor");
    r.skin = get_rgb(c, "skin");
    r.hair = get_rgb(c, "hair");
    r.boots = get_rgb(c, "boots");
    const Json& p = j.at("proportions");
    r.width = get_scale(p, "width");
    r.shoulders = get_scale(p, "shoulders");
    r.head = get_scale(p, "head");
    r.legs = get_scale(p, "legs");
    r.stature = get_scale(p, "stature");
    const Json& d = j.at("details");
    r.patch_side = d.at("patch_side").get<int>() >= 0 ? 1 : -1;
    r.hose_side = d.at("hose_side").get<int>() >= 0 ? 1 : -1;
    r.hair_length = d.at("hair_length").get<float>();
    r.variant = d.at("variant").get<int>();
  } catch (const Json::exception& e) {
    bad(std::string("missing or mistyped field: ") + e.what());
  }
  if (!(r.hair_length >= 0 && r.hair_length <= 1)) bad("'hair_length' must lie in 0..1");
  if (r.variant < 0 || r.variant > 3) bad("'variant' must lie in 0..3");
  return r;
}

}  // namespace reel::studio::character
