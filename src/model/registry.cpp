#include "reel/model/registry.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "reel/core/error.hpp"

namespace reel::model {

struct Registry::Resolved {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<Model>> models;
};

Registry::Registry() : resolved_(std::make_unique<Resolved>()) {}
Registry::~Registry() = default;
Registry::Registry(Registry&&) noexcept = default;
Registry& Registry::operator=(Registry&&) noexcept = default;

void Registry::add_resolver(Resolver resolver) {
  resolvers_.push_back(std::move(resolver));
}

void Registry::add(std::shared_ptr<Model> model) {
  REEL_ASSERT(model != nullptr);
  const bool taken = std::any_of(models_.begin(), models_.end(),
                                 [&](const auto& m) { return m->card().id == model->card().id; });
  if (taken)
    throw Error(ErrorKind::InvalidInput,
                "a model with id '" + model->card().id + "' is already registered");
  models_.push_back(std::move(model));
}

void Registry::refresh() const {
  for (const auto& m : models_) m->refresh();
}

std::shared_ptr<Model> Registry::find(const std::string& id) const {
  for (const auto& m : models_)
    if (m->card().id == id) return m;
  if (resolvers_.empty()) return nullptr;
  std::lock_guard lock(resolved_->mutex);
  if (auto it = resolved_->models.find(id); it != resolved_->models.end()) return it->second;
  for (const auto& resolve : resolvers_)
    if (auto m = resolve(id)) {
      resolved_->models[id] = m;
      return m;
    }
  return nullptr;
}

std::shared_ptr<Model> Registry::get(const std::string& id) const {
  if (auto m = find(id)) return m;
  std::string ids;
  for (const auto& m : models_) ids += (ids.empty() ? "" : ", ") + m->card().id;
  throw Error(ErrorKind::NotFound,
              "unknown model '" + id + "'; registered models: " + (ids.empty() ? "none" : ids));
}

std::shared_ptr<Model> Registry::pick(Task task, const Constraints& c) const {
  std::string refusals;
  for (const auto& m : models_) {
    const ModelCard& card = m->card();
    if (!card.supports(task)) continue;
    if (c.device &&
        std::find(card.devices.begin(), card.devices.end(), *c.device) == card.devices.end()) {
      refusals += "; " + card.id + ": does not run on " + *c.device;
      continue;
    }
    if (c.policy) {
      std::string why = c.policy(card);
      if (!why.empty()) {
        refusals += "; " + card.id + ": " + why;
        continue;
      }
    }
    return m;
  }
  throw Error(ErrorKind::NotFound, "no registered model can do " + std::string(to_string(task)) +
                                       (refusals.empty() ? "" : refusals));
}

}  // namespace reel::model
