// ReelClient against the real `reel serve` (build/bin/reel): SQLite store, one
// in-process worker, the studio models. Small sizes keep the whole suite in seconds.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>
#include <thread>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/remote/client.hpp"
#include "remote/test_http_endpoint.hpp"

namespace reel::remote {
namespace {

namespace fs = std::filesystem;
const std::string kReel = REEL_BINARY_DIR "/bin/reel";

std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  return out;
}

// A `reel serve` child process; the port comes from its "listening on" line.
class ServeProcess {
 public:
  ServeProcess(const fs::path& dir) : dir_(dir) {
    fs::create_directories(dir / "home");
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 2);
      close(out[0]);
      setenv("REEL_HOME", (dir / "home").c_str(), 1);
      setenv("REEL_DIAGNOSTIC_MODELS", "1", 1);  // diag-sleep: a job that runs until told
      setenv("REEL_WEBHOOK_SECRET", "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 1);
      const std::string store = (dir / "jobs.db").string();
      execl(kReel.c_str(), "reel", "serve", "--store", store.c_str(), "--listen", "127.0.0.1:0",
            "--workers", "1", "--lease-ms", "1500", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    pollfd pfd{out[0], POLLIN, 0};
    std::string line;
    while (line.find('\n') == std::string::npos && poll(&pfd, 1, 20'000) > 0) {
      char c[256];
      ssize_t n = read(out[0], c, sizeof c);
      if (n <= 0) break;
      line.append(c, static_cast<std::size_t>(n));
    }
    out_fd_ = out[0];
    std::smatch m;
    if (std::regex_search(line, m, std::regex(R"(127\.0\.0\.1:(\d+))")))
      url_ = "http://127.0.0.1:" + m[1].str();
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
  }
  const std::string& url() const { return url_; }

  // `reel keys create` against the server's store; returns the secret.
  std::string create_key(const std::string& flags = "") const {
    const std::string out =
        run_capture("REEL_HOME=" + (dir_ / "home").string() + " " + kReel +
                    " keys create --store " + (dir_ / "jobs.db").string() + " --json " + flags);
    return Json::parse(out).at("secret").get<std::string>();
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string url_;
};

const Json kFilm = Json::parse(R"({"reel": 1, "name": "e2e", "seed": 7, "output": "film",
  "steps": [
   {"id": "character", "task": "text_to_image", "model": "studio-character",
    "params": {"prompt": "red robot", "width": 128, "height": 128}},
   {"id": "environment", "task": "text_to_image", "model": "studio-environment",
    "params": {"prompt": "surface of mars", "width": 160, "height": 96}},
   {"id": "film", "task": "image_to_video", "model": "studio-animator",
    "inputs": {"image": "character", "background": "environment"},
    "params": {"motion": "subtle head turn", "duration": 1, "fps": 8,
               "width": 160, "height": 96}}]})");

ErrorKind kind_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no reel::Error thrown";
  return ErrorKind::Internal;
}

class RealServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(fs::exists(kReel)) << kReel << " missing: build the `reel` target first";
    dir_ = fs::temp_directory_path() / ("reel_remote_e2e_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    server_ = new ServeProcess(dir_);
    ASSERT_FALSE(server_->url().empty()) << "reel serve printed no address";
  }
  static void TearDownTestSuite() {
    delete server_;
    fs::remove_all(dir_);
  }
  ReelClient client(const std::string& key) { return ReelClient({server_->url(), key}); }

  static inline fs::path dir_;
  static inline ServeProcess* server_ = nullptr;
};

TEST_F(RealServer, PipelineRunsWithLiveEventsAndDownloadsAValidMp4) {
  ReelClient c = client(server_->create_key("--budget 5"));
  Job job = c.submit_pipeline(kFilm);
  ASSERT_EQ(job.id().size(), 32u);
  std::vector<JobEvent> events;
  job = c.wait(job.id(), {.timeout = std::chrono::seconds(60),
                          .on_event = [&](const JobEvent& e) { events.push_back(e); }});
  EXPECT_EQ(job.status(), "succeeded");

  // Each step was seen starting and finishing on the stream, and the end was announced.
  std::set<std::string> started, finished;
  for (const auto& e : events)
    if (e.type == "step" && e.data.is_object()) {
      if (e.data.value("state", "") == "started") started.insert(e.data.value("step", ""));
      if (e.data.value("state", "") == "finished") finished.insert(e.data.value("step", ""));
    }
  const std::set<std::string> all = {"character", "environment", "film"};
  EXPECT_EQ(started, all);
  EXPECT_EQ(finished, all);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "succeeded");

