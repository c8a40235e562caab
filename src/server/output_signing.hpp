#pragma once
// What a job made, signed for download: every artifact in a succeeded job's result gets a
// copy carrying C2PA Content Credentials (the models of its lineage with their licences
// and training-data declarations, the job's notes and cost, a provider's own credentials
// as its parent), made once per artifact under <artifacts root>/signed/. The store keeps
// the unsigned bytes its cache keys describe; GET /v1/artifacts/{hash} serves the copy.
#include <filesystem>
#include <functional>
#include <string>

#include "reel/core/json.hpp"
#include "reel/model/registry.hpp"
#include "reel/pipeline/executor.hpp"
#include "reel/pipeline/graph.hpp"
#include "reel/pipeline/store.hpp"

namespace reel::server {

// Where the signed copy of artifact `hash` lives (it may not exist yet).
std::filesystem::path signed_artifact_path(const pipeline::ArtifactStore& store,
                                           const std::string& hash, bool video);

// Signs a copy of each of `run`'s artifacts that has none yet, atomically (temp + rename),
// with the server's keys ($REEL_HOME/keys, `reel keys init`). Throws on a signing failure:
// a job never succeeds with unsigned downloads.
void sign_job_artifacts(const model::Registry& registry, const pipeline::ArtifactStore& store,
                        const pipeline::Graph& graph, const pipeline::RunResult& run);

// The licence policy a job asks for ("policy": a built-in name) as the validator's check;
// nullptr when the body names none. InvalidInput naming the allowed names otherwise.
std::function<std::string(const model::ModelCard&)> job_policy(const Json& body);

}  // namespace reel::server
