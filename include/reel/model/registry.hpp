#pragma once
// Finds a model by id, or picks one for a task under constraints.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reel/model/tasks.hpp"

namespace reel::model {

struct Constraints {
  std::optional<std::string> device;  // e.g. "cpu": the model must list it
  // Licence/provenance policy: return an empty string to allow, or the reason to refuse.
  std::function<std::string(const ModelCard&)> policy;
};

// Makes a model for an id no table lists (any `fal:<model>`), or returns nullptr when the
// id is not its kind.
using Resolver = std::function<std::shared_ptr<Model>(const std::string& id)>;

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(Registry&&) noexcept;
  Registry& operator=(Registry&&) noexcept;

  // Throws InvalidInput if a model with the same id is already registered.
  void add(std::shared_ptr<Model> model);
  // Registered models first, then the resolvers (a resolved model is made once and
  // kept); nullptr if none knows the id. Thread-safe.
  std::shared_ptr<Model> find(const std::string& id) const;
  void add_resolver(Resolver resolver);
  // Throws NotFound listing the registered ids.
  std::shared_ptr<Model> get(const std::string& id) const;
  // First registered model that supports the task and meets the constraints;
  // throws NotFound explaining why each candidate was refused.
  std::shared_ptr<Model> pick(Task task, const Constraints& constraints = {}) const;
  const std::vector<std::shared_ptr<Model>>& models() const { return models_; }
  // Model::refresh on every registered model (listings call it before showing cards).
  void refresh() const;

 private:
  std::vector<std::shared_ptr<Model>> models_;
  std::vector<Resolver> resolvers_;
  struct Resolved;  // models made by resolvers, behind a mutex
  std::unique_ptr<Resolved> resolved_;
};

// Casts to a task interface; throws InvalidInput when the model lacks it.
template <class T>
T& as_task(Model& m, Task task);

}  // namespace reel::model

#include "reel/model/registry_inl.hpp"
