#include "reel/neural/pth.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

// Writes every checkpoint the tests read, with PyTorch itself (torch.save) or, for the
// hostile ones, Python's pickle and zipfile. Beside each state dict it writes a manifest
// (name, dtype, shape, strides, offset, contiguous, count) and the values as float32,
// computed by torch, which reel must reproduce bit for bit.
constexpr const char* kMakeCheckpoints = R"PY(
import collections, io, os, pickle, struct, sys, zipfile, zlib
import torch
out = sys.argv[1]
torch.manual_seed(7)
OD = collections.OrderedDict
DT = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int64: 'I64'}

def manifest(name, sd):
    with open(f'{out}/{name}.manifest', 'w') as m, open(f'{out}/{name}.values', 'wb') as v:
        for key, t in sd.items():
            t = t.detach()
            vals = t.double().reshape(-1).tolist()  # f16/bf16 values are exact in f32
            v.write(struct.pack('<%df' % len(vals), *vals))
            m.write('\t'.join([key, DT[t.dtype], ','.join(map(str, t.shape)) or '-',
                               ','.join(map(str, t.stride())) or '-', str(t.storage_offset()),
                               str(int(t.is_contiguous())), str(len(vals))]) + '\n')

def save(name, obj, sd=None, **kw):
    torch.save(obj, f'{out}/{name}', **kw)
    if sd is not None:
        manifest(name, sd)

base = torch.randn(3, 4)
f16 = torch.randn(6, 8).half()
basic = OD()
basic['f32.matrix'] = torch.randn(5, 7)
basic['f32.4d'] = torch.randn(2, 3, 4, 5)
basic['f32.scalar'] = torch.tensor(3.25)
basic['f32.empty'] = torch.zeros(0, 3)
basic['f32.special'] = torch.tensor([float('inf'), -float('inf'), float('nan'), -0.0, 1e-45, 3.4e38])
basic['f16.vec'] = torch.cat([torch.randn(29), torch.tensor([65504.0, 6e-8, -0.0, float('inf')])]).half()
basic['bf16.matrix'] = torch.randn(4, 6).bfloat16()
basic['view.base'] = base
basic['view.transposed'] = base.t()
basic['view.row'] = base[1]
basic['view.col'] = base[:, 2]
basic['view.f16.sliced'] = f16[1:5:2, ::3]
basic['param'] = torch.nn.Parameter(torch.randn(3))
basic['i64.steps'] = torch.tensor([1, 2, -3])
save('basic.pth', basic, basic)

hundred = OD()
for i in range(100):
    dtype = [torch.float32, torch.float16, torch.bfloat16][i % 3]
    hundred[f'blocks.{i}.weight'] = torch.randn(i % 4 + 1, i % 7 + 1).to(dtype)
save('hundred.pth', hundred, hundred)

model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
sd = model.state_dict()
save('nested.pth', {'state_dict': sd, 'epoch': 3, 'lr': 0.1, 'note': 'caf\u00e9', 'hist': [1, 2]}, sd)
save('model_key.pth', {'model': sd, 'optimizer': 'adam'}, sd)
save('proto4.pth', basic, basic, pickle_protocol=4)
save('too_deep.pth', {'outer': {'state_dict': sd}})
save('expanded.pth', {'e': torch.randn(1, 3).expand(4, 3)})
save('whole_model.pth', torch.nn.Linear(2, 2))
save('legacy.pth', basic, _use_new_zipfile_serialization=False)
torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), f'{out}/script.pt')

class Evil:
    def __reduce__(self):
        return (os.system, (f'touch {out}/pwned',))
save('evil.pth', {'w': torch.ones(2), 'x': Evil()})
save('evil4.pth', {'w': torch.ones(2), 'x': Evil()}, pickle_protocol=4)

def entries(name):
    z = zipfile.ZipFile(f'{out}/{name}')
    return [(i.filename, z.read(i.filename)) for i in z.infolist()]

with zipfile.ZipFile(f'{out}/deflated.pth', 'w', zipfile.ZIP_DEFLATED) as z:
    for n, data in entries('basic.pth'):
        z.writestr(n, data)

# Hand-made pickles: a Pickler whose persistent ids are storages, as torch's are.
class Storage:
    def __init__(self, cls, key, numel):
        self.cls, self.key, self.numel = cls, key, numel
