#include "reel/neural/safetensors.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "neural/io/float_bits.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

using reel::testing::TempDir;

std::vector<std::uint8_t> iota_bytes(std::size_t n, std::uint8_t start = 1) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(start + i * 7);
  return v;
}

// A file built by hand: 8-byte length, header text, data.
std::vector<std::uint8_t> raw_file(std::uint64_t header_len, const std::string& header,
                                   std::size_t data_bytes) {
  std::vector<std::uint8_t> out(8);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(header_len >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + data_bytes, 0x3C);
  return out;
}
std::vector<std::uint8_t> raw_file(const std::string& header, std::size_t data_bytes) {
  return raw_file(header.size(), header, data_bytes);
}

// Parses bytes expecting ModelLoad; returns the message.
std::string load_error(const std::vector<std::uint8_t>& bytes) {
  try {
    SafetensorsFile::parse(bytes, "hostile.safetensors");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ModelLoad) << e.message();
    EXPECT_NE(e.message().find("hostile.safetensors: "), std::string::npos) << e.message();
    return e.message();
  }
  ADD_FAILURE() << "parsed without error";
  return {};
}

TEST(Safetensors, RoundTripEveryDtype) {
  TempDir dir;
  const std::vector<DType> all = {DType::f64,     DType::f32,     DType::f16, DType::bf16,
                                  DType::f8_e4m3, DType::f8_e5m2, DType::i64, DType::i32,
                                  DType::i16,     DType::i8,      DType::u8,  DType::boolean};
  std::vector<TensorToWrite> tensors;
  for (std::size_t k = 0; k < all.size(); ++k) {
    const std::vector<std::int64_t> shape = {2, static_cast<std::int64_t>(k + 1)};
    tensors.emplace_back("t" + std::string(dtype_name(all[k])), all[k], shape,
                         iota_bytes(2 * (k + 1) * dtype_size(all[k]), static_cast<uint8_t>(k)));
  }
  tensors.emplace_back("empty", DType::f32, std::vector<std::int64_t>{0, 3},
                       std::vector<std::uint8_t>{});
  tensors.emplace_back("scalar", DType::i32, std::vector<std::int64_t>{}, iota_bytes(4));
  const Json meta = {{"format", "pt"}, {"note", "round trip"}};
  write_safetensors(dir / "all.safetensors", tensors, meta);

  const auto file = SafetensorsFile::open(dir / "all.safetensors");
  EXPECT_EQ(file.tensors().size(), tensors.size());
  EXPECT_EQ(file.metadata(), meta);
  for (std::size_t i = 1; i < file.tensors().size(); ++i) {
    EXPECT_LT(file.tensors()[i - 1].name, file.tensors()[i].name);
  }
  for (const auto& [name, dtype, shape, bytes] : tensors) {
    const TensorInfo* t = file.find(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->dtype, dtype);
    EXPECT_EQ(t->shape, shape);
    const auto data = file.data(*t);
    ASSERT_EQ(data.size(), bytes.size());
    EXPECT_TRUE(std::equal(data.begin(), data.end(), bytes.begin())) << name;
  }
  EXPECT_EQ(file.find("missing"), nullptr);
  EXPECT_EQ(file.find("scalar")->element_count(), 1u);

  // The same bytes parsed from memory agree, and the file survives a move.
  const std::string text = read_file(dir / "all.safetensors");
  auto parsed = SafetensorsFile::parse(
      std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), "mem");
  SafetensorsFile moved = std::move(parsed);
  const TensorInfo* f = moved.find("tF32");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(moved.to_f32(*f), file.to_f32(*file.find("tF32")));
  // The data section starts 8-byte aligned.
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, text.data(), 8);
  EXPECT_EQ(header_len % 8, 0u);
}

float ref_f16(std::uint16_t b) {  // by formula: (-1)^s * 2^(e-15) * (1 + m/1024)
  const int s = b >> 15, e = (b >> 10) & 31, m = b & 1023;
  double v = e == 0 ? m / 1024.0 * std::pow(2.0, -14) : (1 + m / 1024.0) * std::pow(2.0, e - 15);
  return static_cast<float>(s ? -v : v);
}

TEST(Safetensors, F16ConversionIsExact) {
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    const float got = f16_to_f32(bits);
    const int e = (b >> 10) & 31;
    if (e == 31) {
      if ((b & 1023) == 0) {
        EXPECT_TRUE(std::isinf(got));
        EXPECT_EQ(std::signbit(got), (b >> 15) != 0);
      } else {
        EXPECT_TRUE(std::isnan(got)) << b;
      }
      continue;
    }
    ASSERT_EQ(got, ref_f16(bits)) << b;
    ASSERT_EQ(std::signbit(got), (b >> 15) != 0) << b;
  }
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(f16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_f32(0x7BFF), 65504.0f);
}

