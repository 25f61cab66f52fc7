// Golden bits: a hash of the exact output bits of every op-table row (forward values and input
// gradients, float32 and float64, contiguous and non-contiguous inputs, ordinary and special
// values), of a short CPU training run with each optimizer (fused and tensor-op forms), and of a
// few Value expressions, compared with tests/data/golden_bits.txt (Note [golden bits]).
//
// Note [golden bits]
// A refactor that does not change the arithmetic must not change a single output bit. This test
// pins that: each entry is a name ("tanh inputs (3, 4) transposed float32 forward") and a 64-bit
// FNV-1a hash of the shape, dtype and value bits of what it names. NaNs hash as one value (their
// sign and payload are no part of the contract, here as in torch). Results depend on the vector
// width of the SIMD loops and of the GEMM (a reduction's order follows it), so the file holds one
// section per instruction-set level, named "[simd=avx2 gemm=avx2]" from what actually runs; ctest
// runs the test at each level (tests/tensor/CMakeLists.txt). A level with no section in the file
// (an AVX-512 machine, when the file was written on an AVX2 one) is reported and skipped.
// A recorded entry that differs or is missing fails, naming the entry; an entry the file does
// not have (a new row) is only reported.
//
// The file is written from the code as it is (only ever from code whose bits are known good,
// e.g. main before a refactor), one section per level:
//   for isa in avx512 avx2 baseline; do
//     KINDLING_ISA=$isa KINDLING_WRITE_GOLDEN=1 build-cc/tests/tensor/kindling_tensor_golden_bits
//   done
// (on main before Note [isa levels]: KINDLING_SIMD=avx2/sse2 with KINDLING_GEMM_ISA=avx2/generic).
// Writing replaces the section of the level that runs and keeps the others.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "kindling/engine/value.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/nn/optim.hpp"
#include "kindling/tensor/gemm_isa.hpp"
#include "kindling/tensor/kernels.hpp"
#include "op_table.hpp"

namespace kindling::test {
namespace {

// ---- hashing -------------------------------------------------------------------------------

class Hash {
 public:
  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      h_ ^= p[i];
      h_ *= 0x100000001b3ull;
    }
  }
  template <class T>
  void value(T v) {
    bytes(&v, sizeof v);
  }
  void floating(double v) {
    if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
    value(v);
  }
  void floating(float v) {
    if (std::isnan(v)) v = std::numeric_limits<float>::quiet_NaN();
    value(v);
  }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h_));
    return buf;
  }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ull;
};

void hash_tensor(Hash& h, const Tensor& t) {
  if (!t.defined()) {
    h.value(std::int64_t{-1});
    return;
  }
  h.value(static_cast<int>(t.dtype()));
  for (std::int64_t d : t.shape())
    h.value(d);
  switch (t.dtype()) {
    case DType::float32:
      for (float v : t.to_vector<float>())
        h.floating(v);
      break;
    case DType::float64:
      for (double v : t.to_vector<double>())
        h.floating(v);
      break;
    case DType::int64:
      for (std::int64_t v : t.to_vector<std::int64_t>())
        h.value(v);
      break;
    case DType::bool_:
      for (bool v : t.to_vector<bool>())
        h.value(static_cast<unsigned char>(v));
      break;
  }
}

std::string tensor_hash(const Tensor& t) {
  Hash h;
  hash_tensor(h, t);
  return h.hex();
}

using Entries = std::map<std::string, std::string>;

// ---- the op-table rows -------------------------------------------------------------------

std::vector<Row> all_rows() {
  std::vector<Row> rows = elementwise_rows();
  for (auto* more : {&reduction_rows, &movement_rows}) {
    std::vector<Row> extra = more();
    rows.insert(rows.end(), extra.begin(), extra.end());
  }
  return rows;
}

// Special values put into every fifth element of the floating inputs of the "special" variant.
constexpr double kInf = std::numeric_limits<double>::infinity();
const double kSpecials[] = {0.0,  -0.0,   kInf, -kInf,  std::numeric_limits<double>::quiet_NaN(),
                            1e30, -1e-30, 88.5, -104.0, 1e-300};

