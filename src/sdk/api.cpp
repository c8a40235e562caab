#include "reel/sdk/api.hpp"

#include "reel/core/error.hpp"

namespace reel {
namespace {

sdk::Lineage lineage_of(const pipeline::RunResult& r, const pipeline::Graph& g) {
  sdk::Lineage l;
  l.steps = r.cost.steps;
  for (const auto& s : g.steps) {
    l.models.push_back(s.model);
    l.params[s.id] = s.params;
  }
  return l;
}

void append(sdk::Lineage& into, const sdk::Lineage& from) {
  into.steps.insert(into.steps.end(), from.steps.begin(), from.steps.end());
  into.models.insert(into.models.end(), from.models.begin(), from.models.end());
  for (auto& [k, v] : from.params.items()) into.params[k] = v;
}

// An empty `extra` is left out, so a call without one keys the cache as before.
void set_extra(pipeline::Step& s, const Json& extra) {
  if (!extra.is_object())
    throw Error(ErrorKind::InvalidInput,
                "extra must be a mapping of model-specific settings (e.g. "
                "{\"ambient_weather\": false}), got " +
                    std::string(extra.type_name()));
  if (!extra.empty()) s.params["extra"] = extra;
}

// character_api and environment_api take the same params; only the step id differs.
template <class Params>
StillImage generate_still(const std::string& step_id, const Params& p, Session& session) {
  pipeline::Graph g;
  g.name = step_id;
  g.seed = p.seed;
  pipeline::Step s;
  s.id = step_id;
  s.task = model::Task::text_to_image;
  s.model = p.model;
  s.params["prompt"] = p.prompt;
  if (!p.negative_prompt.empty()) s.params["negative_prompt"] = p.negative_prompt;
  if (!p.style.empty()) s.params["style"] = p.style;
  if (p.width) s.params["width"] = p.width;
  if (p.height) s.params["height"] = p.height;
  set_extra(s, p.extra);
  g.steps.push_back(std::move(s));
  pipeline::RunResult r = session.run(g, p.cancel);
  return StillImage(r.output, lineage_of(r, g), r.notes);
}

// A still made in another session (another store) is imported so that the
// artifact reference resolves here.
std::string reference(const StillImage& still, Session& session, const char* what) {
  if (still.empty())
    throw Error(ErrorKind::InvalidInput, std::string(what) +
                                             " is empty; pass a still from character_api.generate, "
                                             "environment_api.generate or StillImage::from_file");
  if (session.store().contains(still.artifact().key))
    return "artifact:" + still.artifact().key.hex();
  return "artifact:" + StillImage::from_image(still.image(), session).artifact().key.hex();
}

}  // namespace

namespace character_api {
StillImage generate(const GenerateParams& p, Session& session) {
  return generate_still("character", p, session);
}
}  // namespace character_api

namespace environment_api {
StillImage generate(const GenerateParams& p, Session& session) {
  return generate_still("environment", p, session);
}
}  // namespace environment_api

namespace animator_api {
VideoClip animate_from_image(const AnimateParams& p, Session& session) {
  pipeline::Graph g;
  g.name = "animate";
  g.seed = p.seed;
  pipeline::Step s;
  s.id = "animate";
  s.task = model::Task::image_to_video;
  s.model = p.model;
  s.inputs["image"] = reference(p.base_image, session, "base_image");
  if (p.background) s.inputs["background"] = reference(*p.background, session, "background");
  s.params["motion"] = p.motion;
  s.params["duration"] = p.duration;
  s.params["fps"] = p.fps;
  if (p.width) s.params["width"] = p.width;
  if (p.height) s.params["height"] = p.height;
  if (p.crf) s.params["crf"] = *p.crf;
  if (!p.preset.empty()) s.params["preset"] = p.preset;
  set_extra(s, p.extra);
  g.steps.push_back(std::move(s));
  pipeline::RunResult r = session.run(g, p.cancel);

  // The clip's cost and lineage include the stills that went into it.
  sdk::Lineage lineage;
  std::vector<StillImage> ingredients{p.base_image};
  append(lineage, p.base_image.lineage());
  if (p.background) {
    append(lineage, p.background->lineage());
    ingredients.push_back(*p.background);
  }
  sdk::Lineage own = lineage_of(r, g);
  append(lineage, own);
  pipeline::CostReport cost = r.cost;
  cost.steps = lineage.steps;
  std::vector<std::string> notes = p.base_image.notes();
  if (p.background)
    notes.insert(notes.end(), p.background->notes().begin(), p.background->notes().end());
  notes.insert(notes.end(), r.notes.begin(), r.notes.end());
  return VideoClip(r.output, std::move(lineage), std::move(notes), std::move(cost),
                   std::move(ingredients));
}
}  // namespace animator_api

}  // namespace reel

namespace reel::sdk {

RunOutput output_of(const pipeline::RunResult& r, const pipeline::Graph& g, Session& session) {
  Lineage all = lineage_of(r, g);
  const pipeline::Step& out_step = *g.find(g.output_step());
  RunOutput out;
  if (r.output.type == model::ValueType::image) {
    pipeline::Artifact a = r.output;
    if (!a.image) a = *session.store().get(a.key);
    out.still = StillImage(a, all, r.notes);
    return out;
  }
  std::vector<StillImage> ingredients;
  for (const auto& [slot, ref] : out_step.inputs) {
    pipeline::Artifact a;
    if (auto it = r.artifacts.find(ref); it != r.artifacts.end()) {
      a = it->second;
    } else if (ref.rfind("artifact:", 0) == 0) {
      a.key = Hash128::from_hex(ref.substr(9));
    } else {
      continue;  // file: inputs were imported; their key is not kept by the run result
    }
    if (a.type != model::ValueType::image) continue;
    if (!a.image || a.file.empty())
      if (auto loaded = session.store().get(a.key)) a = *loaded;
    if (!a.image) continue;
    Lineage l;
    for (const auto& s : r.cost.steps)
      if (s.step == ref) l.steps.push_back(s);
    ingredients.emplace_back(a, l, std::vector<std::string>{});
  }
  out.video = VideoClip(r.output, all, r.notes, r.cost, std::move(ingredients));
  return out;
}

}  // namespace reel::sdk
