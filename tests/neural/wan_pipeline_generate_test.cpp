// `reel-neural generate` end to end on tiny checkpoint folders (tests/reference/
// make_wan_folder.py), against the independent Python pipeline (tests/reference/
// wan_pipeline.py): the float video before quantisation, the uint8 frames, and a
// perturbed reference for every piece of glue the pipeline adds.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "reel/media/ops.hpp"
#include "reel/media/png.hpp"
#include "reel/neural/cpu_features.hpp"
#include "reference_case.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

namespace fs = std::filesystem;
using reference::quote;

// Float video: everything is fp32 with the same operation order up to BLAS blocking.
constexpr double kVideoTolerance = 1e-4;

fs::path script(const std::string& name) {
  return fs::path(REEL_SOURCE_DIR) / "tests" / "reference" / name;
}

struct GenerateRun {
  int status = -1;
  std::string output;       // stdout (+ stderr when merged)
  std::vector<Json> lines;  // stdout's JSON lines
};

GenerateRun generate(const fs::path& folder, const fs::path& request, const fs::path& out,
                     const std::string& extra = "--debug-float", bool merge_stderr = false) {
  const std::string cmd = quote(reference::reel_neural()) + " generate --folder " + quote(folder) +
                          " --request " + quote(request) + " --out " + quote(out) + " " + extra +
                          (merge_stderr ? "" : " 2>/dev/null");
  auto r = reel::testing::run_command(cmd, merge_stderr);
  GenerateRun run{r.status, r.output, {}};
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] == '{') run.lines.push_back(Json::parse(line));
  return run;
}

std::vector<std::uint8_t> u8_tensor(const fs::path& file, const std::string& name,
                                    std::vector<std::int64_t>* shape = nullptr) {
  const auto f = SafetensorsFile::open(file);
  const TensorInfo* t = f.find(name);
  if (t == nullptr || t->dtype != DType::u8) {
    ADD_FAILURE() << file << " has no U8 tensor " << name;
    return {};
  }
  if (shape) *shape = t->shape;
  const auto bytes = f.data(*t);
  return {bytes.begin(), bytes.end()};
}

class WanGenerate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new reel::testing::TempDir;
    for (const char* kind : {"t2v", "ti2v"}) {
      const std::string cmd = reference::python() + " " + quote(script("make_wan_folder.py")) +
                              " --kind " + kind + " --out " + quote(*dir_ / kind);
      const auto r = reel::testing::run_command(cmd, true);
      ASSERT_EQ(r.status, 0) << cmd << "\n" << r.output;
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path folder(const std::string& kind) { return *dir_ / kind; }

  fs::path write_request(const std::string& name, const Json& request) {
    const fs::path p = tmp_ / name;
    write_file_atomic(p, std::string_view(request.dump()));
    return p;
  }

  // reel's run and the reference's for one request; checks parity and that every
  // perturbation of the reference is far outside the tolerance.
  void expect_parity(const std::string& kind, const Json& request) {
    SCOPED_TRACE(request.dump());
    const fs::path req = write_request("req.json", request);
    const fs::path out = tmp_ / "out.safetensors", expected = tmp_ / "expected.safetensors";
    const std::string cmd = reference::python() + " " + quote(script("wan_pipeline.py")) +
                            " --folder " + quote(folder(kind)) + " --request " + quote(req) +
                            " --out " + quote(expected) + " --perturbed";
    const auto ref = reel::testing::run_command(cmd, true);
    ASSERT_EQ(ref.status, 0) << cmd << "\n" << ref.output;
    // The reference computes in fp32; the CPU default may be bf16 (docs/neural.md).
    const GenerateRun run = generate(folder(kind), req, out, "--debug-float --dtype fp32", true);
    ASSERT_EQ(run.status, 0) << run.output;

    const auto video = reference::load(out, "video");
    const auto want = reference::load(expected, "video");
    const double diff = reference::max_abs_diff(video, want);
    EXPECT_LE(diff, kVideoTolerance);
    EXPECT_GT(reference::max_abs(want), 0.1);  // a real picture, not a constant

    std::vector<std::int64_t> shape;
    const auto frames = u8_tensor(out, "frames", &shape);
    const auto want_frames = reference::load(expected, "frames");
    EXPECT_EQ(shape, want_frames.shape);
    ASSERT_EQ(frames.size(), want_frames.values.size());
    int worst = 0;
    std::size_t off = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const int d = std::abs(int(frames[i]) - int(want_frames.values[i]));
      worst = std::max(worst, d);
      off += d != 0;
    }
    EXPECT_LE(worst, 1);
    // Only values within ~1e-4 of a rounding boundary may differ (truncating instead of
    // rounding would move about half of them).
    EXPECT_LE(off, frames.size() / 200) << off << " of " << frames.size() << " values differ";

    const auto perturbed = reference::names_with_prefix(expected, "perturbed.");
    EXPECT_GE(perturbed.size(), 5u);
    for (const auto& name : perturbed) {
      const double d = reference::max_abs_diff(video, reference::load(expected, name));
      EXPECT_GT(d, 100 * kVideoTolerance) << name << " is indistinguishable from reel's run";
    }
    std::printf(
        "[ figures ] %s %s: max |video - reference| %.3g, frames within %d level(s), "
        "total %.3f s\n",
        kind.c_str(), request.value("task", "t2v").c_str(), diff, worst,
        run.lines.empty() ? -1.0 : run.lines.back().value("total_seconds", -1.0));
    last_run_ = run;
  }

  static reel::testing::TempDir* dir_;
  reel::testing::TempDir tmp_;
  GenerateRun last_run_;
};
reel::testing::TempDir* WanGenerate::dir_ = nullptr;

