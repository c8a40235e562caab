#pragma once
// Reads PyTorch zip checkpoints (what torch.save writes since PyTorch 1.6; the format of
// Wan's `models_t5_umt5-xxl-enc-bf16.pth` and `Wan2.1_VAE.pth`) without Python or
// LibTorch. The zip directory is parsed here (stored entries only, ZIP64 included) and
// `<archive>/data.pkl` is interpreted by a restricted pickle machine that knows only the
// few classes a state dict is built from; any other global is refused by name and
// nothing in the file is ever executed. Tensors are views over the mapped storage
// records. A bad file is Error(ModelLoad) naming the file and what is wrong (or
// Unsupported for a valid file this reader does not handle), never a crash or an
// unbounded allocation. See docs/neural-pth.md.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reel/neural/file_bytes.hpp"
#include "reel/neural/safetensors.hpp"  // DType, dtype_size, dtype_name

namespace reel::neural {

struct PthTensor {
  std::string name;
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;  // in elements, one per dimension, all >= 0
  std::uint64_t storage_offset = 0;   // in elements, into the storage record
  std::string storage;                // the record key: `<archive>/data/<storage>`

  std::uint64_t element_count() const;
  // Row-major dense (strides of size-1 dimensions do not matter, as in torch).
  bool is_contiguous() const;
};

class PthFile {
 public:
  // Maps the file read-only. Throws ModelLoad (or Unsupported) naming the file.
  static PthFile open(const std::filesystem::path& path);
  // Same validation on bytes in memory; `what` names them in messages. Keeps a copy.
  static PthFile parse(std::span<const std::uint8_t> bytes, std::string what);

  PthFile(PthFile&& other) noexcept = default;
  PthFile& operator=(PthFile&& other) noexcept = default;
  PthFile(const PthFile&) = delete;
  PthFile& operator=(const PthFile&) = delete;
  ~PthFile() = default;

  const std::string& what() const { return what_; }
  // The archive folder inside the zip (torch uses the file's stem).
  const std::string& archive() const { return archive_; }
  // "" for a plain state dict, or the key of the one nested level it came from
  // ("state_dict" or "model").
  const std::string& nested_under() const { return nested_under_; }
  const std::vector<PthTensor>& tensors() const { return tensors_; }  // sorted by name
  const PthTensor* find(std::string_view name) const;

  // The tensor's elements in place: contiguous tensors only (a strided view throws
  // Unsupported naming its strides; to_f32 gathers those).
  std::span<const std::uint8_t> data(const PthTensor& tensor) const;
  // The whole storage record the tensor views.
  std::span<const std::uint8_t> storage_bytes(const PthTensor& tensor) const;
  // Row-major float32 values from F32 / F16 / BF16 (exactly), following the strides;
  // other dtypes throw ModelLoad.
  std::vector<float> to_f32(const PthTensor& tensor) const;
  // CRC-32 of every zip record against the directory (reads every byte: about 2 s
  // per GB). Opening does not do this; throws ModelLoad naming the first bad record.
  void verify_checksums() const;

 private:
  PthFile() = default;
  void validate();

  struct Record {
    std::string name;
    std::uint64_t offset = 0;  // of the data, in the file
    std::uint64_t size = 0;
    std::uint32_t crc = 0;
  };
  // The storage record, after checking the tensor's extent lies inside it.
  const Record& record_of(const PthTensor& tensor) const;

  std::string what_;
  FileBytes file_;
  std::span<const std::uint8_t> bytes_;  // file_'s bytes: the whole file
  std::string archive_;
  std::string nested_under_;
  std::vector<Record> records_;                                     // every zip entry
  std::map<std::string, std::size_t, std::less<>> storage_record_;  // storage key → records_
  std::vector<PthTensor> tensors_;
};

}  // namespace reel::neural
