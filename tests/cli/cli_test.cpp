// Black-box tests of the real `reel` binary: exit codes, one-line errors, outputs,
// the cache across runs, and hostile input.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "reel/core/atomic_file.hpp"
#include "reel/core/json.hpp"
#include "support/test_dirs.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;
using testing::run_command;

class Cli : public ::testing::Test {
 protected:
  testing::TempDir dir;
  std::string reel_cmd() const {
    return "REEL_HOME=" + (dir / "home").string() + " " REEL_BINARY_DIR "/bin/reel";
  }
  testing::CommandResult reel(const std::string& args, bool merge = false) const {
    return run_command("cd " + dir.path().string() + " && " + reel_cmd() + " " + args, merge);
  }
  testing::CommandResult reel_stderr(const std::string& args) const {
    return run_command("cd " + dir.path().string() + " && " + reel_cmd() + " " + args +
                       " 2>&1 >/dev/null");
  }
  void write(const std::string& name, const std::string& text) const {
    write_file_atomic(dir / name, std::string_view(text));
  }
  int count_lines(const std::string& s) const {
    return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
  }
};

// A small, fast version of the demo film.
constexpr const char* kSmallFilm = R"(reel: 1
name: small
seed: 3
output: film
steps:
  - id: character
    task: text_to_image
    model: studio-character
    params: {prompt: "astronaut, white suit", width: 320, height: 180}
  - id: environment
    task: text_to_image
    model: studio-environment
    params: {prompt: "surface of Mars, dust storm in distance", width: 320, height: 180}
  - id: film
    task: image_to_video
    model: studio-animator
    inputs: {image: character, background: environment}
    params: {motion: "subtle head turn", duration: 1, fps: 12, width: 320, height: 180}
)";

TEST_F(Cli, RunWritesAVideoItsCostReportAndReusesTheCache) {
  write("film.yaml", kSmallFilm);
  auto r1 = reel("run film.yaml --out out/film.mp4 --json --quiet");
  ASSERT_EQ(r1.status, 0) << r1.output;
  Json j1 = Json::parse(r1.output);
  EXPECT_EQ(j1["executed"], 3);
  EXPECT_EQ(j1["cached"], 0);
  ASSERT_TRUE(fs::exists(dir / "out/film.mp4"));
  ASSERT_TRUE(fs::exists(dir / "out/film.cost.json"));
  // The summary's wall time is the cost report's (writing and signing is counted apart).
  EXPECT_DOUBLE_EQ(
      j1["wall_seconds"].get<double>(),
      Json::parse(read_file(dir / "out/film.cost.json"))["totals"]["wall_seconds"].get<double>());
  EXPECT_GE(j1["save_seconds"].get<double>(), 0.0);

  auto probe = run_command(
      "ffprobe -v error -count_frames -show_entries "
      "stream=width,height,nb_read_frames,codec_name -of json " +
      (dir / "out/film.mp4").string());
  Json p = Json::parse(probe.output)["streams"][0];
  EXPECT_EQ(p["width"], 320);
  EXPECT_EQ(p["height"], 180);
  EXPECT_EQ(p["nb_read_frames"], "12");
  EXPECT_EQ(p["codec_name"], "h264");

  Json cost = Json::parse(read_file(dir / "out/film.cost.json"));
  EXPECT_EQ(cost["steps"].size(), 3u);
  EXPECT_NEAR(cost["video_seconds"].get<double>(), 1.0, 1e-9);
  EXPECT_GT(cost["usd_per_10s_clip"].get<double>(), 0.0);
  EXPECT_EQ(cost["comparison"]["usd_per_10s_clip"], 1.30);

  auto r2 = reel("run film.yaml --out out/film2.mp4 --json --quiet");
  ASSERT_EQ(r2.status, 0) << r2.output;
  Json j2 = Json::parse(r2.output);
  EXPECT_EQ(j2["executed"], 0);
  EXPECT_EQ(j2["cached"], 3);

  auto r3 =
      reel("run film.yaml --out out/film3.mp4 --json --quiet --set 'film.motion=slow pan left'");
  ASSERT_EQ(r3.status, 0) << r3.output;
  Json j3 = Json::parse(r3.output);
  EXPECT_EQ(j3["executed"], 1);
  EXPECT_EQ(j3["cached"], 2);
  for (auto& s : j3["cost"]["steps"])
    EXPECT_EQ(s["cached"].get<bool>(), s["step"] != "film") << s.dump();
  EXPECT_GT(j3["cost"]["totals"]["saved_usd"].get<double>(), 0.0);

  auto c = reel("cost out/film3.mp4");
  EXPECT_EQ(c.status, 0);
  EXPECT_NE(c.output.find("cached, saved"), std::string::npos) << c.output;
}