class Rebuild:
    def __init__(self, *args):
        self.args = args
    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)
class Call:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args
    def __reduce__(self):
        return (self.fn, self.args)
class P(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ('storage', obj.cls, obj.key, 'cpu', obj.numel)
        return None

def craft_raw(name, data, records, extra={}):
    with zipfile.ZipFile(f'{out}/{name}', 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', data)
        for key, b in records.items():
            z.writestr('archive/data/' + key, b)
        z.writestr('archive/version', '3\n')
        for key, b in extra.items():
            z.writestr('archive/' + key, b)

def craft(name, obj, records={'0': bytes(16)}, extra={}):
    buf = io.BytesIO()
    P(buf, protocol=2).dump(obj)
    craft_raw(name, buf.getvalue(), records, extra)

F = torch.FloatStorage
def t(shape, stride, offset=0, numel=4, key='0', cls=F, hooks=None):
    return Rebuild(Storage(cls, key, numel), offset, shape, stride, False, hooks or OD())
craft('ok.pth', {'a': t((2, 2), (2, 1)), 'b': t((2,), (1,), offset=2)})
# The records PyTorch 2.x adds beside the pickle.
torch2 = {'byteorder': 'little', '.data/version': '3\n', '.data/serialization_id': '0' * 40}
craft('torch2.pth', {'a': t((2, 2), (2, 1))}, extra=torch2)
craft('big_endian.pth', {'a': t((2, 2), (2, 1))}, extra={'byteorder': 'big'})
craft('huge_shape.pth', {'a': t((1 << 40, 1 << 40), (1 << 40, 1))})
craft('long_shape.pth', {'a': t((1 << 20,), (1,))})
craft('offset_past.pth', {'a': t((2,), (1,), offset=3)})
craft('stride_past.pth', {'a': t((2, 2), (3, 1))})
craft('numel_mismatch.pth', {'a': t((2,), (1,), numel=8)})
craft('missing_record.pth', {'a': t((2,), (1,), key='9')})
craft('two_types.pth', {'a': t((2,), (1,)), 'b': t((2,), (1,), cls=torch.HalfStorage, numel=8)})
craft('negative_stride.pth', {'a': t((2,), (-1,), offset=1)})
craft('rank_mismatch.pth', {'a': t((2, 2), (1,))})
craft('rank9.pth', {'a': t((1,) * 9, (1,) * 9)})
craft('hooks.pth', {'a': t((2,), (1,), hooks=OD(h=1))})
craft('load_from_bytes.pth', {'a': Call(torch.storage._load_from_bytes, b'x')})
craft('builtins_eval.pth', {'a': Call(eval, '1+1')})
craft('top_list.pth', [t((2,), (1,))])
craft('int_key.pth', {1: t((2,), (1,))})
craft('storage_called.pth', {'a': Call(torch.FloatStorage, 4)})
buf = io.BytesIO()
P(buf, protocol=2).dump({'a': t((2,), (1,)), 'b': t((2,), (1,), offset=2)})
craft_raw('duplicate.pth', buf.getvalue().replace(b'X\x01\x00\x00\x00b', b'X\x01\x00\x00\x00a'),
          {'0': bytes(16)})
craft_raw('many_objects.pth', b'\x80\x02' + b'N' * 3000000 + b'.', {})
craft_raw('deep_marks.pth', b'\x80\x02' + b'(' * 100 + b'.', {})
craft_raw('sparse_memo.pth', b'\x80\x02}r\xff\xff\xff\xffj\xff\xff\xff\xff0.', {})
craft_raw('no_stop.pth', b'\x80\x02}', {})
craft_raw('protocol0.pth', b'(dp0\n.', {})
)PY";

// Rewrites a checkpoint as ZIP64 by hand, every size and offset in the extra fields, after
// a 4.5 GiB sparse hole so the records really sit past 4 GiB; Python's zipfile must read
// it back. Run into a TempDir: a sparse file in a build tree could be copied densely.
constexpr const char* kMakeZip64 = R"PY(
import struct, sys, zipfile, zlib
def write_zip64(src, dst, hole):
    z = zipfile.ZipFile(src)
    items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with open(dst, 'wb') as f:
        f.seek(hole)
        central = b''
        for n, data in items:
            off, nb, crc = f.tell(), n.encode(), zlib.crc32(data)
            extra = struct.pack('<HHQQ', 1, 16, len(data), len(data))
            f.write(struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, 0, 0, 0x21, crc,
                                0xFFFFFFFF, 0xFFFFFFFF, len(nb), len(extra)) + nb + extra + data)
            cextra = struct.pack('<HHQQQ', 1, 24, len(data), len(data), off)
            central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, 0, 0, 0x21, crc,
                                   0xFFFFFFFF, 0xFFFFFFFF, len(nb), len(cextra), 0, 0, 0, 0,
                                   0xFFFFFFFF) + nb + cextra
        cd, count = f.tell(), len(items)
        f.write(central)
        z64 = f.tell()
        f.write(struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, count, count, len(central), cd))
        f.write(struct.pack('<IIQI', 0x07064b50, 0, z64, 1))
        f.write(struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    z = zipfile.ZipFile(dst)
    assert z.testzip() is None and [(i.filename, z.read(i)) for i in z.infolist()] == items

write_zip64(sys.argv[1], sys.argv[2], 9 << 29)
)PY";

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Generated once per build tree (tests run as separate processes), into a folder named
// after the script, so a changed script makes fresh files.
const std::filesystem::path& fixtures() {
  static const std::filesystem::path dir = [] {
    const auto hash = std::hash<std::string_view>{}(kMakeCheckpoints);
    const std::filesystem::path done =
        std::filesystem::path(REEL_BINARY_DIR) / ("pth-fixtures-" + std::to_string(hash));
    if (std::filesystem::exists(done / "complete")) return done;
    const std::filesystem::path tmp = done.string() + ".tmp" + std::to_string(::getpid());
    std::filesystem::create_directories(tmp);
    write_file_atomic(tmp / "make.py", std::string_view(kMakeCheckpoints));
    const auto res = reel::testing::run_command(
        "/usr/bin/python3 " + (tmp / "make.py").string() + " " + tmp.string(), true);
    if (res.status != 0) {
      ADD_FAILURE() << "generating checkpoints with python3-torch failed:\n" << res.output;
      return tmp;
    }
    write_file_atomic(tmp / "complete", std::string_view("ok"));
    std::error_code ec;
    std::filesystem::rename(tmp, done, ec);
    if (ec) std::filesystem::remove_all(tmp, ec);  // another test process got there first
    return done;
  }();
  return dir;
}

