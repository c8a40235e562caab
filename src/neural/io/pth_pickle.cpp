#include "neural/io/pth_pickle.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <string_view>
#include <unordered_map>

#include "reel/core/error.hpp"

namespace reel::neural::pth {

namespace {

// A state dict's pickle is a few hundred bytes per tensor; these bound what a hostile
// one can make the machine hold (objects are ~80 bytes each: 2 Mi of them ≈ 170 MB).
constexpr std::size_t kMaxObjects = 1u << 21;
constexpr std::size_t kMaxItems = 1u << 22;  // container slots, all containers together
constexpr std::size_t kMaxMemo = 1u << 22;
constexpr std::size_t kMaxMarkDepth = 64;  // torch nests 3 deep; a nested dict adds 2
constexpr std::size_t kMaxTensors = 1u << 17;
constexpr std::size_t kMaxRank = 8;

enum Global : std::int64_t {
  ordered_dict = 1,
  rebuild_tensor = 2,
  rebuild_parameter = 3,
  rebuild_parameter_with_state = 4,
  storage_base = 100,  // + the DType's index in kStorages
};

struct AllowedGlobal {
  std::string_view module;
  std::string_view name;
  std::int64_t id;
};

struct StorageClass {
  std::string_view name;
  DType dtype;
};

constexpr std::array<StorageClass, 10> kStorages{{
    {"FloatStorage", DType::f32},
    {"HalfStorage", DType::f16},
    {"BFloat16Storage", DType::bf16},
    {"DoubleStorage", DType::f64},
    {"LongStorage", DType::i64},
    {"IntStorage", DType::i32},
    {"ShortStorage", DType::i16},
    {"CharStorage", DType::i8},
    {"ByteStorage", DType::u8},
    {"BoolStorage", DType::boolean},
}};

constexpr std::array<AllowedGlobal, 4> kCallables{{
    {"collections", "OrderedDict", ordered_dict},
    {"torch._utils", "_rebuild_tensor_v2", rebuild_tensor},
    {"torch._utils", "_rebuild_parameter", rebuild_parameter},
    {"torch._utils", "_rebuild_parameter_with_state", rebuild_parameter_with_state},
}};

std::string allowed_list() {
  std::string out;
  for (const auto& g : kCallables) {
    out += std::string(g.module) + "." + std::string(g.name) + ", ";
  }
  out += "torch.{";
  for (std::size_t i = 0; i < kStorages.size(); ++i) {
    out += (i ? "," : "") + std::string(kStorages[i].name);
  }
  return out + "}";
}

class Machine {
 public:
  Machine(std::span<const std::uint8_t> pickle, const std::string& what)
      : in_(pickle), what_(what) {}

  Unpickled run();

 private:
  [[noreturn]] void fail(const std::string& message, ErrorKind kind = ErrorKind::ModelLoad) const {
    throw Error(kind, what_ + ": data.pkl byte " + std::to_string(op_at_) + ": " + message);
  }

  std::uint64_t take(std::size_t n) {  // little-endian unsigned
    const std::uint8_t* p = bytes(n);
    std::uint64_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
  }
  const std::uint8_t* bytes(std::uint64_t n) {
    if (n > in_.size() - pos_) {
      fail("needs " + std::to_string(n) + " bytes but only " + std::to_string(in_.size() - pos_) +
           " remain; the pickle is truncated");
    }
    const std::uint8_t* p = in_.data() + pos_;
    pos_ += n;
    return p;
  }
  std::string_view line() {  // GLOBAL's newline-terminated fields
    const std::size_t start = pos_;
    while (pos_ < in_.size() && in_[pos_] != '\n') ++pos_;
    if (pos_ == in_.size()) fail("GLOBAL name has no terminating newline");
    return {reinterpret_cast<const char*>(in_.data()) + start, pos_++ - start};
  }

