#include "sdk/remote_runner.hpp"

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/media/image.hpp"
#include "reel/media/jpeg.hpp"
#include "reel/media/mp4.hpp"
#include "reel/media/png.hpp"
#include "reel/provenance/provenance.hpp"
#include "reel/sdk/session.hpp"

namespace reel::sdk {
namespace fs = std::filesystem;
namespace {

// The server's SSE events as the local executor's events, so progress views and the
// SDK's on_event work the same in both modes.
std::optional<pipeline::Event> local_event(const remote::JobEvent& e) {
  using pipeline::EventKind;
  if (!e.data.is_object() || !e.data.contains("step")) return std::nullopt;
  pipeline::Event out{EventKind::step_progress, e.data.value("step", ""),
                      e.data.value("model", "")};
  const std::string state = e.data.value("state", "");
  if (e.type == "progress") {
    out.fraction = e.data.value("fraction", 0.0);
    out.message = e.data.value("message", "");
  } else if (e.type == "cached") {
    out.kind = EventKind::step_cached;
    out.notes = e.data.value("notes", std::vector<std::string>{});
  } else if (e.type == "step" && state == "started") {
    out.kind = EventKind::step_started;
  } else if (e.type == "step" && state == "finished") {
    out.kind = EventKind::step_finished;
    out.seconds = e.data.value("seconds", 0.0);
    out.notes = e.data.value("notes", std::vector<std::string>{});
  } else if (e.type == "step" && state == "failed") {
    out.kind = EventKind::step_failed;
    out.message = e.data.value("message", "");
  } else {
    return std::nullopt;
  }
  return out;
}

std::string png_bytes(const media::Image& image) {
  auto bytes = media::encode_png(image.to_u8());
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

RemoteRunner::RemoteRunner(remote::ClientOptions options, Session& session)
    : client_(std::move(options)), session_(session) {}

// "file:" and "artifact:" inputs name things on this machine; the server gets its own
// hash for them (uploading the still when it does not hold it yet).
std::string RemoteRunner::server_reference(const std::string& ref, const pipeline::Graph& graph) {
  if (ref.rfind("file:", 0) == 0) {
    fs::path p = ref.substr(5);
    if (p.is_relative() && !graph.base_dir.empty()) p = fs::path(graph.base_dir) / p;
    media::Image img =
        with_context("reading input " + p.string(), [&] { return media::read_image(p); });
    return "artifact:" + client_.upload_image(png_bytes(img));
  }
  if (ref.rfind("artifact:", 0) != 0) return ref;  // another step's output
  const std::string hash = ref.substr(9);
  if (client_.has_artifact(hash)) return ref;
  auto local = session_.store().get(Hash128::from_hex(hash));
  if (!local || local->type != model::ValueType::image || !local->image)
    throw_error(ErrorKind::NotFound, "input " + ref +
                                         " is neither on the server nor a still in the local "
                                         "store; only stills can be uploaded");
  if (!local->file.empty() && local->file.extension() == ".png")
    return "artifact:" + client_.upload_image(read_file(local->file, 32u << 20));
  return "artifact:" + client_.upload_image(png_bytes(local->image->image));
}

pipeline::Artifact RemoteRunner::fetch(const remote::ArtifactRef& ref, const std::string& step,
                                       const std::string& model) {
  const Hash128 key = Hash128::from_hex(ref.hash);
  auto& store = session_.store();
  if (ref.kind == "image") {
    if (auto have = store.get(key)) return *have;
    const std::string bytes = client_.download_bytes(ref.hash, 512ull << 20);
    model::ImageResult image;
    image.image = media::decode_png(
        std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
        "artifact " + ref.hash + " from the server");
    pipeline::StoreEntry info;
    info.model = model;
    info.step = step;
    return store.put_image(key, std::move(image), info);
  }
  if (ref.kind != "video")
    throw_error(ErrorKind::Unsupported, "the server returned an artifact of kind '" + ref.kind +
                                            "'; this client knows image and video");
  // The server's MP4 is kept byte for byte (no decode and re-encode): it lives beside
  // the store's objects, named by the server's hash.
  const fs::path file = store.root() / "remote" / (ref.hash + ".mp4");
  if (!fs::exists(file)) client_.download(ref.hash, file);
  const media::ProbeInfo info = media::probe(file);
  pipeline::Artifact a;
  a.key = key;
  a.type = model::ValueType::video;
  a.file = file;
  a.width = info.width;
  a.height = info.height;
  a.frame_count = info.frame_count;
  a.duration_seconds = info.duration_seconds;
  auto video = std::make_shared<model::VideoResult>();
  video->video.fps = info.fps;  // frames stay in the file until VideoClip::frames()
  a.video = std::move(video);
  return a;
}

pipeline::Graph RemoteRunner::for_server(const pipeline::Graph& graph) {
  pipeline::Graph g = graph;
  for (auto& step : g.steps)
    for (auto& [slot, ref] : step.inputs) ref = server_reference(ref, graph);
  g.base_dir.clear();
  return g;
}

// The session's licence policy travels with the job, so the server refuses what a local
// run would (docs/remote.md); the server knows the built-in policies only.
Json RemoteRunner::job_body(const pipeline::Graph& server_graph) const {
  Json body{{"pipeline", server_graph.to_json()}};
  const std::string& policy = session_.options().policy;
  if (policy.empty()) return body;
  const auto names = provenance::policy_names();
  if (std::find(names.begin(), names.end(), policy) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw_error(ErrorKind::InvalidInput,
                "policy '" + policy + "': a run on a server takes a built-in policy name (" + list +
                    "); a policy file is checked by local runs only");
  }
  body["policy"] = policy;
  return body;
}

pipeline::RunPlan RemoteRunner::plan(const pipeline::Graph& graph) {
  return with_context("estimating '" + graph.name + "' on " + client_.options().server, [&] {
    const Json e = client_.estimate(job_body(for_server(graph)));
    pipeline::RunPlan plan;
    for (const Json& s : e.value("plan", Json::array())) {
      pipeline::PlanStep ps;
      ps.step = s.value("step", "");
      ps.model = s.value("model", "");
      ps.cached = s.value("cached", false);
      ps.seconds = s.value("estimate_seconds", 0.0);
      ps.usd = s.value("estimate_usd", 0.0);
      ps.unpriced = s.value("unpriced", false);
      ps.estimate_source = s.value("estimate_source", "");
      if (auto w = s.find("estimate_warning"); w != s.end() && w->is_string())
        ps.estimate_warning = w->get<std::string>();
      plan.steps.push_back(std::move(ps));
    }
    plan.seconds = e.value("estimate_seconds", 0.0);
    plan.usd = e.value("estimate_usd", 0.0);
    return plan;
  });
}

namespace {

// Asks the server to cancel as soon as the token is cancelled. ReelClient::wait notices
// a cancel only at its next event or stream turn (up to a second on a quiet step);
// docs/remote.md promises the server's job stops within about a second of Ctrl-C.
class CancelRelay {
 public:
  CancelRelay(remote::ReelClient& client, std::string job_id, CancelToken cancel)
      : thread_([this, &client, id = std::move(job_id), cancel] {
          std::unique_lock lock(m_);
          while (!done_) {
            if (cancel.cancelled()) {
              lock.unlock();
              try {
                client.cancel(id);
              } catch (const std::exception&) {
                // Finished meanwhile (409) or unreachable: wait() reports the outcome.
              }
              return;
            }
            cv_.wait_for(lock, std::chrono::milliseconds(20));
          }
        }) {}
  ~CancelRelay() {
    {
      std::lock_guard lock(m_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  CancelRelay(const CancelRelay&) = delete;
  CancelRelay& operator=(const CancelRelay&) = delete;

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;  // last: it starts once the members it uses exist
};

}  // namespace

pipeline::RunResult RemoteRunner::run(const pipeline::Graph& graph, const CancelToken& cancel) {
  return with_context("running '" + graph.name + "' on " + client_.options().server, [&] {
    const pipeline::Graph g = for_server(graph);
    remote::Job job = client_.submit(job_body(g));
    remote::WaitOptions wo;
    wo.cancelled = [&cancel] { return cancel.cancelled(); };
    if (const auto& cb = session_.options().on_event)
      wo.on_event = [&cb](const remote::JobEvent& e) {
        if (auto local = local_event(e)) cb(*local);
      };
    {
      CancelRelay relay(client_, job.id(), cancel);
      job = client_.wait(job.id(), wo);
    }

    pipeline::RunResult r;
    const remote::ArtifactRef out = job.output();
    const std::string out_step = job.raw["result"].value("output", g.output_step());
    for (const auto& s : g.steps) {
      auto ref = job.artifact(s.id);
      if (!ref) continue;
      // Intermediate stills come along (small, and ingredients for provenance);
      // intermediate videos stay on the server.
      if (s.id != out_step && ref->kind != "image") continue;
      r.artifacts[s.id] = fetch(*ref, s.id, s.model);
    }
    const pipeline::Step* os = g.find(out_step);
    r.output = r.artifacts.count(out_step) ? r.artifacts[out_step]
                                           : fetch(out, out_step, os ? os->model : "");
    const Json cost = job.cost();
    if (cost.is_object() && !cost.empty()) r.cost = pipeline::CostReport::from_json(cost);
    const Json& res = job.raw["result"];
    r.executed = res.value("executed", 0);
    r.cached = res.value("cached", 0);
    // The server's notes word for word, as a local run prints them; then where it ran.
    if (res.contains("notes") && res["notes"].is_array())
      for (const Json& n : res["notes"])
        if (n.is_string()) r.notes.push_back(n.get<std::string>());
    r.notes.push_back("ran on " + client_.options().server + " as job " + job.id());
    return r;
  });
}

}  // namespace reel::sdk