struct Expected {
  std::string name, dtype;
  std::vector<std::int64_t> shape, strides;
  std::uint64_t offset = 0;
  bool contiguous = false;
  std::vector<float> values;
};

std::vector<std::int64_t> ints(const std::string& field) {
  std::vector<std::int64_t> out;
  if (field == "-") return out;
  std::istringstream in(field);
  std::string part;
  while (std::getline(in, part, ',')) out.push_back(std::stoll(part));
  return out;
}

std::vector<Expected> manifest(const std::string& name) {
  std::ifstream in(fixtures() / (name + ".manifest"));
  const std::string values = slurp(fixtures() / (name + ".values"));
  std::vector<Expected> out;
  std::size_t at = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string shape, strides, offset, contiguous, count;
    Expected e;
    std::getline(fields, e.name, '\t');
    std::getline(fields, e.dtype, '\t');
    std::getline(fields, shape, '\t');
    std::getline(fields, strides, '\t');
    std::getline(fields, offset, '\t');
    std::getline(fields, contiguous, '\t');
    std::getline(fields, count, '\t');
    e.shape = ints(shape);
    e.strides = ints(strides);
    e.offset = std::stoull(offset);
    e.contiguous = contiguous == "1";
    e.values.resize(std::stoull(count));
    EXPECT_LE(at + e.values.size() * 4, values.size());
    std::memcpy(e.values.data(), values.data() + at, e.values.size() * 4);
    at += e.values.size() * 4;
    out.push_back(std::move(e));
  }
  EXPECT_EQ(at, values.size()) << name;
  return out;
}

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Every tensor the manifest names is there with torch's metadata and torch's values.
void expect_matches(const PthFile& file, const std::vector<Expected>& expected) {
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(file.tensors().size(), expected.size()) << file.what();
  for (const auto& e : expected) {
    const PthTensor* t = file.find(e.name);
    ASSERT_NE(t, nullptr) << e.name;
    EXPECT_EQ(dtype_name(t->dtype), e.dtype) << e.name;
    EXPECT_EQ(t->shape, e.shape) << e.name;
    EXPECT_EQ(t->strides, e.strides) << e.name;
    EXPECT_EQ(t->storage_offset, e.offset) << e.name;
    EXPECT_EQ(t->is_contiguous(), e.contiguous) << e.name;
    EXPECT_EQ(t->element_count(), e.values.size()) << e.name;
    if (e.dtype == "I64") {
      ASSERT_TRUE(e.contiguous);
      const auto bytes = file.data(*t);
      ASSERT_EQ(bytes.size(), e.values.size() * 8);
      for (std::size_t i = 0; i < e.values.size(); ++i) {
        std::int64_t v;
        std::memcpy(&v, bytes.data() + 8 * i, 8);
        EXPECT_EQ(static_cast<float>(v), e.values[i]) << e.name;
      }
      continue;
    }
    const auto got = file.to_f32(*t);
    ASSERT_EQ(got.size(), e.values.size()) << e.name;
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(bits(got[i]), bits(e.values[i]))
          << e.name << "[" << i << "] " << got[i] << " vs " << e.values[i];
    }
    if (e.contiguous) {
      EXPECT_EQ(file.data(*t).size(), e.values.size() * dtype_size(t->dtype)) << e.name;
    } else {
      try {
        file.data(*t);
        ADD_FAILURE() << e.name << ": data() of a strided view";
      } catch (const Error& err) {
        EXPECT_EQ(err.kind(), ErrorKind::Unsupported);
        EXPECT_NE(err.message().find("strided"), std::string::npos) << err.message();
      }
    }
  }
}