  const ArtifactRef out = job.output();
  EXPECT_EQ(out.kind, "video");
  EXPECT_EQ(out.media_type, "video/mp4");
  const fs::path mp4 = dir_ / "dl" / "film.mp4";
  c.download(out.hash, mp4);
  const std::string probe = run_capture(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      "stream=codec_name,width,height,nb_read_frames -of csv=p=0 " +
      mp4.string());
  EXPECT_EQ(probe, "h264,160,96,8\n");
  EXPECT_EQ(c.download_bytes(out.hash), read_file(mp4));
  EXPECT_GT(job.cost().at("totals").at("usd").get<double>(), 0.0);
  EXPECT_EQ(c.usage().at("jobs_settled"), 1);
}

TEST_F(RealServer, UploadedStillFeedsATaskAndIdempotencyHolds) {
  ReelClient c = client(server_->create_key("--budget 5"));
  // A still made by one job, downloaded, uploaded again as a user's input.
  Job still = c.wait(c.submit({{"task", "text_to_image"},
                               {"model", "studio-character"},
                               {"params", {{"prompt", "blue cat"}, {"width", 64}, {"height", 64}}}})
                         .id());
  const std::string png = c.download_bytes(still.output().hash);
  ASSERT_EQ(png.compare(0, 4, "\x89PNG"), 0);
  const std::string uploaded = c.upload_image(png);
  EXPECT_TRUE(c.has_artifact(uploaded));
  EXPECT_FALSE(c.has_artifact("00000000000000000000000000000000"));

  const Json task = {
      {"task", "image_to_video"},
      {"model", "studio-animator"},
      {"inputs", {{"image", "artifact:" + uploaded}}},
      {"params",
       {{"motion", "jump"}, {"duration", 0.5}, {"fps", 8}, {"width", 64}, {"height", 64}}}};
  Job a = c.submit(task, {.idempotency_key = "clip-1"});
  Job b = c.submit(task, {.idempotency_key = "clip-1"});
  EXPECT_EQ(a.id(), b.id());
  Json other = task;
  other["params"]["motion"] = "spin";
  EXPECT_EQ(kind_of([&] { c.submit(other, {.idempotency_key = "clip-1"}); }),
            ErrorKind::InvalidInput);
  Job done = c.wait(a.id(), {.use_events = false, .poll_interval = std::chrono::milliseconds(50)});
  EXPECT_EQ(done.output().kind, "video");
  // A finished job cannot be canceled (409).
  EXPECT_EQ(kind_of([&] { c.cancel(done.id()); }), ErrorKind::InvalidInput);
}

TEST_F(RealServer, ServerRefusalsBecomeTypedErrors) {
  EXPECT_EQ(kind_of([&] { client("reel_nope_0123456789abcdef0123456789abcdef").usage(); }),
            ErrorKind::InvalidInput);
  ReelClient c = client(server_->create_key("--budget 0.000001"));
  Json fresh = kFilm;
  fresh["seed"] = 991;  // not in the server's cache, so it has a price to refuse
  EXPECT_EQ(kind_of([&] { c.submit_pipeline(fresh); }), ErrorKind::Budget);
  EXPECT_EQ(kind_of([&] { c.get("0123456789abcdef0123456789abcdef"); }), ErrorKind::NotFound);
  Json bad = kFilm;
  bad["steps"][0]["params"]["width"] = 100000;
  EXPECT_EQ(kind_of([&] { c.submit_pipeline(bad); }), ErrorKind::InvalidInput);
  EXPECT_EQ(c.usage().at("jobs_settled"), 0);
}