// Short enough that the prompt's tokens do not fill text_len (so the cut is visible),
// with an entity and whitespace for the cleaning to change.
const char* const kPrompt = "  A red fox &amp; a cat\n  run. ";

TEST_F(WanGenerate, TextToVideoEqualsTheReference) {
  expect_parity("t2v", {{"task", "t2v"},
                        {"prompt", kPrompt},
                        {"width", 48},
                        {"height", 32},
                        {"frames", 5},
                        {"steps", 4},
                        {"seed", 7}});
  // Progress: increasing fractions, one line per DiT step, then the done line.
  const auto& lines = last_run_.lines;
  ASSERT_GE(lines.size(), 6u);
  double last = -1;
  int steps = 0;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    const double p = lines[i].at("progress").get<double>();
    EXPECT_GE(p, last);
    last = p;
    if (lines[i].at("message").get<std::string>().rfind("step ", 0) == 0) ++steps;
  }
  EXPECT_EQ(steps, 4);
  const Json& done = lines.back();
  EXPECT_TRUE(done.value("done", false));
  for (const char* key : {"t5_seconds", "dit_seconds", "vae_seconds", "total_seconds"})
    EXPECT_GE(done.value(key, -1.0), 0.0) << key;
  EXPECT_EQ(done.value("dit_steps", 0), 4);
  EXPECT_EQ(done.value("device", ""), "cpu");
  EXPECT_EQ(done.value("dtype", ""), "fp32");
  const auto meta = SafetensorsFile::open(tmp_ / "out.safetensors").metadata();
  for (const char* key : {"t5_seconds", "dit_seconds", "dit_steps", "vae_seconds", "total_seconds",
                          "device", "dtype"})
    EXPECT_TRUE(meta.contains(key)) << key;
}

TEST_F(WanGenerate, TextToImageEqualsTheReference) {
  expect_parity("t2v", {{"task", "t2i"},
                        {"prompt", kPrompt},
                        {"width", 32},
                        {"height", 48},
                        {"steps", 3},
                        {"sampler", "euler"},
                        {"guidance", 4.0},
                        {"seed", 3}});
  std::vector<std::int64_t> shape;
  u8_tensor(tmp_ / "out.safetensors", "frames", &shape);
  EXPECT_EQ(shape, (std::vector<std::int64_t>{1, 48, 32, 3}));
}

TEST_F(WanGenerate, TI2VTextToVideoEqualsTheReference) {
  expect_parity("ti2v", {{"task", "t2v"},
                         {"prompt", kPrompt},
                         {"width", 64},
                         {"height", 32},
                         {"frames", 5},
                         {"steps", 3},
                         {"seed", 11}});
}

