#pragma once
// Reads (and, for tests and tools, writes) safetensors weight files: an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype, shape and
// byte range, then the raw data. Files come from strangers, so every field is checked
// before any byte is touched; a bad file is Error(ModelLoad) naming the file and what
// is wrong, never a crash or an unbounded allocation. No LibTorch here: tensors are
// byte spans plus the conversions the loaders need.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "reel/core/json.hpp"
#include "reel/neural/file_bytes.hpp"

namespace reel::neural {

enum class DType { f64, f32, f16, bf16, f8_e4m3, f8_e5m2, i64, i32, i16, i8, u8, boolean };

std::size_t dtype_size(DType dtype);
// The safetensors spelling ("F32", "BF16", "F8_E4M3", "BOOL", ...).
std::string_view dtype_name(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  // byte offsets within the data section
  std::uint64_t end = 0;

  std::uint64_t element_count() const;
};

class SafetensorsFile {
 public:
  // Maps the file read-only. Throws ModelLoad naming the file and what is wrong.
  static SafetensorsFile open(const std::filesystem::path& path);
  // Same validation on bytes in memory; `what` names them in messages. Keeps a copy.
  static SafetensorsFile parse(std::span<const std::uint8_t> bytes, std::string what);

  SafetensorsFile(SafetensorsFile&& other) noexcept = default;
  SafetensorsFile& operator=(SafetensorsFile&& other) noexcept = default;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile() = default;

  const std::string& what() const { return what_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // sorted by name
  const TensorInfo* find(std::string_view name) const;
  std::span<const std::uint8_t> data(const TensorInfo& tensor) const;
  // "__metadata__" (a string → string map), or an empty object.
  const Json& metadata() const { return metadata_; }
  // From f32 / f16 / bf16 / f8_e4m3 (exactly); other dtypes throw ModelLoad.
  std::vector<float> to_f32(const TensorInfo& tensor) const;

 private:
  SafetensorsFile() = default;
  void validate();

  std::string what_;
  FileBytes file_;
  std::span<const std::uint8_t> bytes_;  // file_'s bytes: the whole file
  std::uint64_t data_offset_ = 0;        // 8 + header length
  std::vector<TensorInfo> tensors_;
  Json metadata_ = Json::object();
};

// A checkpoint as one .safetensors file or a sharded one through its
// model.safetensors.index.json ({"weight_map": {name: shard file}}); each shard is
// opened once and names resolve across shards. A name in two shards, a shard the
// index names that is missing, or a name absent from its shard throws ModelLoad.
class SafetensorsCheckpoint {
 public:
  static SafetensorsCheckpoint open(const std::filesystem::path& file_or_index);

  const TensorInfo* find(std::string_view name) const;
  // Throws ModelLoad when the name is not in the checkpoint.
  std::span<const std::uint8_t> data(std::string_view name) const;
  std::vector<float> to_f32(std::string_view name) const;
  std::vector<std::string> names() const;  // sorted
  const std::vector<SafetensorsFile>& shards() const { return shards_; }

 private:
  const std::pair<std::size_t, std::size_t>& locate(std::string_view name) const;

  std::filesystem::path path_;
  std::vector<SafetensorsFile> shards_;
  // name → (shard index, tensor index in that shard)
  std::map<std::string, std::pair<std::size_t, std::size_t>, std::less<>> index_;
};

using TensorToWrite =
    std::tuple<std::string, DType, std::vector<std::int64_t>, std::vector<std::uint8_t>>;

// Writes atomically, data in the given order. Throws InvalidInput when a tensor's byte
// count does not match its shape and dtype, a name repeats, or metadata is not a
// string → string object.
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                       const Json& metadata = Json::object());

}  // namespace reel::neural