TEST_F(Cli, DryRunEstimatesAndWritesNothing) {
  write("film.yaml", kSmallFilm);
  auto r = reel("run film.yaml --dry-run --json");
  ASSERT_EQ(r.status, 0) << r.output;
  Json j = Json::parse(r.output);
  EXPECT_EQ(j["steps"].size(), 3u);
  EXPECT_GT(j["estimated_usd"].get<double>(), 0.0);
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST_F(Cli, ModelsListsDeclarations) {
  auto r = reel("models --json");
  ASSERT_EQ(r.status, 0);
  Json j = Json::parse(r.output);
  std::set<std::string> ids;
  for (auto& m : j) {
    ids.insert(m["id"]);
    const std::string id = m["id"];
    const bool wan = id.rfind("wan", 0) == 0;
    const auto colon = id.find(':');
    // Studio models are procedural; Wan-AI does not disclose Wan's training data, nor do
    // the hosted providers (whose terms are their licence) — except the licensed-data ones,
    // Bria and Adobe Firefly, which publish that theirs is licensed.
    const std::string provider = colon == std::string::npos ? "" : id.substr(0, colon);
    EXPECT_EQ(m["training_data"], provider == "bria" || provider == "firefly" ? "licensed"
                                  : wan || colon != std::string::npos         ? "undisclosed"
                                                                              : "synthetic")
        << m.dump();
    EXPECT_EQ(m["licence"], colon == std::string::npos
                                ? "Apache-2.0"
                                : "LicenseRef-" + id.substr(0, colon) + "-terms");
  }
  EXPECT_TRUE(ids.count("studio-character") && ids.count("studio-environment") &&
              ids.count("studio-animator"));
  EXPECT_TRUE(ids.count("wan2.1-t2v-1.3b") && ids.count("wan2.1-t2v-14b") &&
              ids.count("wan2.2-ti2v-5b"));
}

struct BadCase {
  const char* name;
  std::string yaml;
  int exit_code;
  const char* message_part;
};

TEST_F(Cli, HostileAndInvalidPipelinesGiveOneClearLineAndNoOutput) {
  std::string huge_prompt(10 * 1024 * 1024, 'a');
  std::vector<BadCase> cases = {
      {"malformed", "reel: 1\nsteps: [\n  - id: x\n", 2, "malformed.yaml:"},
      {"cycle",
       "reel: 1\nsteps:\n  - {id: a, task: composite, inputs: {foreground: b, background: b}}\n"
       "  - {id: b, task: composite, inputs: {foreground: a, background: a}}\n",
       2, "cycle"},
      {"unknown_model",
       "reel: 1\nsteps:\n  - {id: a, task: text_to_image, model: nope, params: {prompt: x}}\n", 4,
       "nope"},
      {"huge_size",
       "reel: 1\nsteps:\n  - {id: a, task: text_to_image, model: studio-environment, "
       "params: {prompt: mars, width: 100000, height: 100000}}\n",
       2, "7680"},
      {"zero_size",
       "reel: 1\nsteps:\n  - {id: a, task: text_to_image, model: studio-environment, "
       "params: {prompt: mars, width: 0, height: 0}}\n",
       2, "16"},
      {"huge_prompt",
       "reel: 1\nsteps:\n  - {id: a, task: text_to_image, model: studio-environment, "
       "params: {prompt: \"" +
           std::string(100000, 'a') + "\"}}\n",
       2, "at most"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    write(std::string(c.name) + ".yaml", c.yaml);
    auto r = reel_stderr(std::string("run ") + c.name + ".yaml --out out/" + c.name + ".mp4");
    EXPECT_EQ(r.status, c.exit_code) << r.output;
    EXPECT_EQ(count_lines(r.output), 1) << r.output;
    EXPECT_NE(r.output.find("reel: error:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(c.message_part), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "out" / (std::string(c.name) + ".mp4")));
  }
  // A 10 MB pipeline file is refused as a file, before parsing.
  write("huge.yaml", "# " + huge_prompt);
  auto r = reel_stderr("run huge.yaml");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_EQ(count_lines(r.output), 1);
}

TEST_F(Cli, JsonErrorsAndUnknownCommands) {
  auto r = reel_stderr("run missing.yaml --json");
  EXPECT_EQ(r.status, 4);
  Json j = Json::parse(r.output);
  EXPECT_EQ(j["error"]["kind"], "NotFound");
  auto u = reel_stderr("frobnicate");
  EXPECT_EQ(u.status, 2);
  EXPECT_NE(u.output.find("commands:"), std::string::npos);
  auto o = reel_stderr("models --bogus");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.output.find("allowed: --json"), std::string::npos) << o.output;
}

TEST_F(Cli, ProbeRefusesCorruptFilesWithoutCrashing) {
  write("trunc.mp4", std::string("\0\0\0\x20"
                                 "ftypisom",
                                 12) +
                         std::string(100, 'x'));
  auto r = reel_stderr("probe trunc.mp4");
  EXPECT_GT(r.status, 0);
  EXPECT_LT(r.status, 100) << "crashed: " << r.output;
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
  write("bad.png", std::string("\x89PNG\r\n\x1a\n", 8) + "garbage");
  auto p = reel_stderr("probe bad.png");
  EXPECT_EQ(p.status, 2) << p.output;
}

// A note that names a setting names it in the form the command line accepts.
TEST_F(Cli, TheAmbientWeatherNoteNamesASettingThatWorks) {
  write("film.yaml", kSmallFilm);  // a dust storm behind the character
  auto first = reel("run film.yaml --out out/a.mp4 --json --quiet");
  ASSERT_EQ(first.status, 0) << first.output;
  const std::string notes = Json::parse(first.output)["notes"].dump();
  const std::string hint = "--set STEP.extra.ambient_weather=false";
  ASSERT_NE(notes.find(hint), std::string::npos) << notes;
  auto second =
      reel("run film.yaml --out out/b.mp4 --json --quiet --set film.extra.ambient_weather=false");
  ASSERT_EQ(second.status, 0) << second.output;
  EXPECT_EQ(Json::parse(second.output)["notes"].dump().find("ambient_weather"), std::string::npos)
      << second.output;
}

// The offline models refuse what they cannot draw, as bad input, and say where to go;
// the substitute setting the message names works in the form it names.
TEST_F(Cli, AStudioSubjectItCannotDrawIsBadInputUnlessSubstituting) {
  write("film.yaml", kSmallFilm);
  const std::string perfume = " --set 'character.prompt=product shot of a perfume bottle'";
  auto refused = reel_stderr("run film.yaml --out out/p.mp4" + perfume);
  EXPECT_EQ(refused.status, 2) << refused.output;
  // Refused before any step starts, on one line.
  EXPECT_EQ(count_lines(refused.output), 1) << refused.output;
  for (const char* part : {"step 'character' (studio-character)", "perfume", "docs/studio.md",
                           "reel models", "--set STEP.extra.substitute=true"})
    EXPECT_NE(refused.output.find(part), std::string::npos) << part << ": " << refused.output;
  EXPECT_FALSE(fs::exists(dir / "out" / "p.mp4"));
  auto dry = reel_stderr("run film.yaml --dry-run" + perfume);
  EXPECT_EQ(dry.status, 2) << dry.output;
  EXPECT_NE(dry.output.find("perfume"), std::string::npos) << dry.output;

  auto drawn = reel("run film.yaml --out out/p.mp4 --json --quiet" + perfume +
                    " --set character.extra.substitute=true");
  ASSERT_EQ(drawn.status, 0) << drawn.output;
  EXPECT_TRUE(fs::exists(dir / "out" / "p.mp4"));
  const std::string notes = Json::parse(drawn.output)["notes"].dump();
  EXPECT_NE(notes.find("closest match used: astronaut"), std::string::npos) << notes;
}

TEST_F(Cli, CacheLsAndClear) {
  write("still.yaml",
        "reel: 1\nname: still\nsteps:\n  - {id: a, task: text_to_image, model: studio-environment, "
        "params: {prompt: forest, width: 64, height: 64}}\n");
  auto quiet = reel("run still.yaml --out out/still.png --quiet");
  ASSERT_EQ(quiet.status, 0);
  EXPECT_TRUE(fs::exists(dir / "out/still.png"));
  // --quiet: one line naming the output, no cost table (the report is in the file).
  EXPECT_EQ(quiet.output.rfind("wrote ", 0), 0u) << quiet.output;
  EXPECT_EQ(std::count(quiet.output.begin(), quiet.output.end(), '\n'), 1) << quiet.output;
  auto ls = reel("cache ls --json");
  EXPECT_EQ(Json::parse(ls.output).size(), 1u);
  // Sizes with units, as the README writes them; a budget larger than the store keeps it.
  auto keep = reel("cache gc --max-bytes 50MB --json");
  ASSERT_EQ(keep.status, 0) << keep.output;
  EXPECT_EQ(Json::parse(keep.output)["removed"], 0);
  auto bad = reel_stderr("cache gc --max-bytes 50XB");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.output.find("KiB"), std::string::npos) << bad.output;
  auto tiny = reel("cache gc --max-bytes 1KiB --json");
  ASSERT_EQ(tiny.status, 0) << tiny.output;
  EXPECT_EQ(Json::parse(tiny.output)["removed"], 1);  // a 64x64 PNG + meta is over 1 KiB
  ASSERT_EQ(reel("run still.yaml --out out/still.png --quiet").status, 0);
  auto clear = reel("cache clear --json");
  EXPECT_EQ(Json::parse(clear.output)["removed"], 1);
  EXPECT_EQ(Json::parse(reel("cache ls --json").output).size(), 0u);
}

}  // namespace
}  // namespace reel

