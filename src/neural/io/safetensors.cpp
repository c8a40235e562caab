#include "reel/neural/safetensors.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <set>

#include "neural/io/float_bits.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"

namespace reel::neural {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; reel reads it in place");

namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;  // the reference library's limit
constexpr std::size_t kMaxRank = 8;
constexpr int kMaxJsonDepth = 64;  // a header is two levels deep; deeper is hostile

struct DTypeName {
  DType dtype;
  std::string_view name;
  std::size_t size;
};

constexpr std::array<DTypeName, 12> kDTypes{{
    {DType::f64, "F64", 8},
    {DType::f32, "F32", 4},
    {DType::f16, "F16", 2},
    {DType::bf16, "BF16", 2},
    {DType::f8_e4m3, "F8_E4M3", 1},
    {DType::f8_e5m2, "F8_E5M2", 1},
    {DType::i64, "I64", 8},
    {DType::i32, "I32", 4},
    {DType::i16, "I16", 2},
    {DType::i8, "I8", 1},
    {DType::u8, "U8", 1},
    {DType::boolean, "BOOL", 1},
}};

const DTypeName& entry(DType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d;
  }
  REEL_ASSERT(false && "unknown DType");
  return kDTypes[0];
}

[[noreturn]] void fail(const std::string& what, const std::string& message) {
  throw Error(ErrorKind::ModelLoad, what + ": " + message);
}

std::uint64_t read_u64_le(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// nlohmann's parser is iterative, but the value it builds is destroyed recursively in
// older releases; refuse absurd nesting before parsing so no header can blow the stack.
void check_nesting(std::string_view text, const std::string& what) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) {
        fail(what, "header JSON nests deeper than " + std::to_string(kMaxJsonDepth) +
                       " levels; a safetensors header is an object of tensor objects");
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
}

std::uint64_t checked_u64(const Json& value, const std::string& what, const std::string& field) {
  if (!value.is_number_integer() ||
      (value.is_number_integer() && !value.is_number_unsigned() && value.get<std::int64_t>() < 0)) {
    fail(what, field + " is " + value.dump() + "; expected a non-negative integer");
  }
  return value.get<std::uint64_t>();
}

TensorInfo parse_tensor(const std::string& name, const Json& spec, const std::string& what) {
  const std::string where = "tensor \"" + name + "\"";
  if (!spec.is_object()) {
    fail(what, where + " is " + std::string(spec.type_name()) +
                   "; expected an object with dtype, shape and data_offsets");
  }
  for (const auto& [key, value] : spec.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      fail(what, where + " has unknown field \"" + key +
                     "\"; allowed fields are dtype, shape and data_offsets");
    }
  }
  if (!spec.contains("dtype") || !spec.contains("shape") || !spec.contains("data_offsets")) {
    fail(what, where + " lacks dtype, shape or data_offsets; all three are required");
  }
  TensorInfo info;
  info.name = name;

  const Json& dtype = spec["dtype"];
  const DTypeName* found = nullptr;
  if (dtype.is_string()) {
    for (const auto& d : kDTypes) {
      if (d.name == dtype.get_ref<const std::string&>()) found = &d;
    }
  }
  if (found == nullptr) {
    fail(what, where + " has dtype " + dtype.dump() +
                   "; allowed: F64 F32 F16 BF16 F8_E4M3 F8_E5M2 I64 I32 I16 I8 U8 BOOL");
  }
  info.dtype = found->dtype;

  const Json& shape = spec["shape"];
  if (!shape.is_array() || shape.size() > kMaxRank) {
    fail(what, where + " has shape " + shape.dump().substr(0, 200) +
                   "; expected an array of at most " + std::to_string(kMaxRank) + " dimensions");
  }
  std::uint64_t elements = 1;
  for (const Json& dim : shape) {
    const std::uint64_t d = checked_u64(dim, what, where + " shape dimension");
    if (d > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
        __builtin_mul_overflow(elements, d, &elements)) {
      fail(what, where + " shape " + shape.dump() + " has more elements than 2^64");
    }
    info.shape.push_back(static_cast<std::int64_t>(d));
  }
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(elements, found->size, &bytes)) {
    fail(what, where + " shape " + shape.dump() + " needs more than 2^64 bytes");
  }

  const Json& offsets = spec["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2) {
    fail(what,
         where + " has data_offsets " + offsets.dump().substr(0, 200) + "; expected [begin, end]");
  }
  info.begin = checked_u64(offsets[0], what, where + " data_offsets begin");
  info.end = checked_u64(offsets[1], what, where + " data_offsets end");
  if (info.end < info.begin) {
    fail(what, where + " data_offsets [" + std::to_string(info.begin) + ", " +
                   std::to_string(info.end) + "] end before they begin; need begin <= end");
  }
  if (info.end - info.begin != bytes) {
    fail(what, where + " covers " + std::to_string(info.end - info.begin) + " bytes but " +
                   std::string(found->name) + " " + shape.dump() + " needs " +
                   std::to_string(bytes));
  }
  return info;
}

}  // namespace