// Inputs drawn from exact binary fractions (no libm), so every machine draws the same bits.
std::vector<double> draw(const Input& input, Generator& gen, bool special) {
  std::vector<double> values(static_cast<std::size_t>(checked_numel(input.shape, "golden bits")));
  std::size_t next_special = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    double& v = values[i];
    switch (input.domain) {
      case Domain::normal:
        v = std::round(gen.uniform(-3.0, 3.0) * 256.0) / 256.0;
        break;
      case Domain::positive:
        v = std::round(gen.uniform(0.5, 2.0) * 256.0) / 256.0;
        break;
      case Domain::index:
        v = static_cast<double>(gen.below(static_cast<std::uint64_t>(input.high)));
        break;
      case Domain::mask:
        v = static_cast<double>(gen.below(2));
        break;
    }
    const bool floating = input.domain == Domain::normal || input.domain == Domain::positive;
    if (special && floating && i % 5 == 2) v = kSpecials[next_special++ % std::size(kSpecials)];
  }
  return values;
}

enum class Layout { contiguous, transposed };

// As in test_op_table.cpp: contiguous, or a non-contiguous view (a transposed buffer for
// matrices, every other element for vectors).
Tensor make_input(const std::vector<double>& values, const Input& input, DType dtype,
                  Layout layout) {
  if (input.domain == Domain::index) {
    return from_vector(std::vector<std::int64_t>(values.begin(), values.end()), input.shape);
  }
  const std::size_t nd = input.shape.size();
  if (layout == Layout::contiguous || nd == 0) return from_vector(values, input.shape, dtype);
  if (nd == 1) {
    std::vector<double> spread(values.size() * 2, -99.0);
    for (std::size_t i = 0; i < values.size(); ++i)
      spread[2 * i] = values[i];
    return from_vector(spread, {static_cast<std::int64_t>(spread.size())}, dtype)
        .slice(0, 0, -1, 2)
        .detach();
  }
  // The same values, stored with the last two axes swapped, then viewed back.
  return from_vector(values, input.shape, dtype)
      .transpose(-2, -1)
      .contiguous()
      .detach()
      .transpose(-2, -1)
      .detach();
}

std::string describe(const Row& row, const Case& c) {
  std::string s(op_name(row.op));
  s += " inputs";
  for (const Input& in : c.inputs) {
    s += ' ';
    s += shape_string(in.shape);
  }
  if (!c.axes.empty()) {
    s += " axes ";
    s += shape_string(c.axes);
  }
  if (c.keepdim) s += " keepdim";
  if (!c.note.empty()) {
    s += " [";
    s += c.note;
    s += ']';
  }
  return s;
}

// The seed of a row's inputs: the op's place in the op list as it was when the file was written
// (main at bfda717), not its enum value, so that adding or reordering ops (issue 12's families)
// draws the same inputs for the ops recorded; an op added since gets a place after them.
std::uint64_t seed_index(TensorOp op) {
  static constexpr std::string_view kRecordedOrder[] = {"leaf",         "neg",
                                                        "exp",          "log",
                                                        "sqrt",         "abs",
                                                        "tanh",         "sigmoid",
                                                        "relu",         "gelu",
                                                        "add",          "sub",
                                                        "mul",          "div",
                                                        "pow",          "maximum",
                                                        "minimum",      "where",
                                                        "cast",         "sum",
                                                        "max",          "min",
                                                        "matmul",       "view",
                                                        "permute",      "expand",
                                                        "slice",        "contiguous",
                                                        "index_select", "gather",
                                                        "concat",       "softmax",
                                                        "log_softmax",  "cross_entropy",
                                                        "clamp",        "mean",
                                                        "var",          "stddev",
                                                        "logsumexp",    "reshape",
                                                        "flatten",      "transpose",
                                                        "squeeze",      "unsqueeze",
                                                        "stack",        "masked_fill",
                                                        "eq",           "ne",
                                                        "lt",           "le",
                                                        "gt",           "ge",
                                                        "argmax",       "argmin",
                                                        "one_hot",      "logical_not",
                                                        "logical_and",  "logical_or",
                                                        "logical_xor",  "any",
                                                        "all"};
  const std::string_view name = op_name(op);
  for (std::size_t i = 0; i < std::size(kRecordedOrder); ++i)
    if (kRecordedOrder[i] == name) return i;
  return 1000 + static_cast<std::uint64_t>(op);
}

