// The compute backend report (issue 21): classification of the BLAS, the warning, the
// JSON reel reads back, and the probe itself checked against what the kernel says this
// process mapped.
#include "reel/neural/compute_backend.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <thread>

#include "reel/core/error.hpp"

namespace reel::neural {
namespace {

constexpr const char* kReference = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3";

TEST(ComputeBackend, ClassifiesTheBlasFromWhatItSaysAndWhereItLives) {
  EXPECT_EQ(classify_blas({}), BlasKind::unknown);
  EXPECT_EQ(classify_blas({.library = kReference}), BlasKind::reference);
  EXPECT_EQ(classify_blas({.library = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
                           .config = "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX"}),
            BlasKind::optimised);
  EXPECT_EQ(classify_blas({.library = "/usr/lib/x86_64-linux-gnu/atlas/libblas.so.3"}),
            BlasKind::optimised);
}

TEST(ComputeBackend, WarnsOnlyOnTheReferenceBlasAndNamesThePackage) {
  ComputeBackend b;
  b.blas.library = kReference;
  auto w = blas_warning(b);
  ASSERT_TRUE(w.has_value());
  EXPECT_NE(w->find(kReference), std::string::npos) << *w;
  EXPECT_NE(w->find("libopenblas0-openmp"), std::string::npos) << *w;
  EXPECT_NE(summary_line(b).find("reference (netlib)"), std::string::npos) << summary_line(b);
  b.blas.config = "OpenBLAS 0.3.21 DYNAMIC_ARCH";
  b.blas.threading = "pthreads";
  b.blas.threads = 2;
  EXPECT_FALSE(blas_warning(b).has_value());
  EXPECT_EQ(summary_line(b).rfind("backend: BLAS OpenBLAS 0.3.21 (pthreads, 2 threads); ", 0), 0u)
      << summary_line(b);
  EXPECT_FALSE(blas_warning(ComputeBackend{}).has_value()) << "no BLAS found is not a warning";
}

TEST(ComputeBackend, JsonRoundTripsAndNamesAMissingKey) {
  ComputeBackend b;
  b.blas = {"/a/libblas.so.3", "/a/libopenblas.so.0", "OpenBLAS 0.3.21", "openmp", 2};
  b.torch_version = "1.13.0";
  b.parallel = "OpenMP";
  b.intra_op_threads = 2;
  b.inter_op_threads = 2;
  b.onednn = true;
  b.onednn_version = "2.7.3";
  b.cpu = parse_cpu_features("model name : X\nflags : avx2 avx512_bf16\n", 2);
  b.cuda_devices = 1;
  const Json j = b.to_json();
  EXPECT_EQ(j["blas"]["kind"], "optimised");
  EXPECT_EQ(j["default_dtype"]["cpu"], "bf16");
  EXPECT_EQ(j["default_dtype"]["cuda"], "fp32");
  EXPECT_EQ(ComputeBackend::from_json(j).to_json(), j);
  Json broken = j;
  broken["blas"].erase("library");
  try {
    ComputeBackend::from_json(broken);
    ADD_FAILURE() << "accepted a report without blas.library";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(e.message().find("blas.library"), std::string::npos) << e.message();
  }
}

// Files this process has mapped, as the kernel names them (real paths).
std::set<std::string> mapped_files() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> files;
  for (std::string line; std::getline(maps, line);) {
    const auto slash = line.find('/');
    if (slash != std::string::npos) files.insert(line.substr(slash));
  }
  return files;
}

TEST(ComputeBackend, ProbeNamesTheBlasThisProcessMapped) {
  const ComputeBackend b = probe_compute_backend();
  const auto files = mapped_files();
  ASSERT_FALSE(b.blas.library.empty()) << "LibTorch is linked: sgemm_ must resolve";
  EXPECT_TRUE(files.count(b.blas.library)) << b.blas.library << " is not mapped";
  // Exactly one libblas is mapped, and it is the one reported.
  int libblas = 0;
  for (const auto& f : files) libblas += f.find("/libblas.so") != std::string::npos;
  EXPECT_EQ(libblas, 1);
  if (!b.blas.implementation.empty()) {
    EXPECT_TRUE(files.count(b.blas.implementation)) << b.blas.implementation;
  }
  if (b.blas.config.rfind("OpenBLAS", 0) == 0) {
    EXPECT_GT(b.blas.threads, 0);
    EXPECT_FALSE(b.blas.threading.empty());
  }
  EXPECT_EQ(b.intra_op_threads, static_cast<int>(std::thread::hardware_concurrency()));
  EXPECT_GT(b.cpu.cores, 0);
  EXPECT_FALSE(b.parallel.empty());
}

}  // namespace
}  // namespace reel::neural