std::size_t dtype_size(DType dtype) {
  return entry(dtype).size;
}
std::string_view dtype_name(DType dtype) {
  return entry(dtype).name;
}

std::uint64_t TensorInfo::element_count() const {
  std::uint64_t n = 1;
  for (std::int64_t d : shape) n *= static_cast<std::uint64_t>(d);  // validated on load
  return n;
}

// ---- SafetensorsFile --------------------------------------------------------------

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  SafetensorsFile file;
  file.what_ = path.string();
  file.file_ = FileBytes::map(path, "a readable .safetensors file", "a .safetensors file");
  file.bytes_ = file.file_.bytes();
  if (file.bytes_.size() < 8) {
    fail(file.what_, "is " + std::to_string(file.bytes_.size()) +
                         " bytes; a safetensors file is at least 8 (the header length)");
  }
  file.validate();
  return file;
}

SafetensorsFile SafetensorsFile::parse(std::span<const std::uint8_t> bytes, std::string what) {
  SafetensorsFile file;
  file.what_ = std::move(what);
  if (bytes.size() < 8) {
    fail(file.what_, "is " + std::to_string(bytes.size()) +
                         " bytes; a safetensors file is at least 8 (the header length)");
  }
  file.file_ = FileBytes::copy_of(bytes);
  file.bytes_ = file.file_.bytes();
  file.validate();
  return file;
}