TEST_F(WanGenerate, TI2VImageToVideoEqualsTheReferenceAndKeepsTheFirstFrame) {
  // A smooth colour ramp: what a tiny random VAE can carry through its round trip.
  media::Image image(64, 32);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 64; ++x) {
      auto* p = image.u8_pixel(x, y);
      p[0] = static_cast<std::uint8_t>(60 + 2 * x);
      p[1] = static_cast<std::uint8_t>(200 - 3 * y);
      p[2] = 128;
      p[3] = 255;
    }
  media::write_png(tmp_ / "first.png", image);
  expect_parity("ti2v", {{"task", "i2v"},
                         {"prompt", kPrompt},
                         {"image", "first.png"},
                         {"width", 64},
                         {"height", 32},
                         {"frames", 5},
                         {"steps", 3},
                         {"seed", 5}});

  // The causal VAE decoder makes frame 0 from latent frame 0 alone, and the sampler keeps
  // latent frame 0 at the image's latent: frame 0 is the VAE round trip of the image.
  const auto video = reference::load(tmp_ / "out.safetensors", "video");  // [3, 5, 32, 64]
  const auto roundtrip = reference::load(tmp_ / "expected.safetensors", "first_frame_roundtrip");
  ASSERT_EQ(roundtrip.shape, (std::vector<std::int64_t>{3, 32, 64}));
  double worst = 0;
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 32 * 64; ++i)
      worst = std::max(worst, std::fabs(double(video.values[(c * 5) * 32 * 64 + i]) -
                                        roundtrip.values[c * 32 * 64 + i]));
  EXPECT_LE(worst, kVideoTolerance);

  // PSNR of frame 0 against the input image. With random tiny weights this measures the
  // tiny VAE's round trip, not a trained model's fidelity; a t2v run of the same seed
  // is printed beside it for scale.
  std::vector<std::int64_t> shape;
  const auto frames = u8_tensor(tmp_ / "out.safetensors", "frames", &shape);
  ASSERT_EQ(shape, (std::vector<std::int64_t>{5, 32, 64, 3}));
  const auto frame0 = [](const std::vector<std::uint8_t>& f) {
    media::Image im(64, 32);
    for (int i = 0; i < 64 * 32; ++i) {
      for (int c = 0; c < 3; ++c) im.u8()[i * 4 + c] = f[static_cast<std::size_t>(i) * 3 + c];
      im.u8()[i * 4 + 3] = 255;
    }
    return im;
  };
  const double with_image = media::psnr(frame0(frames), image);
  const fs::path req = write_request("t2v.json", {{"task", "t2v"},
                                                  {"prompt", kPrompt},
                                                  {"width", 64},
                                                  {"height", 32},
                                                  {"frames", 5},
                                                  {"steps", 3},
                                                  {"seed", 5}});
  ASSERT_EQ(generate(folder("ti2v"), req, tmp_ / "t2v.safetensors", "").status, 0);
  const double without = media::psnr(frame0(u8_tensor(tmp_ / "t2v.safetensors", "frames")), image);
  std::printf(
      "[ figures ] i2v frame 0 vs the input image: PSNR %.2f dB (t2v, same seed: %.2f dB); "
      "frame 0 vs the reference VAE round trip: max diff %.3g\n",
      with_image, without, worst);
}

TEST_F(WanGenerate, DefaultDtypeFollowsTheCpuAndKeepsTheVaeInFp32) {
  const fs::path req = write_request("d.json", {{"prompt", kPrompt},
                                                {"width", 48},
                                                {"height", 32},
                                                {"frames", 5},
                                                {"steps", 2},
                                                {"seed", 3}});
  ASSERT_EQ(generate(folder("t2v"), req, tmp_ / "d.safetensors", "").status, 0);
  const auto meta = SafetensorsFile::open(tmp_ / "d.safetensors").metadata();
  EXPECT_EQ(meta.value("dtype", ""), cpu_features().native_bf16() ? "bf16" : "fp32");
  EXPECT_EQ(meta.value("vae_dtype", ""), "fp32");
  ASSERT_EQ(generate(folder("t2v"), req, tmp_ / "e.safetensors", "--dtype bf16").status, 0);
  EXPECT_EQ(SafetensorsFile::open(tmp_ / "e.safetensors").metadata().value("vae_dtype", ""),
            "bf16");
}

TEST_F(WanGenerate, SameSeedSameBytesOtherSeedOtherVideo) {
  Json request = {{"prompt", kPrompt}, {"width", 48}, {"height", 32},
                  {"frames", 5},       {"steps", 3},  {"seed", 123}};
  const fs::path req = write_request("a.json", request);
  ASSERT_EQ(generate(folder("t2v"), req, tmp_ / "a1.safetensors", "").status, 0);
  ASSERT_EQ(generate(folder("t2v"), req, tmp_ / "a2.safetensors", "").status, 0);
  const auto a1 = u8_tensor(tmp_ / "a1.safetensors", "frames");
  EXPECT_EQ(a1, u8_tensor(tmp_ / "a2.safetensors", "frames"));
  // Block offload moves weights, not numerics; a tiled decode keeps the shape.
  ASSERT_EQ(generate(folder("t2v"), req, tmp_ / "a3.safetensors", "--offload").status, 0);
  EXPECT_EQ(a1, u8_tensor(tmp_ / "a3.safetensors", "frames"));
  ASSERT_EQ(generate(folder("t2v"), req, tmp_ / "a4.safetensors", "--tile 32 --overlap 16").status,
            0);
  EXPECT_EQ(a1.size(), u8_tensor(tmp_ / "a4.safetensors", "frames").size());
  request["seed"] = 124;
  ASSERT_EQ(
      generate(folder("t2v"), write_request("b.json", request), tmp_ / "b.safetensors", "").status,
      0);
  const auto b = u8_tensor(tmp_ / "b.safetensors", "frames");
  ASSERT_EQ(a1.size(), b.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < b.size(); ++i) differ += a1[i] != b[i];
  EXPECT_GT(differ, b.size() / 2);
}