TEST_F(RealServer, EstimatePricesAJobBodyWithoutQueueingOrCharging) {
  const std::string secret = server_->create_key("--budget 5");
  ReelClient c = client(secret);
  Json fresh = kFilm;
  fresh["seed"] = 4242;  // nothing of it in the server's store
  const Json e = c.estimate({{"pipeline", fresh}});
  ASSERT_EQ(e.at("plan").size(), 3u);
  for (const Json& s : e.at("plan")) {
    EXPECT_FALSE(s.at("cached").get<bool>()) << s.dump();
    EXPECT_GT(s.at("estimate_usd").get<double>(), 0.0) << s.dump();
  }
  const double usd = e.at("estimate_usd").get<double>();
  EXPECT_GT(usd, 0.0);
  EXPECT_TRUE(e.at("budget").at("fits").get<bool>());
  EXPECT_DOUBLE_EQ(e.at("budget").at("remaining_usd").get<double>(), 5.0);
  // Nothing was queued, reserved or charged.
  EXPECT_TRUE(c.list_jobs().at("jobs").empty());
  EXPECT_EQ(c.usage().at("reserved_usd").get<double>(), 0.0);
  // The job made from the same body carries the same price.
  Job job = c.submit_pipeline(fresh);
  EXPECT_DOUBLE_EQ(job.raw.at("estimate_usd").get<double>(), usd);
  job = c.wait(job.id(), {.timeout = std::chrono::seconds(60)});
  // Once made, every step is in the store: the estimate says cached and $0.
  const Json again = c.estimate({{"pipeline", fresh}});
  for (const Json& s : again.at("plan")) EXPECT_TRUE(s.at("cached").get<bool>()) << s.dump();
  EXPECT_EQ(again.at("estimate_usd").get<double>(), 0.0);

  const Json made = fresh;

  // Over budget is an answer, not a refusal; an invalid body is refused as for a job.
  ReelClient poor = client(server_->create_key("--budget 0.000001"));
  fresh["seed"] = 4243;
  const Json tight = poor.estimate({{"pipeline", fresh}});
  EXPECT_FALSE(tight.at("budget").at("fits").get<bool>());
  Json bad = fresh;
  bad["steps"][0]["params"]["width"] = 100000;
  EXPECT_EQ(kind_of([&] { poor.estimate({{"pipeline", bad}}); }), ErrorKind::InvalidInput);

  // `reel run --dry-run --server` shows the server's estimate, not a local one: the
  // server holds every step of `made` for the key that made it, the client's fresh store
  // none. Another key's estimate shows nothing cached (each key's cache is its own).
  const fs::path file = dir_ / "estimate.json";
  write_file_atomic(file, made.dump());
  auto dry_run = [&](const std::string& key) {
    const std::string out = run_capture(
        "REEL_HOME=" + (dir_ / "client-home").string() + " " + kReel + " run " + file.string() +
        " --dry-run --json " + "--server " + server_->url() + " --api-key " + key + " 2>&1");
    const Json cli = Json::parse(out, nullptr, false);
    EXPECT_FALSE(cli.is_discarded()) << out;
    EXPECT_EQ(cli.at("steps").size(), 3u) << out;
    return cli;
  };
  const Json own = dry_run(secret);
  EXPECT_EQ(own.at("estimated_usd").get<double>(), 0.0) << own.dump();
  for (const Json& s : own.at("steps")) EXPECT_TRUE(s.at("cached").get<bool>()) << own.dump();
  const Json other = dry_run(server_->create_key("--budget 5"));
  EXPECT_GT(other.at("estimated_usd").get<double>(), 0.0) << other.dump();
  for (const Json& s : other.at("steps")) EXPECT_FALSE(s.at("cached").get<bool>()) << other.dump();
}

TEST_F(RealServer, CancellingAWaitCancelsTheServersJob) {
  ReelClient c = client(server_->create_key("--budget 5"));
  Job job = c.submit({{"task", "text_to_image"},
                      {"model", "diag-sleep"},
                      {"params", {{"prompt", "x"}, {"extra", {{"ms", 20000}}}}}});
  // The caller gives up once the job runs; short resumed streams must notice that.
  std::atomic<bool> started{false};
  WaitOptions wo;
  wo.timeout = std::chrono::seconds(15);
  wo.on_event = [&](const JobEvent& e) {
    if (e.type == "started") started = true;
  };
  wo.cancelled = [&] { return started.load(); };
  wo.cancel_check = std::chrono::milliseconds(200);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(kind_of([&] { c.wait(job.id(), wo); }), ErrorKind::Cancelled);
  EXPECT_TRUE(started);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  // The server stops the running step: the job ends canceled long before its 20 s.
  std::string status;
  for (int i = 0; i < 100 && status != "canceled"; ++i) {
    status = c.get(job.id()).status();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, "canceled");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

TEST_F(RealServer, WebhookToALoopbackReceiverIsRefusedAtSubmit) {
  // The real server runs without --webhook-allow-private, so a customer URL on the
  // server's own loopback is refused when the job is submitted (422), before anything
  // runs or is charged, and never called.
  testing::TestHttpEndpoint receiver([](const auto&, auto& s) { testing::respond(s, 200); });
  ReelClient c = client(server_->create_key("--budget 5"));
  Json task = {{"task", "text_to_image"},
               {"model", "studio-character"},
               {"params", {{"prompt", "owl"}, {"width", 64}, {"height", 64}}},
               {"webhook", {{"url", receiver.url("/hook")}}}};
  try {
    c.submit(task);
    ADD_FAILURE() << "a loopback webhook URL was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
    EXPECT_NE(std::string(e.what()).find("webhook url"), std::string::npos) << e.what();
  }
  task["webhook"] = {{"url", "ftp://example.com/hook"}};
  EXPECT_THROW(c.submit(task), Error);
  task["webhook"] = "https://example.com/hook";
  EXPECT_THROW(c.submit(task), Error);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(receiver.requests().empty());
}

}  // namespace
}  // namespace reel::remote