TEST(Safetensors, Bf16AndF8Conversions) {
  EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(bf16_to_f32(0x0001), std::ldexp(1.0f, -133));  // bf16 subnormal
  EXPECT_TRUE(std::isinf(bf16_to_f32(0x7F80)));
  EXPECT_TRUE(std::isnan(bf16_to_f32(0x7FC0)));
  for (std::uint32_t b = 0; b < 65536; b += 97) {  // truncating the f32 gives the bf16 back
    const float f = bf16_to_f32(static_cast<std::uint16_t>(b));
    if (std::isnan(f)) continue;
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    EXPECT_EQ(u >> 16, b);
  }

  EXPECT_EQ(f8_e4m3_to_f32(0x38), 1.0f);
  EXPECT_EQ(f8_e4m3_to_f32(0x7E), 448.0f);
  EXPECT_EQ(f8_e4m3_to_f32(0xFE), -448.0f);
  EXPECT_EQ(f8_e4m3_to_f32(0x01), std::ldexp(1.0f, -9));
  EXPECT_EQ(f8_e4m3_to_f32(0x08), std::ldexp(1.0f, -6));  // smallest normal
  EXPECT_TRUE(std::isnan(f8_e4m3_to_f32(0x7F)));
  EXPECT_TRUE(std::isnan(f8_e4m3_to_f32(0xFF)));
  EXPECT_TRUE(std::isfinite(f8_e4m3_to_f32(0x78)));  // exponent 15 is finite in e4m3fn
  for (int b = 0; b < 256; ++b) {
    const int s = b >> 7, e = (b >> 3) & 15, m = b & 7;
    if (e == 15 && m == 7) continue;
    const double v = e == 0 ? m / 8.0 * std::pow(2.0, -6) : (1 + m / 8.0) * std::pow(2.0, e - 7);
    EXPECT_EQ(f8_e4m3_to_f32(static_cast<std::uint8_t>(b)), static_cast<float>(s ? -v : v)) << b;
  }
}

TEST(Safetensors, ToF32ThroughTheFile) {
  TempDir dir;
  const std::vector<std::uint8_t> f16 = {0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x00, 0x7C};
  const std::vector<std::uint8_t> bf16 = {0x80, 0x3F, 0x40, 0x40};
  const std::vector<std::uint8_t> f8 = {0x38, 0x7E, 0x01, 0x7F};
  write_safetensors(dir / "c.safetensors", {{"h", DType::f16, {4}, f16},
                                            {"b", DType::bf16, {2}, bf16},
                                            {"e", DType::f8_e4m3, {2, 2}, f8},
                                            {"i", DType::i32, {1}, {1, 0, 0, 0}}});
  const auto file = SafetensorsFile::open(dir / "c.safetensors");
  const auto h = file.to_f32(*file.find("h"));
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0], 1.0f);
  EXPECT_EQ(h[1], -2.0f);
  EXPECT_EQ(h[2], std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(h[3]));
  EXPECT_EQ(file.to_f32(*file.find("b")), (std::vector<float>{1.0f, 3.0f}));
  const auto e = file.to_f32(*file.find("e"));
  EXPECT_EQ(e[0], 1.0f);
  EXPECT_EQ(e[1], 448.0f);
  EXPECT_EQ(e[2], std::ldexp(1.0f, -9));
  EXPECT_TRUE(std::isnan(e[3]));
  try {
    file.to_f32(*file.find("i"));
    FAIL() << "I32 converted";
  } catch (const Error& err) {
    EXPECT_EQ(err.kind(), ErrorKind::ModelLoad);
    EXPECT_NE(err.message().find("I32"), std::string::npos) << err.message();
  }
}

// numpy's float16 is an independent IEEE half implementation: its bytes must decode to
// the values numpy prints.
TEST(Safetensors, F16MatchesNumpy) {
  if (reel::testing::run_command("/usr/bin/python3 -c 'import numpy'").status != 0) {
    GTEST_SKIP() << "python3-numpy not installed";
  }
  TempDir dir;
  const auto raw = dir / "h.bin";
  const auto res = reel::testing::run_command(
      "/usr/bin/python3 -c \"import numpy as np; "
      "a=np.array([0.1,-3.5,65504,6e-8,1e-5,-0.0,np.inf,0.333],dtype=np.float16); "
      "open('" +
      raw.string() + "','wb').write(a.tobytes()); print(' '.join(repr(float(x)) for x in a))\"");
  ASSERT_EQ(res.status, 0);
  const std::string bytes = read_file(raw);
  ASSERT_EQ(bytes.size(), 16u);
  write_safetensors(
      dir / "n.safetensors",
      {{"x", DType::f16, {8}, std::vector<std::uint8_t>(bytes.begin(), bytes.end())}});
  const auto file = SafetensorsFile::open(dir / "n.safetensors");
  const auto got = file.to_f32(*file.find("x"));
  std::istringstream expected(res.output);
  for (float g : got) {
    std::string word;
    expected >> word;
    const double want = std::stod(word);  // accepts "inf"
    EXPECT_EQ(static_cast<double>(g), want) << word;
  }
}