Error error_of(const std::filesystem::path& path) {
  try {
    PthFile::open(path);
  } catch (const Error& e) {
    EXPECT_NE(e.message().find(path.string()), std::string::npos) << e.message();
    return e;
  }
  ADD_FAILURE() << path << " opened";
  return Error(ErrorKind::Internal, "opened");
}

std::string model_load_error(const std::string& name) {
  const Error e = error_of(fixtures() / name);
  EXPECT_EQ(e.kind(), ErrorKind::ModelLoad) << name << ": " << e.message();
  return e.message();
}

std::string unsupported_error(const std::string& name) {
  const Error e = error_of(fixtures() / name);
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << name << ": " << e.message();
  return e.message();
}

std::vector<std::uint8_t> bytes_of(const std::string& name) {
  const std::string s = slurp(fixtures() / name);
  return {s.begin(), s.end()};
}

TEST(Pth, ReadsWhatTorchSaves) {
  const auto file = PthFile::open(fixtures() / "basic.pth");
  EXPECT_EQ(file.archive(), "basic");
  EXPECT_EQ(file.nested_under(), "");
  expect_matches(file, manifest("basic.pth"));
  for (std::size_t i = 1; i < file.tensors().size(); ++i) {
    EXPECT_LT(file.tensors()[i - 1].name, file.tensors()[i].name);
  }
  // Views share their base's storage record, as torch saved them.
  EXPECT_EQ(file.find("view.transposed")->storage, file.find("view.base")->storage);
  EXPECT_EQ(file.storage_bytes(*file.find("view.col")).data(),
            file.storage_bytes(*file.find("view.base")).data());
  EXPECT_EQ(file.find("missing"), nullptr);
  EXPECT_NO_THROW(file.verify_checksums());
  try {
    file.to_f32(*file.find("i64.steps"));
    FAIL() << "I64 converted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
    EXPECT_NE(e.message().find("I64"), std::string::npos) << e.message();
  }
  // A tensor description that does not fit its storage is refused, not read.
  PthTensor forged = *file.find("view.base");
  forged.shape = {1000, 1000};
  forged.strides = {1000, 1};
  EXPECT_THROW(file.to_f32(forged), Error);
  EXPECT_THROW(file.data(forged), Error);

  // The same bytes parsed from memory agree, and survive a move.
  const auto bytes = bytes_of("basic.pth");
  auto parsed = PthFile::parse(bytes, "mem");
  PthFile moved = std::move(parsed);
  expect_matches(moved, manifest("basic.pth"));

  // Protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL) reads the same.
  expect_matches(PthFile::open(fixtures() / "proto4.pth"), manifest("proto4.pth"));
}