  std::uint32_t add(Object object) {
    if (objects_.size() >= kMaxObjects) {
      fail("builds more than " + std::to_string(kMaxObjects) + " objects; the limit guards memory");
    }
    objects_.push_back(std::move(object));
    return static_cast<std::uint32_t>(objects_.size() - 1);
  }
  void push(std::uint32_t index) {
    if (stack_.size() >= kMaxObjects) fail("stack grows past its limit");
    stack_.push_back(index);
  }
  std::uint32_t pop() {
    if (stack_.size() <= floor()) fail("pops from an empty stack (or across a MARK)");
    const std::uint32_t v = stack_.back();
    stack_.pop_back();
    return v;
  }
  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  // Items since the last MARK, which is removed.
  std::vector<std::uint32_t> pop_mark() {
    if (marks_.empty()) fail("closes a MARK that was never opened");
    const std::size_t at = marks_.back();
    marks_.pop_back();
    std::vector<std::uint32_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(at),
                                     stack_.end());
    stack_.resize(at);
    return items;
  }
  Object& top() {
    if (stack_.size() <= floor()) fail("needs an object on the stack but it is empty");
    return objects_[stack_.back()];
  }
  void add_items(Object& container, const std::vector<std::uint32_t>& items) {
    items_ += items.size();
    if (items_ > kMaxItems)
      fail("puts more than " + std::to_string(kMaxItems) + " items in containers");
    container.items.insert(container.items.end(), items.begin(), items.end());
  }
  std::uint32_t make(Kind kind, std::vector<std::uint32_t> items = {}) {
    Object o;
    o.kind = kind;
    items_ += items.size();
    if (items_ > kMaxItems)
      fail("puts more than " + std::to_string(kMaxItems) + " items in containers");
    o.items = std::move(items);
    return add(std::move(o));
  }
  std::uint32_t make_int(std::int64_t v, Kind kind = Kind::integer) {
    Object o;
    o.kind = kind;
    o.value = v;
    return add(std::move(o));
  }
  std::uint32_t make_string(std::string_view text, Kind kind) {
    if (kind == Kind::string && !valid_utf8(text)) fail("string is not valid UTF-8");
    Object o;
    o.kind = kind;
    o.text = std::string(text);
    return add(std::move(o));
  }
  void memo_put(std::uint64_t key) {
    if (stack_.size() <= floor()) fail("memoizes from an empty stack");
    if (memo_.size() >= kMaxMemo && !memo_.count(key)) {
      fail("memo grows past " + std::to_string(kMaxMemo) + " entries");
    }
    memo_[key] = stack_.back();
  }
  void memo_get(std::uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end())
      fail("reads memo entry " + std::to_string(key) + ", which was never set");
    push(it->second);
  }

  void global(std::string_view module, std::string_view name);
  void persistent_id();
  void reduce();
  std::uint32_t make_tensor(const std::vector<std::uint32_t>& args);
  std::int64_t integer(std::uint32_t index, const std::string& field) const {
    const Object& o = objects_[index];
    if (o.kind != Kind::integer || o.value < 0) {
      fail(field + " is not a non-negative integer");
    }
    return o.value;
  }
  std::vector<std::int64_t> int_tuple(std::uint32_t index, const std::string& field) const {
    const Object& o = objects_[index];
    if (o.kind != Kind::tuple) fail(field + " is not a tuple");
    if (o.items.size() > kMaxRank) {
      fail(field + " has " + std::to_string(o.items.size()) + " dimensions; the limit is " +
           std::to_string(kMaxRank));
    }
    std::vector<std::int64_t> out;
    for (std::uint32_t i : o.items) out.push_back(integer(i, field + " entry"));
    return out;
  }

  std::span<const std::uint8_t> in_;
  const std::string& what_;
  std::size_t pos_ = 0;
  std::size_t op_at_ = 0;
  std::vector<Object> objects_;
  std::vector<std::uint32_t> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, std::uint32_t> memo_;
  std::size_t items_ = 0;
  std::vector<StorageRef> storages_;
  std::unordered_map<std::string, std::uint32_t> storage_of_key_;
  std::vector<TensorRef> tensors_;
};

void Machine::global(std::string_view module, std::string_view name) {
  Object o;
  o.kind = Kind::global;
  o.text = std::string(module) + "." + std::string(name);
  for (const auto& g : kCallables) {
    if (g.module == module && g.name == name) o.value = g.id;
  }
  if (module == "torch") {
    for (std::size_t i = 0; i < kStorages.size(); ++i) {
      if (kStorages[i].name == name) o.value = storage_base + static_cast<std::int64_t>(i);
    }
  }
  if (o.value == 0) {
    std::string shown = o.text.substr(0, 200);
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
    }
    fail("refers to global " + shown +
         ", which a state dict does not need, so it is refused and never called; allowed: " +
         allowed_list() +
         " (a model saved whole with torch.save(model) must be re-saved as "
         "torch.save(model.state_dict()))");
  }
  push(add(std::move(o)));
}

