#include "neural/runtime.hpp"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <thread>

#include "reel/core/error.hpp"

namespace reel::neural {
namespace {

ErrorKind kind_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no reel::Error thrown";
  return ErrorKind::Internal;
}

TEST(NeuralRuntime, ParsesDevices) {
  EXPECT_EQ(parse_device("cpu"), Device::cpu());
  EXPECT_EQ(parse_device("cuda"), Device::cuda(0));
  EXPECT_EQ(parse_device("cuda:3"), Device::cuda(3));
  EXPECT_EQ(to_string(parse_device("cuda:3")), "cuda:3");
  EXPECT_EQ(to_string(Device::cpu()), "cpu");
  for (const char* bad : {"", "gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1x", "CPU", "cuda:99"}) {
    try {
      parse_device(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_NE(e.message().find("allowed: cpu, cuda, cuda:N"), std::string::npos);
    }
  }
}

TEST(NeuralRuntime, ParsesComputeDTypes) {
  EXPECT_EQ(parse_compute_dtype("fp32"), DType::f32);
  EXPECT_EQ(parse_compute_dtype("float32"), DType::f32);
  EXPECT_EQ(parse_compute_dtype("bf16"), DType::bf16);
  EXPECT_EQ(parse_compute_dtype("bfloat16"), DType::bf16);
  EXPECT_EQ(parse_compute_dtype("fp16"), DType::f16);
  EXPECT_EQ(compute_dtype_name(DType::bf16), "bf16");
  EXPECT_EQ(to_scalar_type(DType::f16), at::kHalf);
  EXPECT_EQ(to_scalar_type(DType::bf16), at::kBFloat16);
  EXPECT_EQ(kind_of([] { parse_compute_dtype("int8"); }), ErrorKind::InvalidInput);
  EXPECT_EQ(kind_of([] { compute_dtype_name(DType::i64); }), ErrorKind::InvalidInput);
  EXPECT_EQ(kind_of([] { to_scalar_type(DType::f8_e4m3); }), ErrorKind::InvalidInput);
}

TEST(NeuralRuntime, ThreadsFollowTheCores) {
  init_threads();
  EXPECT_EQ(at::get_num_threads(), static_cast<int>(std::thread::hardware_concurrency()));
}

TEST(NeuralRuntime, CudaWithoutCudaIsAClearError) {
  EXPECT_EQ(to_torch(Device::cpu()), c10::Device(c10::kCPU));
  if (at::hasCUDA()) {
    EXPECT_EQ(kind_of([] { to_torch(Device::cuda(63)); }), ErrorKind::InvalidInput);
  } else {
    try {
      to_torch(Device::cuda(0));
      ADD_FAILURE() << "cuda accepted without CUDA";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
      EXPECT_NE(e.message().find("--device cpu"), std::string::npos);
    }
  }
}

TEST(NeuralRuntime, KnowsAvailableCpuMemory) {
  auto bytes = available_bytes(Device::cpu());
  ASSERT_TRUE(bytes.has_value());
  EXPECT_GT(*bytes, 64ull << 20);
}

TEST(NeuralRuntime, RefusesWhatDoesNotFit) {
  try {
    check_fits("loading a huge model", Device::cpu(), 1ull << 60);
    FAIL() << "accepted 1 EiB";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory);
    EXPECT_NE(e.message().find("1152921504606846976 bytes"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("available"), std::string::npos);
  }
  EXPECT_NO_THROW(check_fits("a small tensor", Device::cpu(), 1024));
}

TEST(NeuralRuntime, AllocatorFailureBecomesOutOfMemory) {
  // A real failed allocation from ATen's CPU allocator, not a simulated one.
  const std::int64_t elements = std::int64_t{1} << 46;  // 256 TiB of floats
  try {
    guard_memory("allocating a test tensor", Device::cpu(), std::nullopt,
                 [&] { return at::empty({elements}, at::kFloat); });
    FAIL() << "a 256 TiB allocation succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory);
    EXPECT_NE(e.message().find(std::to_string(elements * 4) + " bytes"), std::string::npos)
        << e.message();
    EXPECT_NE(e.message().find("allocating a test tensor"), std::string::npos);
  }
}

TEST(NeuralRuntime, ParsesAllocatorMessages) {
  EXPECT_EQ(parse_allocation_bytes("DefaultCPUAllocator: can't allocate memory: you tried to "
                                   "allocate 4096 bytes."),
            4096u);
  EXPECT_FALSE(parse_allocation_bytes("Tried to allocate 2.00 GiB").has_value());
  EXPECT_FALSE(parse_allocation_bytes("allocate 12").has_value());
  EXPECT_EQ(format_bytes(3ull << 30), "3.00 GiB (3221225472 bytes)");
}

}  // namespace
}  // namespace reel::neural