TEST(Safetensors, HostileFramingIsRefused) {
  EXPECT_NE(load_error({}).find("at least 8"), std::string::npos);
  EXPECT_NE(load_error(std::vector<std::uint8_t>(7, 0)).find("at least 8"), std::string::npos);
  EXPECT_NE(load_error(raw_file(1ull << 63, "{}", 0)).find("over the limit"), std::string::npos);
  EXPECT_NE(load_error(raw_file(1000, "{}", 10)).find("truncated"), std::string::npos);
  EXPECT_NE(load_error(raw_file("not json", 0)).find("not valid"), std::string::npos);
  EXPECT_NE(load_error(raw_file("{\"a\": \"\xff\xfe\"}", 0)).find("not valid"), std::string::npos);
  EXPECT_NE(load_error(raw_file("[1,2]", 0)).find("array"), std::string::npos);
  EXPECT_NE(
      load_error(raw_file(std::string(5000, '[') + std::string(5000, ']'), 0)).find("nests deeper"),
      std::string::npos);

  TempDir dir;
  write_file_atomic(dir / "empty.safetensors", std::string_view{});
  try {
    SafetensorsFile::open(dir / "empty.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
    EXPECT_NE(e.message().find("empty.safetensors"), std::string::npos);
  }
  EXPECT_THROW(SafetensorsFile::open(dir / "absent.safetensors"), Error);
}

std::string tensor(const std::string& dtype, const std::string& shape, const std::string& offs) {
  return "{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offs + "}";
}

TEST(Safetensors, HostileEntriesAreRefused) {
  auto one = [](const std::string& spec, std::size_t data = 64) {
    return load_error(raw_file("{\"w\":" + spec + "}", data));
  };
  EXPECT_NE(one(tensor("F33", "[2]", "[0,8]")).find("allowed: F64"), std::string::npos);
  EXPECT_NE(one(tensor("F32", "[-2]", "[0,8]")).find("non-negative"), std::string::npos);
  EXPECT_NE(one(tensor("F32", "[2.5]", "[0,8]")).find("non-negative"), std::string::npos);
  EXPECT_NE(one(tensor("F32", "[1099511627776,1099511627776]", "[0,8]")).find("2^64"),
            std::string::npos);
  EXPECT_NE(one(tensor("F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]")).find("at most 8"),
            std::string::npos);
  EXPECT_NE(one(tensor("F32", "[2]", "[0,8]"), 4).find("past the 4-byte"), std::string::npos);
  EXPECT_NE(one(tensor("F32", "[0]", "[8,4]")).find("end before"), std::string::npos);
  EXPECT_NE(one(tensor("F32", "[3]", "[0,8]")).find("needs 12"), std::string::npos);
  EXPECT_NE(one(tensor("F32", "[2]", "[0]")).find("[begin, end]"), std::string::npos);
  EXPECT_NE(one("{\"dtype\":\"F32\",\"shape\":[2]}").find("lacks"), std::string::npos);
  EXPECT_NE(
      one("{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0],\"x\":1}").find("unknown field"),
      std::string::npos);
  EXPECT_NE(one("7").find("expected an object"), std::string::npos);

  const std::string overlap =
      "{\"a\":" + tensor("F32", "[2]", "[0,8]") + ",\"b\":" + tensor("F32", "[2]", "[4,12]") + "}";
  EXPECT_NE(load_error(raw_file(overlap, 16)).find("overlap"), std::string::npos);
  EXPECT_NE(load_error(raw_file("{\"__metadata__\":{\"k\":3}}", 0)).find("must be strings"),
            std::string::npos);
  EXPECT_NE(load_error(raw_file("{\"__metadata__\":[]}", 0)).find("object of strings"),
            std::string::npos);

  // Header padding (spaces) and adjacent tensors are fine.
  const std::string ok = "{\"a\":" + tensor("F32", "[2]", "[0,8]") +
                         ",\"b\":" + tensor("U8", "[3]", "[8,11]") + "}   ";
  const auto file = SafetensorsFile::parse(raw_file(ok, 11), "ok");
  EXPECT_EQ(file.tensors().size(), 2u);
  EXPECT_EQ(file.data(*file.find("b")).size(), 3u);
}