void SafetensorsFile::validate() {
  const std::uint64_t size = bytes_.size();
  if (size < 8) {
    fail(what_, "is " + std::to_string(size) +
                    " bytes; a safetensors file is at least 8 (the header length)");
  }
  const std::uint64_t header_len = read_u64_le(bytes_.data());
  if (header_len > kMaxHeaderBytes) {
    fail(what_, "header length " + std::to_string(header_len) + " is over the limit of " +
                    std::to_string(kMaxHeaderBytes) + " bytes");
  }
  if (header_len > size - 8) {
    fail(what_, "header length " + std::to_string(header_len) + " is more than the " +
                    std::to_string(size - 8) + " bytes after it; the file is truncated or corrupt");
  }
  data_offset_ = 8 + header_len;
  const std::uint64_t data_size = size - data_offset_;
  const std::string_view text(reinterpret_cast<const char*>(bytes_.data() + 8), header_len);

  check_nesting(text, what_);
  Json header;
  try {
    header = Json::parse(text.begin(), text.end());
  } catch (const std::exception& e) {
    fail(what_,
         std::string("header is not valid UTF-8 JSON (") + e.what() + "); expected a JSON object");
  }
  if (!header.is_object()) {
    fail(what_, std::string("header is a JSON ") + header.type_name() +
                    "; expected an object of tensor name → {dtype, shape, data_offsets}");
  }

  tensors_.clear();
  metadata_ = Json::object();
  for (const auto& [name, spec] : header.items()) {
    if (name == "__metadata__") {
      if (!spec.is_object()) {
        fail(what_, std::string("__metadata__ is a JSON ") + spec.type_name() +
                        "; expected an object of strings");
      }
      for (const auto& [key, value] : spec.items()) {
        if (!value.is_string()) {
          fail(what_, "__metadata__ \"" + key + "\" is a " + value.type_name() +
                          "; metadata values must be strings");
        }
      }
      metadata_ = spec;
      continue;
    }
    TensorInfo info = parse_tensor(name, spec, what_);
    if (info.end > data_size) {
      fail(what_, "tensor \"" + name + "\" data_offsets end " + std::to_string(info.end) +
                      " is past the " + std::to_string(data_size) + "-byte data section");
    }
    tensors_.push_back(std::move(info));
  }

  // Overlap check on byte order; empty tensors take no bytes and overlap nothing.
  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : tensors_) {
    if (t.end > t.begin) by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  std::uint64_t covered = 0;
  for (std::size_t i = 0; i < by_offset.size(); ++i) {
    if (i > 0 && by_offset[i]->begin < by_offset[i - 1]->end) {
      fail(what_, "tensors \"" + by_offset[i - 1]->name + "\" and \"" + by_offset[i]->name +
                      "\" overlap; each tensor needs its own bytes");
    }
    covered += by_offset[i]->end - by_offset[i]->begin;
  }
  if (covered > data_size) {  // implied by the checks above; kept as a guard
    fail(what_, "tensors cover " + std::to_string(covered) + " bytes but the data section has " +
                    std::to_string(data_size));
  }
  // nlohmann objects iterate sorted by key, but sort explicitly: find() relies on it.
  std::sort(tensors_.begin(), tensors_.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorInfo& t, std::string_view n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

std::span<const std::uint8_t> SafetensorsFile::data(const TensorInfo& tensor) const {
  REEL_ASSERT(tensor.end >= tensor.begin && data_offset_ + tensor.end <= bytes_.size());
  return bytes_.subspan(data_offset_ + tensor.begin, tensor.end - tensor.begin);
}

std::vector<float> SafetensorsFile::to_f32(const TensorInfo& tensor) const {
  const auto bytes = data(tensor);
  const std::size_t n = bytes.size() / dtype_size(tensor.dtype);
  std::vector<float> out(n);
  const std::uint8_t* p = bytes.data();
  switch (tensor.dtype) {
    case DType::f32:
      std::memcpy(out.data(), p, n * 4);
      break;
    case DType::f16:
      for (std::size_t i = 0; i < n; ++i) {
        out[i] = f16_to_f32(static_cast<std::uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)));
      }
      break;
    case DType::bf16:
      for (std::size_t i = 0; i < n; ++i) {
        out[i] = bf16_to_f32(static_cast<std::uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)));
      }
      break;
    case DType::f8_e4m3:
      for (std::size_t i = 0; i < n; ++i) out[i] = f8_e4m3_to_f32(p[i]);
      break;
    default:
      fail(what_, "tensor \"" + tensor.name + "\" is " + std::string(dtype_name(tensor.dtype)) +
                      "; conversion to float32 supports F32, F16, BF16 and F8_E4M3");
  }
  return out;
}

// ---- SafetensorsCheckpoint --------------------------------------------------------

SafetensorsCheckpoint SafetensorsCheckpoint::open(const std::filesystem::path& file_or_index) {
  SafetensorsCheckpoint ckpt;
  ckpt.path_ = file_or_index;
  const std::string what = file_or_index.string();
  if (file_or_index.extension() != ".json") {
    ckpt.shards_.push_back(SafetensorsFile::open(file_or_index));
  } else {
    Json index;
    try {
      index = parse_json(read_file(file_or_index, kMaxHeaderBytes), what);
    } catch (const Error& e) {
      fail(what, "cannot read the shard index: " + e.message());
    }
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
      fail(what, "has no \"weight_map\" object; expected {\"weight_map\": {tensor: shard file}}");
    }
    std::map<std::string, std::size_t> shard_of_file;
    for (const auto& [name, file] : index["weight_map"].items()) {
      if (!file.is_string()) {
        fail(what, "weight_map \"" + name + "\" is " + file.dump() + "; expected a file name");
      }
      const auto& file_name = file.get_ref<const std::string&>();
      const std::filesystem::path rel(file_name);
      // Shards live beside the index; a path elsewhere is refused, not followed.
      if (file_name.empty() || rel.filename() != rel || file_name == "." || file_name == "..") {
        fail(what, "weight_map \"" + name + "\" names \"" + file_name +
                       "\"; shards must be plain file names beside the index");
      }
      if (!shard_of_file.count(file_name)) {
        const auto shard_path = file_or_index.parent_path() / rel;
        if (!std::filesystem::exists(shard_path)) {
          fail(what, "shard \"" + file_name + "\" (for \"" + name + "\") is missing at " +
                         shard_path.string());
        }
        shard_of_file[file_name] = ckpt.shards_.size();
        ckpt.shards_.push_back(SafetensorsFile::open(shard_path));
      }
      const auto& shard = ckpt.shards_[shard_of_file[file_name]];
      if (shard.find(name) == nullptr) {
        fail(what, "weight_map puts \"" + name + "\" in " + file_name + ", which lacks it");
      }
    }
  }
  for (std::size_t s = 0; s < ckpt.shards_.size(); ++s) {
    const auto& tensors = ckpt.shards_[s].tensors();
    for (std::size_t t = 0; t < tensors.size(); ++t) {
      auto [it, inserted] = ckpt.index_.emplace(tensors[t].name, std::pair(s, t));
      if (!inserted) {
        fail(what, "tensor \"" + tensors[t].name + "\" is in both " +
                       ckpt.shards_[it->second.first].what() + " and " + ckpt.shards_[s].what() +
                       "; each name must be in one shard");
      }
    }
  }
  return ckpt;
}