void record_rows(Entries& out) {
  const std::vector<Row> rows = all_rows();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Row& row = rows[r];
    for (std::size_t ci = 0; ci < row.cases.size(); ++ci) {
      const Case& c = row.cases[ci];
      for (bool special : {false, true}) {
        Generator gen(1000 * seed_index(row.op) + ci);
        std::vector<std::vector<double>> values;
        for (const Input& in : c.inputs)
          values.push_back(draw(in, gen, special));
        for (DType dtype : {DType::float32, DType::float64}) {
          for (Layout layout : {Layout::contiguous, Layout::transposed}) {
            std::string name = describe(row, c);
            name += special ? " special" : "";
            name += layout == Layout::contiguous ? " contiguous " : " transposed ";
            name += dtype_name(dtype);
            std::vector<Tensor> inputs;
            for (std::size_t i = 0; i < values.size(); ++i) {
              Tensor t = make_input(values[i], c.inputs[i], dtype, layout);
              const Domain d = c.inputs[i].domain;
              if (row.differentiable && (d == Domain::normal || d == Domain::positive))
                t.set_requires_grad();
              inputs.push_back(t);
            }
            try {
              const Tensor y = row.fn(inputs, c);
              out[name + " forward"] = tensor_hash(y);
              if (!y.requires_grad()) continue;
              // A fixed upstream gradient of y's shape, not all ones, so that every output
              // element's gradient path is weighed differently.
              Generator ggen(7);
              std::vector<double> g(static_cast<std::size_t>(y.numel()));
              for (double& v : g)
                v = std::round(ggen.uniform(-2.0, 2.0) * 64.0) / 64.0;
              y.backward(from_vector(g, y.shape(), y.dtype()));
              for (std::size_t i = 0; i < inputs.size(); ++i)
                if (inputs[i].requires_grad())
                  out[name + " grad " + std::to_string(i)] = tensor_hash(inputs[i].grad());
            } catch (const std::exception& e) {
              // An op that refuses the input is part of its behaviour too.
              out[name + " forward"] = std::string("error: ") + e.what();
            }
          }
        }
      }
    }
  }
}

// ---- a short training run ----------------------------------------------------------------

std::shared_ptr<nn::Sequential> make_mlp(Generator& gen, DType dtype) {
  return std::make_shared<nn::Sequential>(
      std::make_shared<nn::Linear>(4, 8, gen, true, dtype), std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(8, 8, gen, true, dtype), std::make_shared<nn::GELU>(),
      std::make_shared<nn::Linear>(8, 3, gen, true, dtype));
}

void train(Entries& out, const std::string& name, DType dtype, bool fused,
           const std::function<std::unique_ptr<nn::Optimizer>(std::vector<Tensor>)>& make) {
  Generator gen(42);
  auto model = make_mlp(gen, dtype);
  std::vector<double> xs(16 * 4);
  for (double& v : xs)
    v = std::round(gen.uniform(-2.0, 2.0) * 128.0) / 128.0;
  std::vector<std::int64_t> labels(16);
  for (auto& l : labels)
    l = static_cast<std::int64_t>(gen.below(3));
  const Tensor x = from_vector(xs, {16, 4}, dtype);
  const Tensor y = from_vector(labels, {16});
  std::unique_ptr<nn::Optimizer> opt = make(model->parameters());
  opt->set_use_fused(fused);
  Hash h;
  for (int step = 0; step < 4; ++step) {
    opt->zero_grad();
    const Tensor loss = nn::cross_entropy(model->forward(x), y);
    loss.backward();
    hash_tensor(h, loss);
    opt->step();
  }
  for (const Tensor& p : model->parameters())
    hash_tensor(h, p);
  std::string key = "train ";
  key += name;
  key += fused ? " fused " : " tensor-ops ";
  key += dtype_name(dtype);
  out[key] = h.hex();
}

