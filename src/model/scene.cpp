#include "reel/model/scene.hpp"

namespace reel::model {

const RigPart* Rig::find(const std::string& name) const {
  for (const auto& p : parts)
    if (p.name == name) return &p;
  return nullptr;
}

Json Rig::to_json() const {
  Json j;
  j["parts"] = Json::array();
  for (const auto& p : parts)
    j["parts"].push_back({{"name", p.name},
                          {"parent", p.parent},
                          {"pivot", {p.pivot_x, p.pivot_y}},
                          {"box", {p.box.x0, p.box.y0, p.box.x1, p.box.y1}}});
  j["recipe"] = recipe;
  return j;
}

Rig Rig::from_json(const Json& j) {
  Rig r;
  for (const auto& pj : j.at("parts")) {
    RigPart p;
    p.name = pj.at("name").get<std::string>();
    p.parent = pj.value("parent", "");
    p.pivot_x = pj.at("pivot").at(0).get<float>();
    p.pivot_y = pj.at("pivot").at(1).get<float>();
    const auto& b = pj.at("box");
    p.box = Box{b.at(0).get<int>(), b.at(1).get<int>(), b.at(2).get<int>(), b.at(3).get<int>()};
    r.parts.push_back(std::move(p));
  }
  if (j.contains("recipe")) r.recipe = j.at("recipe");
  return r;
}

Json Light::to_json() const {
  return Json{{"direction", direction}, {"color", color}, {"ambient", ambient}};
}

Light Light::from_json(const Json& j) {
  Light l;
  l.direction = j.at("direction").get<std::array<float, 3>>();
  l.color = j.at("color").get<std::array<float, 3>>();
  l.ambient = j.at("ambient").get<std::array<float, 3>>();
  return l;
}

}  // namespace reel::model