TEST(Pth, HundredTensorOrderedDict) {
  const auto file = PthFile::open(fixtures() / "hundred.pth");
  EXPECT_EQ(file.tensors().size(), 100u);
  expect_matches(file, manifest("hundred.pth"));
}

TEST(Pth, OneLevelOfNestingIsRead) {
  const auto nested = PthFile::open(fixtures() / "nested.pth");
  EXPECT_EQ(nested.nested_under(), "state_dict");
  expect_matches(nested, manifest("nested.pth"));
  const auto model = PthFile::open(fixtures() / "model_key.pth");
  EXPECT_EQ(model.nested_under(), "model");
  expect_matches(model, manifest("model_key.pth"));

  const std::string deep = unsupported_error("too_deep.pth");
  EXPECT_NE(deep.find("\"outer\" holds a dict"), std::string::npos) << deep;
  EXPECT_NE(deep.find("\"state_dict\" or \"model\""), std::string::npos) << deep;
  EXPECT_NE(model_load_error("top_list.pth").find("holds a list"), std::string::npos);
  EXPECT_NE(unsupported_error("int_key.pth").find("a key is an int"), std::string::npos);
}

TEST(Pth, GlobalsOutsideTheStateDictSubsetAreRefusedNeverCalled) {
  for (const char* name : {"evil.pth", "evil4.pth"}) {
    const std::string m = model_load_error(name);
    EXPECT_NE(m.find("global posix.system"), std::string::npos) << m;
    EXPECT_NE(m.find("never called"), std::string::npos) << m;
    EXPECT_NE(m.find("torch._utils._rebuild_tensor_v2"), std::string::npos) << m;
  }
  EXPECT_FALSE(std::filesystem::exists(fixtures() / "pwned"));
  EXPECT_NE(model_load_error("load_from_bytes.pth").find("torch.storage._load_from_bytes"),
            std::string::npos);
  EXPECT_NE(model_load_error("builtins_eval.pth").find("__builtin__.eval"), std::string::npos);
  const std::string whole = model_load_error("whole_model.pth");
  EXPECT_NE(whole.find("torch.nn.modules.linear.Linear"), std::string::npos) << whole;
  EXPECT_NE(whole.find("model.state_dict()"), std::string::npos) << whole;
  EXPECT_NE(model_load_error("storage_called.pth").find("not something to call"),
            std::string::npos);
  EXPECT_NE(model_load_error("hooks.pth").find("backward hooks"), std::string::npos);
}

TEST(Pth, OtherFormatsAreNamed) {
  EXPECT_NE(unsupported_error("legacy.pth").find("legacy"), std::string::npos);
  EXPECT_NE(unsupported_error("script.pt").find("TorchScript"), std::string::npos);
  const std::string deflated = unsupported_error("deflated.pth");
  EXPECT_NE(deflated.find("compressed (zip method 8)"), std::string::npos) << deflated;
  EXPECT_NE(unsupported_error("protocol0.pth").find("protocols 2-5"), std::string::npos);
  const std::string expanded = unsupported_error("expanded.pth");
  EXPECT_NE(expanded.find("stride-0"), std::string::npos) << expanded;
}

// Records past 4 GiB in a sparse file: every size and offset comes from ZIP64 fields.
TEST(Pth, Zip64RecordsPastFourGiB) {
  reel::testing::TempDir dir;
  const auto path = dir / "zip64.pth";
  write_file_atomic(dir / "zip64.py", std::string_view(kMakeZip64));
  const auto res =
      reel::testing::run_command("/usr/bin/python3 " + (dir / "zip64.py").string() + " " +
                                     (fixtures() / "basic.pth").string() + " " + path.string(),
                                 true);
  ASSERT_EQ(res.status, 0) << res.output;
  ASSERT_GT(std::filesystem::file_size(path), 9ull << 29);
  const auto file = PthFile::open(path);
  expect_matches(file, manifest("basic.pth"));
  EXPECT_NO_THROW(file.verify_checksums());
}

