// Black-box tests of `reel info` (issue 21): the compute backend comes from the real
// reel-neural process, names the BLAS the dynamic loader picks for it, and a reference
// BLAS (faked through a stand-in reel-neural, so no timing is involved) gets a warning
// naming the Debian package to install.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "reel/core/json.hpp"
#include "reel/neural/compute_backend.hpp"
#include "support/test_dirs.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;
using testing::run_command;

const fs::path kReel = REEL_BINARY_DIR "/bin/reel";
const fs::path kNeural = REEL_BINARY_DIR "/bin/reel-neural";

class Info : public ::testing::Test {
 protected:
  testing::TempDir dir;
  // `env` goes before the command, e.g. "REEL_NEURAL_BIN=/x".
  testing::CommandResult reel(const std::string& env, const std::string& args,
                              bool stderr_only = false) const {
    return run_command("REEL_HOME=" + (dir / "home").string() + " " + env + " " + kReel.string() +
                       " " + args + (stderr_only ? " 2>&1 >/dev/null" : ""));
  }
  // A stand-in reel-neural whose `info --json` reports `backend`.
  fs::path fake_neural(const neural::ComputeBackend& backend) const {
    const fs::path script = dir / "reel-neural";
    std::ofstream(script) << "#!/bin/sh\ncat <<'EOF'\n" << backend.to_json().dump(2) << "\nEOF\n";
    fs::permissions(script, fs::perms::owner_all);
    return script;
  }
};

// What the dynamic loader binds libblas.so.3 to for reel-neural, per ldd, resolved to
// the file (update-alternatives makes it a chain of symlinks).
std::string loader_blas_for(const fs::path& binary) {
  const auto r = run_command("ldd " + binary.string() +
                             " | sed -n 's/.*libblas.so.3 => \\(.*\\) (0x.*/\\1/p'");
  std::string path = r.output.substr(0, r.output.find('\n'));
  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  return ec ? path : real.string();
}

TEST_F(Info, ReportsTheBlasTheNeuralProcessLoaded) {
  ASSERT_TRUE(fs::exists(kNeural)) << "build the reel-neural target";
  const auto r = reel("", "info --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const Json j = Json::parse(r.output);
  EXPECT_EQ(j["reel"]["links_libtorch"], false);
  EXPECT_EQ(fs::canonical(j["reel_neural"].get<std::string>()), fs::canonical(kNeural));
  const Json& blas = j["neural"]["blas"];
  ASSERT_TRUE(blas.is_object()) << r.output;
  const std::string loaded = loader_blas_for(kNeural);
  ASSERT_FALSE(loaded.empty()) << "ldd names no libblas.so.3 for " << kNeural;
  EXPECT_EQ(blas["library"], loaded);
  // scripts/setup installs OpenBLAS; the reference BLAS makes fp32 ~40x slower.
  EXPECT_EQ(blas["kind"], "optimised") << "run scripts/setup: " << blas.dump();
  EXPECT_NE(blas["config"].get<std::string>().find("OpenBLAS"), std::string::npos);
  EXPECT_GT(blas["threads"].get<int>(), 0);
  EXPECT_GT(j["neural"]["torch"]["intra_op_threads"].get<int>(), 0);
  EXPECT_TRUE(j["warnings"].empty()) << j["warnings"].dump();

  const auto text = reel("", "info");
  ASSERT_EQ(text.status, 0);
  EXPECT_NE(text.output.find(loaded), std::string::npos) << text.output;
}

TEST_F(Info, WarnsAndNamesThePackageOnTheReferenceBlas) {
  neural::ComputeBackend b;
  b.blas.library = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3";  // Debian's libblas3
  b.intra_op_threads = 2;
  const std::string env = "REEL_NEURAL_BIN=" + fake_neural(b).string();

  const auto text = reel(env, "info", /*stderr_only=*/true);
  EXPECT_EQ(text.status, 0);
  EXPECT_NE(text.output.find("reel: warning:"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("reference BLAS"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("libopenblas0-openmp"), std::string::npos) << text.output;

  const auto json = reel(env, "info --json");
  ASSERT_EQ(json.status, 0);
  const Json j = Json::parse(json.output);
  EXPECT_EQ(j["neural"]["blas"]["kind"], "reference");
  ASSERT_EQ(j["warnings"].size(), 1u);
  EXPECT_NE(j["warnings"][0].get<std::string>().find("libopenblas0-openmp"), std::string::npos);

  // The same backend with OpenBLAS behind it: no warning.
  b.blas.config = "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64";
  const auto quiet = reel("REEL_NEURAL_BIN=" + fake_neural(b).string(), "info", true);
  EXPECT_EQ(quiet.output.find("warning"), std::string::npos) << quiet.output;
}

TEST_F(Info, SaysPlainlyWhenReelNeuralIsMissing) {
  const std::string env = "REEL_NEURAL_BIN=" + (dir / "no-reel-neural").string();
  const auto text = reel(env, "info");
  EXPECT_EQ(text.status, 0);
  EXPECT_NE(text.output.find("reel-neural not available"), std::string::npos) << text.output;
  const auto json = reel(env, "info --json");
  ASSERT_EQ(json.status, 0);
  const Json j = Json::parse(json.output);
  EXPECT_TRUE(j["neural"].is_null());
  EXPECT_NE(j["neural_error"].get<std::string>().find("not found"), std::string::npos);
}

TEST_F(Info, NeuralCommandsPrintTheBackendLineFirst) {
  ASSERT_TRUE(fs::exists(kNeural)) << "build the reel-neural target";
  // Missing options: refused, but only after the backend line.
  const auto r = reel("", "neural dit-forward", /*stderr_only=*/true);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_EQ(r.output.rfind("backend: BLAS OpenBLAS", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("missing --config"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace reel