TEST_F(WanGenerate, SigtermStopsPromptlyAndWritesNothing) {
  // Two runs still sampling after two seconds: tiny steps (the loop sees the cancelled
  // token before its next step) and 512×512×41 steps of several seconds each (the stage
  // is abandoned after the 0.5 s grace).
  const Json tiny = {{"prompt", kPrompt}, {"width", 48},   {"height", 32},
                     {"frames", 5},       {"steps", 1000}, {"seed", 1}};
  Json large = tiny;
  large["width"] = 512;
  large["height"] = 512;
  large["frames"] = 41;
  for (const Json& request : {tiny, large}) {
    SCOPED_TRACE(request.dump());
    const fs::path req = write_request("long.json", request);
    const fs::path out = tmp_ / "never.safetensors";
    const std::string cmd = "( " + quote(reference::reel_neural()) + " generate --folder " +
                            quote(folder("t2v")) + " --request " + quote(req) + " --out " +
                            quote(out) +
                            " > /dev/null 2>&1 & pid=$!; sleep 2; kill -TERM $pid; "
                            "start=$(date +%s%N); wait $pid; rc=$?; end=$(date +%s%N); "
                            "echo rc=$rc ms=$(( (end - start) / 1000000 )) )";
    const auto r = reel::testing::run_command(cmd, true);
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("rc=130"), std::string::npos) << r.output;
    ASSERT_NE(r.output.find("ms="), std::string::npos) << r.output;
    const auto ms = std::stol(r.output.substr(r.output.find("ms=") + 3));
    std::printf("[ figures ] SIGTERM → exit in %ld ms\n", ms);
    EXPECT_LT(ms, 2000) << r.output;
    EXPECT_FALSE(fs::exists(out));
    for (const auto& e : fs::directory_iterator(tmp_.path()))
      EXPECT_EQ(e.path().filename().string().find("never"), std::string::npos) << e.path();
  }
}

TEST_F(WanGenerate, MissingFolderFileAndBadRequestAreClearErrors) {
  // A copy of the folder without its VAE.
  const fs::path broken = tmp_ / "broken";
  fs::copy(folder("ti2v"), broken, fs::copy_options::recursive);
  fs::remove(broken / "Wan2.2_VAE.pth");
  const fs::path req = write_request(
      "r.json", {{"prompt", "x"}, {"width", 64}, {"height", 32}, {"frames", 5}, {"steps", 1}});
  GenerateRun run = generate(broken, req, tmp_ / "o.safetensors", "", true);
  EXPECT_EQ(run.status, exit_code(ErrorKind::NotFound)) << run.output;
  EXPECT_NE(run.output.find((broken / "Wan2.2_VAE.pth").string()), std::string::npos) << run.output;
  EXPECT_FALSE(fs::exists(tmp_ / "o.safetensors"));

  run = generate(
      folder("ti2v"),
      write_request("w.json",
                    {{"prompt", "x"}, {"width", 48}, {"height", 32}, {"frames", 5}, {"steps", 1}}),
      tmp_ / "o.safetensors", "", true);
  EXPECT_EQ(run.status, exit_code(ErrorKind::InvalidInput)) << run.output;
  EXPECT_NE(run.output.find("multiple of 32"), std::string::npos) << run.output;
  EXPECT_FALSE(fs::exists(tmp_ / "o.safetensors"));

  // A first frame that is not an image fails before any model loads (no progress line).
  write_file_atomic(tmp_ / "not.png", std::string_view("not a png"));
  run = generate(folder("ti2v"),
                 write_request("i.json", {{"task", "i2v"},
                                          {"prompt", "x"},
                                          {"image", "not.png"},
                                          {"width", 64},
                                          {"height", 32},
                                          {"frames", 5},
                                          {"steps", 1}}),
                 tmp_ / "o.safetensors", "", true);
  EXPECT_EQ(run.status, exit_code(ErrorKind::InvalidInput)) << run.output;
  EXPECT_NE(run.output.find("not.png"), std::string::npos) << run.output;
  EXPECT_TRUE(run.lines.empty()) << run.output;
  EXPECT_FALSE(fs::exists(tmp_ / "o.safetensors"));
}

}  // namespace
}  // namespace reel::neural