// torch's persistent id: ('storage', storage class, key, location, numel).
void Machine::persistent_id() {
  const Object& pid = objects_[pop()];
  if (pid.kind != Kind::tuple || pid.items.size() != 5 ||
      objects_[pid.items[0]].kind != Kind::string || objects_[pid.items[0]].text != "storage") {
    fail("persistent id is not ('storage', storage class, key, location, numel)");
  }
  const Object& cls = objects_[pid.items[1]];
  const Object& key = objects_[pid.items[2]];
  if (cls.kind != Kind::global || cls.value < storage_base) {
    fail("persistent id names " + (cls.kind == Kind::global ? cls.text : std::string("a value")) +
         " as its storage class; expected torch.FloatStorage, torch.BFloat16Storage, ...");
  }
  if (key.kind != Kind::string || key.text.empty() || key.text.size() > 64 ||
      key.text.find('/') != std::string::npos) {
    fail("persistent id storage key is not a short name without '/'");
  }
  if (objects_[pid.items[3]].kind != Kind::string) {
    fail("persistent id location is not a string");
  }
  StorageRef ref;
  ref.dtype = kStorages[static_cast<std::size_t>(cls.value - storage_base)].dtype;
  ref.key = key.text;
  ref.numel = static_cast<std::uint64_t>(integer(pid.items[4], "persistent id numel"));
  auto [it, inserted] =
      storage_of_key_.emplace(ref.key, static_cast<std::uint32_t>(storages_.size()));
  if (inserted) {
    storages_.push_back(ref);
  } else {
    const StorageRef& seen = storages_[it->second];
    if (seen.dtype != ref.dtype || seen.numel != ref.numel) {
      fail("storage \"" + ref.key + "\" is named again as " + std::string(dtype_name(ref.dtype)) +
           " x " + std::to_string(ref.numel) + " after " + std::string(dtype_name(seen.dtype)) +
           " x " + std::to_string(seen.numel) + "; one storage has one type and size");
    }
  }
  Object o;
  o.kind = Kind::storage;
  o.value = it->second;
  push(add(std::move(o)));
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
// backward_hooks[, metadata]).
std::uint32_t Machine::make_tensor(const std::vector<std::uint32_t>& args) {
  if (args.size() != 6 && args.size() != 7) {
    fail("_rebuild_tensor_v2 takes 6 or 7 arguments, got " + std::to_string(args.size()));
  }
  const Object& storage = objects_[args[0]];
  if (storage.kind != Kind::storage) fail("_rebuild_tensor_v2's first argument is not a storage");
  TensorRef t;
  t.storage = static_cast<std::uint32_t>(storage.value);
  const StorageRef& s = storages_[t.storage];
  t.offset = static_cast<std::uint64_t>(integer(args[1], "tensor storage offset"));
  t.shape = int_tuple(args[2], "tensor size");
  t.strides = int_tuple(args[3], "tensor stride");
  if (t.shape.size() != t.strides.size()) {
    fail("tensor size has " + std::to_string(t.shape.size()) + " dimensions but its stride has " +
         std::to_string(t.strides.size()));
  }
  if (objects_[args[4]].kind != Kind::boolean) fail("tensor requires_grad is not a bool");
  const Object& hooks = objects_[args[5]];
  if (hooks.kind != Kind::dict || !hooks.items.empty()) {
    fail("tensor backward hooks are not an empty OrderedDict; hooks are code, not weights");
  }
  if (args.size() == 7 && objects_[args[6]].kind != Kind::dict) {
    fail("tensor metadata is not a dict");
  }
  // Elements, and the last element's index + 1: both must fit in the storage, so no
  // tensor can claim (or make to_f32 allocate) more than the file holds.
  std::uint64_t count = 1, extent = t.offset + 1;
  for (std::size_t d = 0; d < t.shape.size(); ++d) {
    std::uint64_t span = 0;
    const auto size = static_cast<std::uint64_t>(t.shape[d]);
    if (__builtin_mul_overflow(count, size, &count) ||
        (size > 0 &&
         (__builtin_mul_overflow(size - 1, static_cast<std::uint64_t>(t.strides[d]), &span) ||
          __builtin_add_overflow(extent, span, &extent)))) {
      fail("tensor size and stride overflow 64 bits");
    }
  }
  if (count == 0) extent = 0;
  if (count > s.numel && extent <= s.numel) {
    fail("tensor of " + std::to_string(count) +
             " elements is a self-overlapping (e.g. stride-0 broadcast) view of storage \"" +
             s.key + "\" of " + std::to_string(s.numel) +
             " elements; save it with .contiguous() (this reader never allocates more elements "
             "than the file stores)",
         ErrorKind::Unsupported);
  }
  if (count > s.numel || extent > s.numel) {
    fail("tensor of " + std::to_string(count) + " elements reaching element " +
         std::to_string(extent) + " does not fit in storage \"" + s.key + "\" of " +
         std::to_string(s.numel) + " elements");
  }
  if (tensors_.size() >= kMaxTensors) {
    fail("has more than " + std::to_string(kMaxTensors) + " tensors");
  }
  tensors_.push_back(std::move(t));
  Object o;
  o.kind = Kind::tensor;
  o.value = static_cast<std::int64_t>(tensors_.size() - 1);
  return add(std::move(o));
}

void Machine::reduce() {
  const std::uint32_t args_index = pop();
  const std::uint32_t callable_index = pop();
  const Object& callable = objects_[callable_index];
  const Object& args_object = objects_[args_index];
  if (callable.kind != Kind::global) fail("REDUCE calls something that is not a global");
  if (args_object.kind != Kind::tuple) fail("REDUCE arguments are not a tuple");
  const std::vector<std::uint32_t> args = args_object.items;
  switch (callable.value) {
    case ordered_dict:
      if (!args.empty()) fail("collections.OrderedDict is called with arguments; expected none");
      push(make(Kind::dict));
      return;
    case rebuild_tensor:
      push(make_tensor(args));
      return;
    case rebuild_parameter:
    case rebuild_parameter_with_state:
      if (args.size() != (callable.value == rebuild_parameter ? 3u : 4u) ||
          objects_[args[0]].kind != Kind::tensor) {
        fail(callable.text + " is not called as (tensor, requires_grad, hooks[, state])");
      }
      push(args[0]);
      return;
    default:
      fail(callable.text + " is a storage class, not something to call");
  }
}

Unpickled Machine::run() {
  if (in_.empty() || in_[0] != 0x80) {
    fail(
        "has no protocol marker, so it is a protocol 0/1 pickle or not a pickle; only "
        "protocols 2-5 are supported (torch.save writes 2)",
        ErrorKind::Unsupported);
  }
  if (in_.size() < 2 || in_[1] < 2 || in_[1] > 5) {
    fail("is not pickle protocol 2-5 (torch.save writes 2)");
  }
  pos_ = 2;
  while (true) {
    op_at_ = pos_;
    if (pos_ >= in_.size()) fail("ends without a STOP opcode; the pickle is truncated");
    const std::uint8_t op = in_[pos_++];
    switch (op) {
      case '.': {  // STOP
        if (!marks_.empty() || stack_.size() != 1) {
          fail("STOP with " + std::to_string(stack_.size()) + " objects and " +
               std::to_string(marks_.size()) + " open MARKs; expected exactly one result");
        }
        if (pos_ != in_.size()) {
          fail(std::to_string(in_.size() - pos_) + " bytes follow STOP; expected none");
        }
        Unpickled out;
        out.root = stack_.back();
        out.objects = std::move(objects_);
        out.storages = std::move(storages_);
        out.tensors = std::move(tensors_);
        return out;
      }
      case 0x95:  // FRAME (protocol 4): a length hint only
        if (take(8) > in_.size() - pos_) fail("FRAME is longer than the rest of the pickle");
        break;
      case '(':  // MARK
        if (marks_.size() >= kMaxMarkDepth) {
          fail("nests MARKs deeper than " + std::to_string(kMaxMarkDepth));
        }
        marks_.push_back(stack_.size());
        break;
      case '0':  // POP
        pop();
        break;
      case '1':  // POP_MARK
        pop_mark();
        break;
      case 'N':
        push(make(Kind::none));
        break;
      case 0x88:
      case 0x89:
        push(make_int(op == 0x88, Kind::boolean));
        break;
      case 'J':
        push(make_int(static_cast<std::int32_t>(take(4))));
        break;
      case 'K':
        push(make_int(static_cast<std::int64_t>(take(1))));
        break;
      case 'M':
        push(make_int(static_cast<std::int64_t>(take(2))));
        break;
      case 0x8a: {  // LONG1: n-byte two's complement
        const std::uint64_t n = take(1);
        if (n > 8) fail("integer of " + std::to_string(n) + " bytes is wider than 64 bits");
        std::uint64_t v = n ? take(static_cast<std::size_t>(n)) : 0;
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) != 0) v |= ~0ull << (8 * n);  // sign-extend
        push(make_int(static_cast<std::int64_t>(v)));
        break;
      }
      case 'G': {  // BINFLOAT, big-endian
        std::uint64_t bits = 0;
        const std::uint8_t* p = bytes(8);
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
        Object o;
        o.kind = Kind::real;
        o.real = std::bit_cast<double>(bits);
        push(add(std::move(o)));
        break;
      }
      case 'X':
      case 0x8c:
      case 0x8d:
      case 'T':
      case 'U':
      case 'B':
      case 'C': {
        const std::size_t width = (op == 0x8c || op == 'U' || op == 'C') ? 1 : op == 0x8d ? 8 : 4;
        const std::uint64_t n = take(width);
        const std::uint8_t* p = bytes(n);
        const Kind kind = (op == 'B' || op == 'C') ? Kind::bytes : Kind::string;
        push(make_string({reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)}, kind));
        break;
      }
      case ')':
        push(make(Kind::tuple));
        break;
      case 0x85:
      case 0x86:
      case 0x87: {
        std::vector<std::uint32_t> items(op - 0x84);
        for (std::size_t i = items.size(); i-- > 0;) items[i] = pop();
        push(make(Kind::tuple, std::move(items)));
        break;
      }
      case 't':
        push(make(Kind::tuple, pop_mark()));
        break;
      case ']':
        push(make(Kind::list));
        break;
      case '}':
        push(make(Kind::dict));
        break;
      case 'a': {
        const std::uint32_t item = pop();
        Object& list = top();
        if (list.kind != Kind::list) fail("APPEND to something that is not a list");
        add_items(list, {item});
        break;
      }
      case 'e': {
        const auto items = pop_mark();
        Object& list = top();
        if (list.kind != Kind::list) fail("APPENDS to something that is not a list");
        add_items(list, items);
        break;
      }
      case 's': {
        const std::uint32_t value = pop();
        const std::uint32_t key = pop();
        Object& dict = top();
        if (dict.kind != Kind::dict) fail("SETITEM on something that is not a dict");
        add_items(dict, {key, value});
        break;
      }
      case 'u': {
        const auto items = pop_mark();
        if (items.size() % 2 != 0) fail("SETITEMS with an odd number of keys and values");
        Object& dict = top();
        if (dict.kind != Kind::dict) fail("SETITEMS on something that is not a dict");
        add_items(dict, items);
        break;
      }
      case 'c': {
        const std::string_view module = line();
        const std::string_view name = line();
        global(module, name);
        break;
      }
      case 0x93: {  // STACK_GLOBAL (protocol 4)
        const Object& name = objects_[pop()];
        const Object& module = objects_[pop()];
        if (module.kind != Kind::string || name.kind != Kind::string) {
          fail("STACK_GLOBAL needs a module and a name string");
        }
        global(module.text, name.text);
        break;
      }
      case 'q':
        memo_put(take(1));
        break;
      case 'r':
        memo_put(take(4));
        break;
      case 0x94:  // MEMOIZE (protocol 4)
        memo_put(memo_.size());
        break;
      case 'h':
        memo_get(take(1));
        break;
      case 'j':
        memo_get(take(4));
        break;
      case 'Q':
        persistent_id();
        break;
      case 'R':
        reduce();
        break;
      case 'b': {  // BUILD: only an OrderedDict's attributes (state_dict()._metadata)
        const std::uint32_t state = pop();
        if (top().kind != Kind::dict || objects_[state].kind != Kind::dict) {
          fail(
              "BUILD sets state on something that is not a dict; only an OrderedDict's "
              "_metadata is expected");
        }
        break;
      }
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const std::string hex = {'0', 'x', kHex[op >> 4], kHex[op & 15]};
        fail("opcode " + hex +
                 " is outside the subset a state dict uses (no INST/OBJ/NEWOBJ/EXT, "
                 "no protocol 0/1 text opcodes)",
             ErrorKind::Unsupported);
      }
    }
  }
}

}  // namespace

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<std::uint8_t>(s[i]);
    int extra;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= static_cast<std::size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto d = static_cast<std::uint8_t>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Python's encoder writes surrogates only with surrogatepass; pickles never carry them.
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += 1 + extra;
  }
  return true;
}

Unpickled unpickle(std::span<const std::uint8_t> pickle, const std::string& what) {
  return Machine(pickle, what).run();
}

}  // namespace reel::neural::pth