void record_training(Entries& out) {
  using Make = std::function<std::unique_ptr<nn::Optimizer>(std::vector<Tensor>)>;
  const std::vector<std::pair<std::string, Make>> optimizers = {
      {"sgd", [](auto p) { return std::make_unique<nn::SGD>(std::move(p), nn::SgdOptions{0.1}); }},
      {"sgd momentum nesterov decay",
       [](auto p) {
         return std::make_unique<nn::SGD>(std::move(p), nn::SgdOptions{0.05, 0.9, 0.0, 1e-3, true});
       }},
      {"sgd momentum dampening",
       [](auto p) {
         return std::make_unique<nn::SGD>(std::move(p), nn::SgdOptions{0.05, 0.8, 0.25, 0.0});
       }},
      {"adam",
       [](auto p) {
         return std::make_unique<nn::Adam>(std::move(p), nn::AdamOptions{1e-2, 0.9, 0.999, 1e-8});
       }},
      {"adam decay",
       [](auto p) {
         return std::make_unique<nn::Adam>(std::move(p),
                                           nn::AdamOptions{1e-2, 0.8, 0.99, 1e-6, 1e-2});
       }},
      {"adamw", [](auto p) { return std::make_unique<nn::AdamW>(std::move(p)); }},
      {"adamw lr",
       [](auto p) {
         nn::AdamOptions o = nn::AdamW::with_default_decay();
         o.lr = 3e-2;
         return std::make_unique<nn::AdamW>(std::move(p), o);
       }},
      {"rmsprop",
       [](auto p) {
         return std::make_unique<nn::RMSprop>(std::move(p), nn::RmspropOptions{1e-2});
       }},
      {"rmsprop centered momentum decay",
       [](auto p) {
         return std::make_unique<nn::RMSprop>(std::move(p),
                                              nn::RmspropOptions{1e-2, 0.9, 1e-6, 1e-3, 0.5, true});
       }},
  };
  for (const auto& [name, make] : optimizers)
    for (DType dtype : {DType::float32, DType::float64})
      for (bool fused : {true, false})
        train(out, name, dtype, fused, make);
}

// ---- Value expressions -------------------------------------------------------------------

void record_values(Entries& out) {
  auto hash_values = [](std::initializer_list<Value> values) {
    Hash h;
    for (const Value& v : values) {
      h.floating(v.data());
      h.floating(v.grad());
    }
    return h.hex();
  };
  {  // micrograd's README expression
    Value a(-4.0), b(2.0);
    Value c = a + b;
    Value d = a * b + b.pow(3);
    c += c + 1;
    c += 1 + c + (-a);
    d += d * 2 + (b + a).relu();
    d += 3 * d + (b - a).relu();
    Value e = c - d;
    Value f = e.pow(2);
    Value g = f / 2.0;
    g += 10.0 / f;
    g.backward();
    out["value micrograd expression"] = hash_values({a, b, g});
  }
  {  // a neuron: tanh(w . x + b), and the other unary ops
    Value x1(2.0), x2(0.0), w1(-3.0), w2(1.0), b(6.8813735870195432);
    Value n = x1 * w1 + x2 * w2 + b;
    Value o = n.tanh() + n.sigmoid() * n.exp().log() - (-n).relu() + n.pow(-1.5 + 3.0);
    o.backward();
    out["value neuron"] = hash_values({x1, x2, w1, w2, b, o});
  }
  {  // the edges: huge and tiny arguments, zero, negative zero
    Value big(800.0), small(-800.0), zero(0.0), nzero(-0.0), neg(-2.0);
    Value o = big.exp() + small.exp() + big.sigmoid() + small.sigmoid() + big.tanh() +
              small.tanh() + nzero.relu() + zero.relu() + neg.pow(3.0) + neg.pow(0.5) + zero.log() +
              (big / zero) + (zero / nzero);
    o.backward();
    out["value edges"] = hash_values({big, small, zero, nzero, neg, o});
  }
}