TEST(Pth, HostileTensorsAndStoragesAreRefused) {
  const auto ok = PthFile::open(fixtures() / "ok.pth");
  EXPECT_EQ(ok.archive(), "archive");
  EXPECT_EQ(ok.to_f32(*ok.find("b")).size(), 2u);

  const auto torch2 = PthFile::open(fixtures() / "torch2.pth");
  EXPECT_EQ(torch2.tensors().size(), 1u);
  EXPECT_NE(unsupported_error("big_endian.pth").find("big-endian"), std::string::npos);

  EXPECT_NE(model_load_error("huge_shape.pth").find("overflow 64 bits"), std::string::npos);
  EXPECT_NE(model_load_error("long_shape.pth").find("does not fit in storage"), std::string::npos);
  EXPECT_NE(model_load_error("offset_past.pth").find("reaching element 5"), std::string::npos);
  EXPECT_NE(model_load_error("stride_past.pth").find("does not fit"), std::string::npos);
  EXPECT_NE(model_load_error("numel_mismatch.pth").find("claims 8 F32 elements"),
            std::string::npos);
  EXPECT_NE(model_load_error("missing_record.pth").find("archive/data/9"), std::string::npos);
  EXPECT_NE(model_load_error("two_types.pth").find("named again as F16"), std::string::npos);
  EXPECT_NE(model_load_error("negative_stride.pth").find("non-negative"), std::string::npos);
  EXPECT_NE(model_load_error("rank_mismatch.pth").find("stride has 1"), std::string::npos);
  EXPECT_NE(model_load_error("rank9.pth").find("the limit is 8"), std::string::npos);
  EXPECT_NE(model_load_error("duplicate.pth").find("\"a\" twice"), std::string::npos);
  EXPECT_NE(model_load_error("deep_marks.pth").find("deeper than 64"), std::string::npos);
  EXPECT_NE(model_load_error("no_stop.pth").find("truncated"), std::string::npos);
  // A memo index of 2^32 - 1 allocates nothing: the file is an empty state dict.
  EXPECT_TRUE(PthFile::open(fixtures() / "sparse_memo.pth").tensors().empty());
}

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// A 3 MB pickle of 3 million Nones: refused at the object limit, quickly, in bounded
// memory (the limit is 2 Mi objects, ~170 MB).
TEST(Pth, ObjectLimitBoundsTimeAndMemory) {
  const long before = peak_rss_kb();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_NE(model_load_error("many_objects.pth").find("more than 2097152 objects"),
            std::string::npos);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(seconds, 10.0);  // ~1-2 s on a shared 2-core VM
  EXPECT_LT(peak_rss_kb() - before, 400 * 1024);
}

std::uint32_t get_u16(const std::vector<std::uint8_t>& b, std::size_t at) {
  return b[at] | (b[at + 1] << 8);
}
std::uint32_t get_u32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return get_u16(b, at) | (get_u16(b, at + 2) << 16);
}
void put_u32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

