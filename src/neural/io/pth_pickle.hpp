#pragma once
// A restricted pickle machine for PyTorch state dicts: it builds plain values (None,
// bools, ints, floats, strings, tuples, lists, dicts) and knows exactly the callables
// a state dict is made of (collections.OrderedDict, torch._utils._rebuild_tensor_v2,
// _rebuild_parameter[_with_state]) and the typed-storage classes named in persistent
// ids. Any other global is refused by name when it is read, so nothing is ever called.
// Objects live in one arena and refer to each other by index, so a hostile pickle that
// builds cycles or deep nesting cannot leak or overflow the stack. Private to neural_io.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reel/neural/safetensors.hpp"

namespace reel::neural::pth {

enum class Kind : std::uint8_t {
  none,
  boolean,
  integer,
  real,
  string,
  bytes,
  tuple,
  list,
  dict,
  global,
  storage,
  tensor
};

struct Object {
  Kind kind = Kind::none;
  std::int64_t value = 0;  // bool/int value; the index into storages/tensors; a global's id
  double real = 0;
  std::string text;                  // string and bytes contents; a global's dotted name
  std::vector<std::uint32_t> items;  // tuple/list items; dict keys and values, interleaved
};

struct StorageRef {
  DType dtype = DType::f32;
  std::string key;  // record `<archive>/data/<key>`
  std::uint64_t numel = 0;
};

struct TensorRef {
  std::uint32_t storage = 0;
  std::uint64_t offset = 0;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;
};

struct Unpickled {
  std::vector<Object> objects;
  std::vector<StorageRef> storages;
  std::vector<TensorRef> tensors;  // every tensor's extent lies inside its storage's numel
  std::uint32_t root = 0;
};

// Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF); the
// tokenizer uses it too.
bool valid_utf8(std::string_view text);

// Throws ModelLoad prefixed with `what` (Unsupported for a valid pickle outside the
// subset, e.g. an unknown opcode).
Unpickled unpickle(std::span<const std::uint8_t> pickle, const std::string& what);

}  // namespace reel::neural::pth