// ---- the golden file ---------------------------------------------------------------------

std::string canonical_level(std::string_view name) {
  if (name.substr(0, 6) == "avx512") return "avx512";
  if (name.substr(0, 4) == "avx2") return "avx2";
  return "baseline";
}

// The compiler is part of the level: GCC and clang contract a * b + c into an FMA in different
// places (in C++ GCC contracts wherever the target has FMA), so their bits differ (the nested
// clang builds have no section).
std::string level_name() {
#if defined(__clang__)
  std::string s = "clang simd=";
#elif defined(__GNUC__)
  std::string s = "gcc simd=";
#else
  std::string s = "other simd=";
#endif
  s += canonical_level(kernels::cpu_simd_arch());
  s += " gemm=";
  s += canonical_level(kernels::isa_level_name(kernels::gemm_active_isa()));
  return s;
}

const std::string kGoldenPath = std::string(KINDLING_TEST_DATA_DIR) + "/golden_bits.txt";

// The file: "[level]" lines open sections; each entry is "hash<TAB>name".
std::map<std::string, Entries> read_golden() {
  std::map<std::string, Entries> sections;
  std::ifstream in(kGoldenPath);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
      sections[section];
      continue;
    }
    const std::size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    sections[section][line.substr(tab + 1)] = line.substr(0, tab);
  }
  return sections;
}

void write_golden(const std::map<std::string, Entries>& sections) {
  std::ofstream out(kGoldenPath);
  out << "# Golden bits (Note [golden bits] in tests/tensor/test_golden_bits.cpp): hash<TAB>name,\n"
         "# one section per instruction-set level. Written by the test with "
         "KINDLING_WRITE_GOLDEN=1.\n";
  for (const auto& [section, entries] : sections) {
    out << '[' << section << "]\n";
    for (const auto& [name, hash] : entries)
      out << hash << '\t' << name << '\n';
  }
}

}  // namespace

TEST_CASE("tensor golden bits: op rows, training and Value expressions keep their exact bits",
          "[tensor][golden]") {
  // Results must not depend on when the GEMM decides to go single-threaded.
  kernels::gemm_set_contention_fallback(false);
  Entries now;
  record_rows(now);
  record_training(now);
  record_values(now);
  const std::string level = level_name();
  INFO("level [" << level << "], " << now.size() << " entries");

  std::map<std::string, Entries> golden = read_golden();
  if (const char* w = std::getenv("KINDLING_WRITE_GOLDEN"); w && *w && std::string(w) != "0") {
    golden[level] = now;
    write_golden(golden);
    WARN("wrote section [" << level << "] of " << kGoldenPath);
    return;
  }
  const auto section = golden.find(level);
  if (section == golden.end()) {
    WARN("no section [" << level << "] in " << kGoldenPath << ": skipped at this level");
    return;
  }
  std::size_t differ = 0, missing = 0, unrecorded = 0;
  for (const auto& [name, hash] : section->second) {
    const auto it = now.find(name);
    if (it == now.end()) {
      ++missing;
      UNSCOPED_INFO("recorded but not produced: " << name);
    } else if (it->second != hash) {
      ++differ;
      UNSCOPED_INFO("bits changed: " << name << " (" << hash << " -> " << it->second << ")");
    }
  }
  for (const auto& [name, hash] : now)
    if (!section->second.count(name)) ++unrecorded;
  if (unrecorded) WARN(unrecorded << " entries have no golden value yet (new rows?)");
  CHECK(differ == 0);
  CHECK(missing == 0);
}

}  // namespace kindling::test