namespace reel {
namespace {

TEST_F(Cli, SignedOutputsVerifyAndTamperingIsCaught) {
  write("still.yaml",
        "reel: 1\nname: still\nsteps:\n  - {id: a, task: text_to_image, model: studio-environment, "
        "params: {prompt: forest, width: 64, height: 64}}\n");
  auto keys = reel("keys init --json");
  ASSERT_EQ(keys.status, 0) << keys.output;
  const std::string root = Json::parse(keys.output)["root_ca"];
  // The private key is never printed.
  EXPECT_EQ(reel("keys init").output.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(fs::status(dir / "home/keys/signing_key.pem").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  auto run = reel(
      "run still.yaml --out o.png --policy commercial-safe "
      "--training-mining allowed --quiet");
  ASSERT_EQ(run.status, 0) << run.output;
  auto v = reel("verify o.png --json --trust " + root);
  EXPECT_EQ(v.status, 0) << v.output;
  Json j = Json::parse(v.output);
  EXPECT_TRUE(j["valid"].get<bool>());
  EXPECT_TRUE(j["trusted"].get<bool>());
  EXPECT_NE(j["training_mining"].dump().find("allowed"), std::string::npos) << j["training_mining"];
  EXPECT_NE(j["models"].dump().find("studio-environment"), std::string::npos);

  // One byte of the pixels changed: invalid, exit code 10.
  std::string bytes = read_file(dir / "o.png");
  bytes[bytes.size() - 20] ^= 0x01;
  write("o.png", bytes);
  auto bad = reel("verify o.png --json --trust " + root);
  EXPECT_EQ(bad.status, 10) << bad.output;
  EXPECT_FALSE(Json::parse(bad.output)["valid"].get<bool>());

  // --no-sign says so, and the file then has no credentials.
  auto unsigned_run = reel("run still.yaml --out u.png --no-sign --json --quiet");
  ASSERT_EQ(unsigned_run.status, 0);
  EXPECT_NE(Json::parse(unsigned_run.output)["notes"].dump().find("--no-sign"), std::string::npos);
  // Unsigned is said as such (exit 11), not called INVALID like the tampered file above.
  auto none = reel("verify u.png");
  EXPECT_EQ(none.status, 11) << none.output;
  EXPECT_NE(none.output.find("no Content Credentials"), std::string::npos) << none.output;
  EXPECT_EQ(none.output.find("INVALID"), std::string::npos) << none.output;
  EXPECT_EQ(Json::parse(reel("verify u.png --json").output)["credentials"], false);
  EXPECT_EQ(Json::parse(bad.output)["credentials"], true);
  EXPECT_EQ(reel_stderr("run still.yaml --out x.png --training-mining maybe").status, 2);
}

}  // namespace
}  // namespace reel