TEST(Safetensors, ShardedCheckpoint) {
  TempDir dir;
  write_safetensors(dir / "model-1.safetensors", {{"a.w", DType::f32, {2}, iota_bytes(8)},
                                                  {"a.b", DType::f16, {1}, {0x00, 0x3C}}});
  write_safetensors(dir / "model-2.safetensors", {{"b.w", DType::bf16, {1}, {0x80, 0x3F}}});
  write_file_atomic(dir / "model.safetensors.index.json",
                    std::string_view(R"({"metadata":{"total_size":12},"weight_map":{
                      "a.w":"model-1.safetensors","a.b":"model-1.safetensors",
                      "b.w":"model-2.safetensors"}})"));
  const auto ckpt = SafetensorsCheckpoint::open(dir / "model.safetensors.index.json");
  EXPECT_EQ(ckpt.shards().size(), 2u);
  EXPECT_EQ(ckpt.names(), (std::vector<std::string>{"a.b", "a.w", "b.w"}));
  ASSERT_NE(ckpt.find("b.w"), nullptr);
  EXPECT_EQ(ckpt.find("b.w")->dtype, DType::bf16);
  EXPECT_EQ(ckpt.to_f32("b.w"), std::vector<float>{1.0f});
  EXPECT_EQ(ckpt.to_f32("a.b"), std::vector<float>{1.0f});
  const auto aw = ckpt.data("a.w");
  EXPECT_TRUE(std::equal(aw.begin(), aw.end(), iota_bytes(8).begin()));
  EXPECT_EQ(ckpt.find("nope"), nullptr);
  EXPECT_THROW(ckpt.data("nope"), Error);

  // A single file opens as a one-shard checkpoint.
  EXPECT_EQ(SafetensorsCheckpoint::open(dir / "model-2.safetensors").names(),
            std::vector<std::string>{"b.w"});

  auto error_of = [&](const std::string& index_json) {
    write_file_atomic(dir / "bad.index.json", std::string_view(index_json));
    try {
      SafetensorsCheckpoint::open(dir / "bad.index.json");
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
      return e.message();
    }
    ADD_FAILURE() << "opened " << index_json;
    return std::string();
  };
  const std::string missing = error_of(R"({"weight_map":{"a.w":"model-3.safetensors"}})");
  EXPECT_NE(missing.find("model-3.safetensors"), std::string::npos) << missing;
  EXPECT_NE(missing.find("missing"), std::string::npos) << missing;

  write_safetensors(dir / "dup.safetensors",
                    {{"a.w", DType::f32, {1}, iota_bytes(4)}, {"x", DType::u8, {1}, {7}}});
  const std::string dup =
      error_of(R"({"weight_map":{"a.w":"model-1.safetensors","x":"dup.safetensors"}})");
  EXPECT_NE(dup.find("a.w"), std::string::npos) << dup;
  EXPECT_NE(dup.find("model-1.safetensors"), std::string::npos) << dup;
  EXPECT_NE(dup.find("dup.safetensors"), std::string::npos) << dup;

  EXPECT_NE(error_of(R"({"weight_map":{"a.w":"../model-1.safetensors"}})").find("plain file"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"weight_map":{"zz":"model-1.safetensors"}})").find("lacks"),
            std::string::npos);
  EXPECT_NE(error_of("[]").find("weight_map"), std::string::npos);
  EXPECT_NE(error_of("{").find("shard index"), std::string::npos);
}

TEST(Safetensors, WriterRefusesMismatchedTensors) {
  TempDir dir;
  EXPECT_THROW(write_safetensors(dir / "x.safetensors", {{"a", DType::f32, {3}, iota_bytes(8)}}),
               Error);
  EXPECT_THROW(write_safetensors(dir / "x.safetensors",
                                 {{"a", DType::u8, {1}, {1}}, {"a", DType::u8, {1}, {1}}}),
               Error);
  EXPECT_THROW(write_safetensors(dir / "x.safetensors", {}, Json{{"k", 1}}), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.safetensors"));
}

// The fuzzer's seeds must be valid files, or it starts from nothing but errors.
TEST(Safetensors, FuzzSeedsAreValid) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(REEL_SOURCE_DIR) +
                                                               "/fuzz/corpus/safetensors")) {
    const auto file = SafetensorsFile::open(entry.path());
    EXPECT_FALSE(file.tensors().empty()) << entry.path();
    for (const auto& t : file.tensors()) {
      if (t.dtype == DType::i64 || t.dtype == DType::u8 || t.dtype == DType::boolean) continue;
      EXPECT_EQ(file.to_f32(t).size(), t.element_count()) << t.name;
    }
    ++seen;
  }
  EXPECT_GE(seen, 2);
}

}  // namespace
}  // namespace reel::neural
