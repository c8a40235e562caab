#include "reel/neural/pth.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "neural/io/float_bits.hpp"
#include "neural/io/pth_pickle.hpp"
#include "neural/io/pth_zip.hpp"
#include "reel/core/error.hpp"

namespace reel::neural {

static_assert(std::endian::native == std::endian::little,
              "torch.save writes little-endian storages; reel reads them in place");

namespace {

// A state dict pickle takes ~250 bytes per tensor; 64 MiB is far past any real one.
constexpr std::uint64_t kMaxPickleBytes = 64ull << 20;

[[noreturn]] void fail(const std::string& what, const std::string& message,
                       ErrorKind kind = ErrorKind::ModelLoad) {
  throw Error(kind, what + ": " + message);
}

const char* kind_name(pth::Kind kind) {
  switch (kind) {
    case pth::Kind::none:
      return "None";
    case pth::Kind::boolean:
      return "a bool";
    case pth::Kind::integer:
      return "an int";
    case pth::Kind::real:
      return "a float";
    case pth::Kind::string:
      return "a string";
    case pth::Kind::bytes:
      return "bytes";
    case pth::Kind::tuple:
      return "a tuple";
    case pth::Kind::list:
      return "a list";
    case pth::Kind::dict:
      return "a dict";
    case pth::Kind::global:
      return "a class";
    case pth::Kind::storage:
      return "a storage";
    case pth::Kind::tensor:
      return "a tensor";
  }
  return "?";
}

// Empty when every key is a string and every value a tensor; otherwise why not.
std::string why_not_state_dict(const pth::Unpickled& u, const pth::Object& dict) {
  for (std::size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const pth::Object& key = u.objects[dict.items[i]];
    const pth::Object& value = u.objects[dict.items[i + 1]];
    if (key.kind != pth::Kind::string) return std::string("a key is ") + kind_name(key.kind);
    if (value.kind != pth::Kind::tensor) {
      return "\"" + key.text.substr(0, 100) + "\" holds " + kind_name(value.kind);
    }
  }
  return {};
}

const pth::Object* lookup(const pth::Unpickled& u, const pth::Object& dict, std::string_view key) {
  for (std::size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const pth::Object& k = u.objects[dict.items[i]];
    if (k.kind == pth::Kind::string && k.text == key) return &u.objects[dict.items[i + 1]];
  }
  return nullptr;
}

// The index one past the last element the tensor touches, or 0 when it has none; the
// caller has checked this cannot overflow (the pickle machine did, for loaded tensors).
bool extent(const PthTensor& t, std::uint64_t& count, std::uint64_t& end) {
  if (t.shape.size() != t.strides.size()) return false;
  count = 1;
  end = t.storage_offset + 1;
  for (std::size_t d = 0; d < t.shape.size(); ++d) {
    if (t.shape[d] < 0 || t.strides[d] < 0) return false;
    const auto size = static_cast<std::uint64_t>(t.shape[d]);
    std::uint64_t span = 0;
    if (__builtin_mul_overflow(count, size, &count)) return false;
    if (size > 0 &&
        (__builtin_mul_overflow(size - 1, static_cast<std::uint64_t>(t.strides[d]), &span) ||
         __builtin_add_overflow(end, span, &end))) {
      return false;
    }
  }
  if (count == 0) end = 0;
  return true;
}

float element_f32(DType dtype, const std::uint8_t* p) {
  switch (dtype) {
    case DType::f32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case DType::f16:
      return f16_to_f32(static_cast<std::uint16_t>(p[0] | (p[1] << 8)));
    default:  // bf16; the caller allows only these three
      return bf16_to_f32(static_cast<std::uint16_t>(p[0] | (p[1] << 8)));
  }
}

}  // namespace

std::uint64_t PthTensor::element_count() const {
  std::uint64_t n = 1;
  for (std::int64_t d : shape) n *= static_cast<std::uint64_t>(d);  // validated on load
  return n;
}

bool PthTensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (shape[d] == 0) return true;
    if (shape[d] != 1 && strides[d] != expected) return false;
    expected *= shape[d];
  }
  return true;
}

// ---- PthFile ---------------------------------------------------------------------

PthFile PthFile::open(const std::filesystem::path& path) {
  PthFile file;
  file.what_ = path.string();
  file.file_ =
      FileBytes::map(path, "a readable PyTorch .pth checkpoint", "a PyTorch .pth checkpoint");
  file.bytes_ = file.file_.bytes();
  if (file.bytes_.empty()) fail(file.what_, "is empty; expected a PyTorch zip checkpoint");
  file.validate();
  return file;
}

PthFile PthFile::parse(std::span<const std::uint8_t> bytes, std::string what) {
  PthFile file;
  file.what_ = std::move(what);
  file.file_ = FileBytes::copy_of(bytes);
  file.bytes_ = file.file_.bytes();
  file.validate();
  return file;
}