const std::pair<std::size_t, std::size_t>& SafetensorsCheckpoint::locate(
    std::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end()) {
    fail(path_.string(), "has no tensor \"" + std::string(name) + "\"");
  }
  return it->second;
}

const TensorInfo* SafetensorsCheckpoint::find(std::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end()) return nullptr;
  return &shards_[it->second.first].tensors()[it->second.second];
}

std::span<const std::uint8_t> SafetensorsCheckpoint::data(std::string_view name) const {
  const auto& [s, t] = locate(name);
  return shards_[s].data(shards_[s].tensors()[t]);
}

std::vector<float> SafetensorsCheckpoint::to_f32(std::string_view name) const {
  const auto& [s, t] = locate(name);
  return shards_[s].to_f32(shards_[s].tensors()[t]);
}

std::vector<std::string> SafetensorsCheckpoint::names() const {
  std::vector<std::string> out;
  out.reserve(index_.size());
  for (const auto& [name, loc] : index_) out.push_back(name);
  return out;
}

// ---- writer -----------------------------------------------------------------------

void write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                       const Json& metadata) {
  const std::string what = path.string();
  if (!metadata.is_object()) {
    throw Error(ErrorKind::InvalidInput, what + ": metadata must be a JSON object of strings");
  }
  for (const auto& [key, value] : metadata.items()) {
    if (!value.is_string()) {
      throw Error(ErrorKind::InvalidInput,
                  what + ": metadata \"" + key + "\" is not a string; values must be strings");
    }
  }
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  std::set<std::string> seen;
  for (const auto& [name, dtype, shape, bytes] : tensors) {
    if (name == "__metadata__" || !seen.insert(name).second) {
      throw Error(ErrorKind::InvalidInput,
                  what + ": tensor name \"" + name + "\" repeats or is reserved");
    }
    std::uint64_t elements = 1;
    for (std::int64_t d : shape) {
      if (d < 0) {
        throw Error(ErrorKind::InvalidInput, what + ": tensor \"" + name + "\" has dimension " +
                                                 std::to_string(d) + "; dimensions are >= 0");
      }
      if (__builtin_mul_overflow(elements, static_cast<std::uint64_t>(d), &elements)) {
        throw Error(ErrorKind::InvalidInput, what + ": tensor \"" + name + "\" is too large");
      }
    }
    if (elements > bytes.size() || elements * dtype_size(dtype) != bytes.size()) {
      throw Error(ErrorKind::InvalidInput, what + ": tensor \"" + name + "\" has " +
                                               std::to_string(bytes.size()) +
                                               " bytes; its shape and dtype need " +
                                               std::to_string(elements * dtype_size(dtype)));
    }
    header[name] = {{"dtype", std::string(dtype_name(dtype))},
                    {"shape", shape},
                    {"data_offsets", {offset, offset + bytes.size()}}};
    offset += bytes.size();
  }
  std::string text = header.dump();
  // Padding with spaces keeps the data 8-byte aligned, as the reference writer does.
  text.append((8 - text.size() % 8) % 8, ' ');
  std::array<std::uint8_t, 8> len{};
  for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(text.size() >> (8 * i));

  AtomicFile out(path);
  out.write(len.data(), len.size());
  out.write(text);
  for (const auto& t : tensors) {
    const auto& bytes = std::get<3>(t);
    if (!bytes.empty()) out.write(bytes.data(), bytes.size());
  }
  out.commit();
}

}  // namespace reel::neural
