#pragma once
// Shared set-up of the runner and worker tests: a SQLite queue and key store in a fresh
// folder, an artifact store beside them, and a registry holding the diagnostic models.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "reel/pipeline/store.hpp"
#include "reel/server/stores.hpp"
#include "reel/server/worker.hpp"
#include "server/job_runner.hpp"
#include "support/test_dirs.hpp"

namespace reel::server::test {

// A one-step pipeline on a diagnostic model; `extra` goes to params.extra.
inline Json diag_spec(const std::string& model, const std::string& prompt, Json extra = {},
                      std::uint64_t seed = 1) {
  Json params{{"prompt", prompt}, {"width", 16}, {"height", 16}};
  if (!extra.is_null()) params["extra"] = extra;
  return Json{{"pipeline",
               {{"reel", 1},
                {"name", "diag"},
                {"seed", seed},
                {"steps", Json::array({{{"id", "still"},
                                        {"task", "text_to_image"},
                                        {"model", model},
                                        {"params", params}}})}}}};
}

class WorkerFixture : public ::testing::Test {
 protected:
  WorkerFixture() {
    jobs = open_sqlite_job_store(dir / "reel.db");
    keys = open_sqlite_key_store(dir / "reel.db");
    artifacts = std::make_unique<pipeline::ArtifactStore>(dir / "artifacts");
    register_diagnostic_models(registry);
    ApiKey spec;
    spec.name = "test";
    spec.budget_usd = 10;
    spec.max_concurrent = 1000;
    key_id = keys->create(spec).first.id;
  }

  // Reserves `estimate` for a job and enqueues it, as the HTTP layer does.
  Job enqueue(Json spec, int max_attempts = 3, double estimate = 0.01) {
    Job j;
    j.api_key_id = key_id;
    j.spec = std::move(spec);
    j.max_attempts = max_attempts;
    static int serial = 0;
    char id[33];
    std::snprintf(id, sizeof id, "%032x", ++serial);
    j.id = id;
    EXPECT_EQ(keys->admit(key_id, j.id, estimate), Admission::admitted);
    return jobs->enqueue(j).first;
  }

  RunnerEnv env(std::int64_t lease_ms = 30'000, std::int64_t heartbeat_ms = 10'000) {
    RunnerEnv e;
    e.jobs = jobs.get();
    e.keys = keys.get();
    e.registry = &registry;
    e.sign_outputs = false;  // queue tests: signing is tested end to end (tests/server_e2e)
    e.artifacts = artifacts.get();
    e.lease_ms = lease_ms;
    e.heartbeat_ms = heartbeat_ms;
    e.worker_id = "test-worker";
    return e;
  }

  Job job(const std::string& id) {
    auto j = jobs->get(id);
    EXPECT_TRUE(j.has_value());
    return j ? *j : Job{};
  }

  std::vector<JobEvent> events_of(const std::string& id) { return jobs->events(id, 0, 10'000); }

  reel::testing::TempDir dir;
  std::unique_ptr<JobStore> jobs;
  std::unique_ptr<KeyStore> keys;
  std::unique_ptr<pipeline::ArtifactStore> artifacts;
  model::Registry registry;
  std::string key_id;
};

}  // namespace reel::server::test