void PthFile::validate() {
  const auto entries = pth::read_zip_directory(bytes_, what_);
  records_.clear();
  for (const auto& e : entries) records_.push_back({e.name, e.data_offset, e.size, e.crc});

  // 1. The archive folder: the one `<archive>/data.pkl` at depth one.
  const Record* pickle = nullptr;
  bool torchscript = false;
  for (const auto& r : records_) {
    const auto slash = r.name.find('/');
    if (slash != std::string::npos && r.name.compare(slash, std::string::npos, "/data.pkl") == 0 &&
        slash > 0) {
      if (pickle != nullptr) {
        fail(what_, "holds two pickles, \"" + pickle->name + "\" and \"" + r.name +
                        "\"; a checkpoint has one <archive>/data.pkl");
      }
      pickle = &r;
    }
    if (r.name.find("/code/") != std::string::npos || r.name.ends_with("/constants.pkl")) {
      torchscript = true;
    }
  }
  if (torchscript) {
    fail(what_,
         "is a TorchScript archive (torch.jit.save), not a state dict; save the weights with "
         "torch.save(model.state_dict(), path)",
         ErrorKind::Unsupported);
  }
  for (const auto& e : entries) {
    if (e.encrypted) {
      fail(what_, "zip entry \"" + e.name + "\" is encrypted; checkpoints are plain stored records",
           ErrorKind::Unsupported);
    }
    if (e.method != 0) {
      fail(what_,
           "zip entry \"" + e.name + "\" is compressed (zip method " + std::to_string(e.method) +
               "); only stored entries are supported, as torch.save writes them: re-save with "
               "torch.save, or unzip and re-zip with `zip -0`",
           ErrorKind::Unsupported);
    }
  }
  if (pickle == nullptr) {
    fail(what_, "is a zip without <archive>/data.pkl; expected a checkpoint written by torch.save");
  }
  archive_ = pickle->name.substr(0, pickle->name.find('/'));

  // 2. Byte order: torch 2.1+ records it; older files are little-endian.
  for (const auto& r : records_) {
    if (r.name != archive_ + "/byteorder") continue;
    const std::string_view order(reinterpret_cast<const char*>(bytes_.data() + r.offset),
                                 std::min<std::uint64_t>(r.size, 16));
    if (order != "little") {
      fail(what_,
           "stores its tensors big-endian (byteorder \"" + std::string(order) +
               "\"); only little-endian checkpoints are supported",
           ErrorKind::Unsupported);
    }
  }

  // 3. The pickle, through the restricted machine.
  if (pickle->size > kMaxPickleBytes) {
    fail(what_, "data.pkl is " + std::to_string(pickle->size) + " bytes; the limit is " +
                    std::to_string(kMaxPickleBytes));
  }
  const pth::Unpickled u = pth::unpickle(bytes_.subspan(pickle->offset, pickle->size),
                                         what_ + " (" + pickle->name + ")");

  // 4. Every storage is a record of exactly numel elements.
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < records_.size(); ++i) index.emplace(records_[i].name, i);
  storage_record_.clear();
  for (const auto& s : u.storages) {
    const std::string name = archive_ + "/data/" + s.key;
    auto it = index.find(name);
    if (it == index.end()) {
      fail(what_, "storage \"" + s.key + "\" has no record " + name + " in the zip");
    }
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(s.numel, dtype_size(s.dtype), &bytes) ||
        bytes != records_[it->second].size) {
      fail(what_, "storage \"" + s.key + "\" claims " + std::to_string(s.numel) + " " +
                      std::string(dtype_name(s.dtype)) + " elements but its record has " +
                      std::to_string(records_[it->second].size) + " bytes");
    }
    storage_record_.emplace(s.key, it->second);
  }

  // 5. The state dict: the root, or one level under "state_dict" / "model".
  const pth::Object& root = u.objects[u.root];
  if (root.kind != pth::Kind::dict) {
    fail(what_, std::string("data.pkl holds ") + kind_name(root.kind) +
                    "; expected a state dict (a dict of name → tensor)");
  }
  const pth::Object* dict = &root;
  nested_under_.clear();
  const std::string why_root = why_not_state_dict(u, root);
  if (!why_root.empty()) {
    dict = nullptr;
    for (const char* key : {"state_dict", "model"}) {
      const pth::Object* inner = lookup(u, root, key);
      if (inner != nullptr && inner->kind == pth::Kind::dict &&
          why_not_state_dict(u, *inner).empty()) {
        dict = inner;
        nested_under_ = key;
        break;
      }
    }
    if (dict == nullptr) {
      fail(what_,
           "is not a state dict: " + why_root +
               "; expected name → tensor at the top level or one level under "
               "\"state_dict\" or \"model\"",
           ErrorKind::Unsupported);
    }
  }

  tensors_.clear();
  for (std::size_t i = 0; i + 1 < dict->items.size(); i += 2) {
    const pth::Object& key = u.objects[dict->items[i]];
    const pth::TensorRef& ref =
        u.tensors[static_cast<std::size_t>(u.objects[dict->items[i + 1]].value)];
    const pth::StorageRef& storage = u.storages[ref.storage];
    PthTensor t;
    t.name = key.text;
    t.dtype = storage.dtype;
    t.shape = ref.shape;
    t.strides = ref.strides;
    t.storage_offset = ref.offset;
    t.storage = storage.key;
    tensors_.push_back(std::move(t));
  }
  std::sort(tensors_.begin(), tensors_.end(),
            [](const PthTensor& a, const PthTensor& b) { return a.name < b.name; });
  for (std::size_t i = 1; i < tensors_.size(); ++i) {
    if (tensors_[i].name == tensors_[i - 1].name) {
      fail(what_, "names tensor \"" + tensors_[i].name + "\" twice; names must be unique");
    }
  }
}