TEST(Pth, ZipStructureIsChecked) {
  const auto good = bytes_of("ok.pth");
  auto error = [](const std::vector<std::uint8_t>& bytes) {
    try {
      PthFile::parse(bytes, "hostile.pth");
    } catch (const Error& e) {
      EXPECT_NE(e.message().find("hostile.pth: "), std::string::npos) << e.message();
      return e.message();
    }
    ADD_FAILURE() << "parsed";
    return std::string();
  };
  EXPECT_NE(error({}).find("22-byte"), std::string::npos);
  EXPECT_NE(error(std::vector<std::uint8_t>(100, 0)).find("no zip end record"), std::string::npos);

  // Find data.pkl's central directory entry and stretch its size over the next record.
  const std::string text(good.begin(), good.end());
  const std::size_t central = text.find(std::string("PK\x01\x02", 4));
  ASSERT_NE(central, std::string::npos);
  ASSERT_EQ(text.compare(central + 46, 16, "archive/data.pkl"), 0);
  auto stretched = good;
  for (std::size_t field : {central + 20, central + 24}) {
    put_u32(stretched, field, get_u32(good, field) + 16);
  }
  EXPECT_NE(error(stretched).find("overlap"), std::string::npos);

  // A local header offset that points at another entry's header.
  auto moved = good;
  const std::size_t second = text.find(std::string("PK\x03\x04", 4), 4);
  ASSERT_NE(second, std::string::npos);
  put_u32(moved, central + 42, static_cast<std::uint32_t>(second));
  EXPECT_NE(error(moved).find("names a different file"), std::string::npos);

  // A changed storage byte opens (the bytes are weights) but fails verify_checksums.
  const auto file = PthFile::parse(good, "good");
  const std::size_t name_at = text.find("archive/data/0");  // first: its local header
  ASSERT_NE(name_at, std::string::npos);
  auto flipped = good;
  flipped[name_at + 14 + get_u16(good, name_at - 2)] ^= 0x40;
  const auto corrupt = PthFile::parse(flipped, "corrupt");
  EXPECT_NE(corrupt.to_f32(*corrupt.find("a")), file.to_f32(*file.find("a")));
  try {
    corrupt.verify_checksums();
    ADD_FAILURE() << "checksums passed";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("archive/data/0"), std::string::npos) << e.message();
  }
}

// Every prefix of a real checkpoint is refused with a reel::Error, never a crash.
TEST(Pth, EveryTruncationIsRefused) {
  const auto good = bytes_of("nested.pth");
  ASSERT_GT(good.size(), 1000u);
  for (std::size_t n = 0; n < good.size(); ++n) {
    try {
      PthFile::parse(std::span(good.data(), n), "truncated");
      ADD_FAILURE() << "a " << n << "-byte prefix parsed";
    } catch (const Error& e) {
      ASSERT_TRUE(e.kind() == ErrorKind::ModelLoad || e.kind() == ErrorKind::Unsupported)
          << n << ": " << e.message();
    }
  }
}

// Random byte changes, half of them inside the pickle: each file either loads, and then
// every tensor converts to its element count, or is refused with a reel::Error.
TEST(Pth, RandomByteFlipsLoadOrAreRefused) {
  const auto good = bytes_of("nested.pth");
  const std::string text(good.begin(), good.end());
  const std::size_t pickle_start = text.find("\x80\x02");
  const std::size_t pickle_end = text.find("PK\x03\x04", pickle_start);
  ASSERT_LT(pickle_start, pickle_end);
  std::mt19937 rng(20261124);
  int loaded = 0, refused = 0;
  for (int round = 0; round < 600; ++round) {
    auto bytes = good;
    const int flips = 1 + round % 4;
    for (int f = 0; f < flips; ++f) {
      const std::size_t at = round % 2 == 0 ? pickle_start + rng() % (pickle_end - pickle_start)
                                            : rng() % bytes.size();
      bytes[at] = static_cast<std::uint8_t>(rng());
    }
    try {
      const auto file = PthFile::parse(bytes, "flipped");
      for (const auto& t : file.tensors()) {
        if (t.dtype == DType::i64) continue;
        ASSERT_EQ(file.to_f32(t).size(), t.element_count()) << t.name;
      }
      ++loaded;
    } catch (const Error& e) {
      ASSERT_NE(e.kind(), ErrorKind::Internal) << e.message();
      ++refused;
    }
  }
  EXPECT_GT(refused, 100);
  EXPECT_GT(loaded, 10);  // flips in padding and weights are harmless
}

// The fuzzer's seeds must be valid files, or it starts from nothing but errors.
TEST(Pth, FuzzSeedsAreValid) {
  int seen = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(REEL_SOURCE_DIR) + "/fuzz/corpus/pth")) {
    const auto file = PthFile::open(entry.path());
    EXPECT_FALSE(file.tensors().empty()) << entry.path();
    for (const auto& t : file.tensors()) {
      if (t.dtype != DType::f32 && t.dtype != DType::f16 && t.dtype != DType::bf16) continue;
      EXPECT_EQ(file.to_f32(t).size(), t.element_count()) << t.name;
    }
    EXPECT_LT(std::filesystem::file_size(entry.path()), 8192u) << entry.path();
    ++seen;
  }
  EXPECT_GE(seen, 2);
}

}  // namespace
}  // namespace reel::neural