const PthTensor* PthFile::find(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const PthTensor& t, std::string_view n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

const PthFile::Record& PthFile::record_of(const PthTensor& tensor) const {
  auto it = storage_record_.find(tensor.storage);
  if (it == storage_record_.end()) {
    throw Error(ErrorKind::InvalidInput, what_ + ": has no storage \"" + tensor.storage +
                                             "\" (tensor \"" + tensor.name + "\")");
  }
  const Record& record = records_[it->second];
  std::uint64_t count = 0, end = 0, bytes = 0;
  if (!extent(tensor, count, end) ||
      __builtin_mul_overflow(end, dtype_size(tensor.dtype), &bytes) || bytes > record.size ||
      count > record.size / dtype_size(tensor.dtype)) {  // so count * size cannot wrap
    throw Error(ErrorKind::InvalidInput, what_ + ": tensor \"" + tensor.name +
                                             "\" does not fit in its storage \"" + tensor.storage +
                                             "\"");
  }
  return record;
}

std::span<const std::uint8_t> PthFile::storage_bytes(const PthTensor& tensor) const {
  const Record& record = record_of(tensor);
  return bytes_.subspan(record.offset, record.size);
}

std::span<const std::uint8_t> PthFile::data(const PthTensor& tensor) const {
  const Record& record = record_of(tensor);
  if (!tensor.is_contiguous()) {
    std::string strides;
    for (std::int64_t s : tensor.strides)
      strides += (strides.empty() ? "" : ",") + std::to_string(s);
    fail(what_,
         "tensor \"" + tensor.name + "\" is a strided view (strides [" + strides +
             "]); read it with to_f32, which follows the strides, or save it .contiguous()",
         ErrorKind::Unsupported);
  }
  const std::size_t size = dtype_size(tensor.dtype);
  return bytes_.subspan(record.offset + tensor.storage_offset * size,
                        tensor.element_count() * size);
}

std::vector<float> PthFile::to_f32(const PthTensor& tensor) const {
  if (tensor.dtype != DType::f32 && tensor.dtype != DType::f16 && tensor.dtype != DType::bf16) {
    fail(what_, "tensor \"" + tensor.name + "\" is " + std::string(dtype_name(tensor.dtype)) +
                    "; conversion to float32 supports F32, F16 and BF16");
  }
  const Record& record = record_of(tensor);
  const std::size_t size = dtype_size(tensor.dtype);
  const std::uint8_t* base = bytes_.data() + record.offset;
  const std::uint64_t n = tensor.element_count();
  std::vector<float> out(n);
  if (n == 0) return out;
  if (tensor.is_contiguous()) {
    const std::uint8_t* p = base + tensor.storage_offset * size;
    for (std::uint64_t i = 0; i < n; ++i) out[i] = element_f32(tensor.dtype, p + i * size);
    return out;
  }
  // Odometer over the shape, row-major; `at` is the storage index of the current element.
  const std::size_t rank = tensor.shape.size();
  std::vector<std::int64_t> index(rank, 0);
  std::uint64_t at = tensor.storage_offset;
  for (std::uint64_t i = 0; i < n; ++i) {
    out[i] = element_f32(tensor.dtype, base + at * size);
    for (std::size_t d = rank; d-- > 0;) {
      if (++index[d] < tensor.shape[d]) {
        at += static_cast<std::uint64_t>(tensor.strides[d]);
        break;
      }
      at -=
          static_cast<std::uint64_t>(tensor.strides[d]) * static_cast<std::uint64_t>(index[d] - 1);
      index[d] = 0;
    }
  }
  return out;
}

void PthFile::verify_checksums() const {
  for (const auto& r : records_) {
    const std::uint32_t crc = pth::crc32(bytes_.subspan(r.offset, r.size));
    if (crc != r.crc) {
      fail(what_, "record \"" + r.name + "\" fails its CRC-32 check; the file is corrupt");
    }
  }
}

}  // namespace reel::neural
