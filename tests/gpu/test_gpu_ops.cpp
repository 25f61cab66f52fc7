// Every tensor op on a CUDA device against the CPU on the same inputs, forward and backward
// (strided, transposed and broadcast inputs included); the caching allocator, deferred index
// errors and the fused optimizer steps on a device; an MLP trained for 100 steps on both devices.
// Without a device each case reports itself skipped (gpu_test_support.hpp).
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#ifdef KINDLING_GPU_HAS_CUDA
#include <cuda_runtime_api.h>
#endif

#include "gpu_test_support.hpp"
#include "kindling/gpu/memory.hpp"
#include "kindling/nn/optim.hpp"

using namespace kindling;
using kindling_test::check_close;

namespace {

const Device kCuda = Device::cuda(0);

enum class Domain { any, positive };

struct Input {
  Shape shape;
  Domain domain = Domain::any;
  bool transposed = false;  // passed as the transpose of a contiguous (.., n, m) leaf
  DType dtype = DType::float32;
};

struct Row {
  std::string name;
  std::vector<Input> inputs;
  std::function<Tensor(const std::vector<Tensor>&, Device)> fn;
  bool differentiable = true;
  double rtol = 1e-4, atol = 1e-5;
};

Tensor make_leaf(const Input& in, Generator& gen) {
  Shape shape = in.shape;
  if (in.transposed) std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
  Tensor t = in.domain == Domain::positive ? rand(shape, gen, in.dtype) + 0.5
                                           : randn(shape, gen, in.dtype);
  return t.detach();
}

Tensor index_tensor(std::vector<std::int64_t> values, Shape shape, Device device) {
  return from_vector(values, shape).to(device);
}

void run_row(const Row& row) {
  INFO("op row: " << row.name);
  Generator gen(1234);
  std::vector<Tensor> cpu_leaves, gpu_leaves, cpu_in, gpu_in;
  for (const Input& in : row.inputs) {
    Tensor leaf = make_leaf(in, gen);
    if (row.differentiable) leaf.set_requires_grad();
    Tensor moved = leaf.to(kCuda);
    REQUIRE(moved.device() == kCuda);
    CHECK(moved.requires_grad() == row.differentiable);
    cpu_leaves.push_back(leaf);
    gpu_leaves.push_back(moved);
    cpu_in.push_back(in.transposed ? leaf.transpose(-2, -1) : leaf);
    gpu_in.push_back(in.transposed ? moved.transpose(-2, -1) : moved);
  }
  const Tensor want = row.fn(cpu_in, kCPU);
  const Tensor got = row.fn(gpu_in, kCuda);
  REQUIRE(got.device() == kCuda);
  check_close(got, want, row.rtol, row.atol, row.name + " forward");
  if (!row.differentiable) return;
  // A random upstream gradient, so that every output element's gradient path is exercised.
  const Tensor w = randn(want.shape(), gen, want.dtype());
  sum(want * w).backward();
  sum(got * w.to(kCuda)).backward();
  for (std::size_t i = 0; i < cpu_leaves.size(); ++i) {
    REQUIRE(gpu_leaves[i].grad().defined());
    CHECK(gpu_leaves[i].grad().device() == kCuda);
    check_close(gpu_leaves[i].grad(), cpu_leaves[i].grad(), row.rtol * 10, row.atol * 10,
                row.name + " backward, input " + std::to_string(i));
  }
}

using Xs = const std::vector<Tensor>&;

std::vector<Row> op_rows() {
  const Domain pos = Domain::positive;
  std::vector<Row> rows = {
      // ---- unary ----
      {"neg", {{{3, 5}}}, [](Xs x, Device) { return neg(x[0]); }},
      {"exp", {{{4, 7}}}, [](Xs x, Device) { return exp(x[0]); }},
      {"log", {{{4, 7}, pos}}, [](Xs x, Device) { return log(x[0]); }},
      {"sqrt", {{{4, 7}, pos}}, [](Xs x, Device) { return sqrt(x[0]); }},
      {"abs", {{{6, 5}}}, [](Xs x, Device) { return abs(x[0]); }},
      {"tanh", {{{6, 5}, Domain::any, true}}, [](Xs x, Device) { return tanh(x[0]); }},
      {"sigmoid", {{{6, 5}}}, [](Xs x, Device) { return sigmoid(x[0]); }},
      {"relu", {{{6, 5}, Domain::any, true}}, [](Xs x, Device) { return relu(x[0]); }},
      {"gelu", {{{33, 9}}}, [](Xs x, Device) { return gelu(x[0]); }},
      {"silu", {{{33, 9}, Domain::any, true}}, [](Xs x, Device) { return silu(x[0]); }},
      {"leaky_relu", {{{6, 5}, Domain::any, true}},
       [](Xs x, Device) { return leaky_relu(x[0]) + leaky_relu(x[0], -0.5); }},
      {"elu", {{{33, 9}}}, [](Xs x, Device) { return elu(x[0]) + elu(x[0], 0.5); }},
      {"softplus", {{{33, 9}, Domain::any, true}},
       [](Xs x, Device) { return softplus(x[0]) + softplus(x[0], 2.0, 1.0); }},
      {"sin", {{{6, 5}}}, [](Xs x, Device) { return sin(x[0]); }},
      {"cos", {{{6, 5}, Domain::any, true}}, [](Xs x, Device) { return cos(x[0]); }},
      {"log1p", {{{4, 7}, pos}}, [](Xs x, Device) { return log1p(x[0]); }},
      {"expm1", {{{4, 7}}}, [](Xs x, Device) { return expm1(x[0]); }},
      {"erf", {{{33, 9}}}, [](Xs x, Device) { return erf(x[0]); }},
      {"sign", {{{6, 5}}}, [](Xs x, Device) { return sign(x[0]) * x[0]; }},
      {"floor", {{{6, 5}}}, [](Xs x, Device) { return floor(x[0] * 3.0) + x[0]; }},
      {"round", {{{6, 5}, Domain::any, true}}, [](Xs x, Device) { return round(x[0] * 3.0) + x[0]; }},
      {"reciprocal", {{{4, 7}, pos}}, [](Xs x, Device) { return reciprocal(x[0]); }},
      {"rsqrt", {{{4, 7}, pos}}, [](Xs x, Device) { return rsqrt(x[0]); }},
      {"clamp", {{{8, 8}}}, [](Xs x, Device) { return clamp(x[0], -0.5, 0.7); }},
      {"unary_large", {{{300, 1000}}}, [](Xs x, Device) { return tanh(x[0]) * 2.0; }},
      // ---- binary, broadcast and strided ----
      {"add_broadcast", {{{3, 4}}, {{4}}}, [](Xs x, Device) { return x[0] + x[1]; }},
      {"sub_broadcast", {{{2, 3, 4}}, {{3, 1}}}, [](Xs x, Device) { return x[0] - x[1]; }},
      {"mul_transposed",
       {{{5, 6}, Domain::any, true}, {{5, 1}}},
       [](Xs x, Device) { return x[0] * x[1]; }},
      {"div", {{{4, 5}}, {{4, 5}, pos}}, [](Xs x, Device) { return x[0] / x[1]; }},
      {"pow", {{{4, 5}, pos}, {{5}}}, [](Xs x, Device) { return pow(x[0], x[1]); }},
      {"pow_scalar", {{{4, 5}}}, [](Xs x, Device) { return pow(x[0], 2.0); }},
      {"maximum", {{{4, 5}}, {{1, 5}}}, [](Xs x, Device) { return maximum(x[0], x[1]); }},
      {"minimum", {{{4, 5}}, {{4, 1}}}, [](Xs x, Device) { return minimum(x[0], x[1]); }},
      {"where",
       {{{4, 5}}, {{4, 5}}},
       [](Xs x, Device) { return where(gt(x[0].detach(), x[1].detach()), x[0], x[1]); }},
      {"scalar_ops", {{{3, 3}}}, [](Xs x, Device) { return 2.0 - x[0] / 3.0 + 1.5 * x[0]; }},
      {"cast",
       {{{3, 4}}},
       [](Xs x, Device) { return cast(cast(x[0], DType::float64) * 3.0, DType::float32); }},
      {"float64_chain",
       {{{5, 6}, Domain::any, false, DType::float64}},
       [](Xs x, Device) { return exp(x[0]) * x[0] - sigmoid(x[0]); }},
      // ---- comparisons (no gradient) ----
      {"compare",
       {{{4, 6}}, {{6}}},
       [](Xs x, Device) {
         // bool masks; counted in int64 (bool + bool would be `or`).
         auto n = [](const Tensor& mask) { return cast(mask, DType::int64); };
         return n(eq(x[0], x[0])) + 2 * n(ne(x[0], x[1])) + 4 * n(lt(x[0], x[1])) +
                8 * n(le(x[0], x[1])) + 16 * n(gt(x[0], x[1])) + 32 * n(ge(x[0], x[1])) +
                64 * n(ne(x[0] / 0.0 * 0.0, x[1]));  // NaN != x is true
       },
       false},
      // ---- bool masks and integers (no gradient) ----
      {"masked_fill",
       {{{4, 6}, Domain::any, true}},
       [](Xs x, Device) { return masked_fill(x[0], gt(x[0], 0.3), -7.5) * 2.0; }},
      {"logical_ops",
       {{{4, 6}}, {{4, 6}, Domain::any, true}},
       [](Xs x, Device) {
         const Tensor p = gt(x[0], 0), q = lt(x[1], 0.3);
         auto n = [](const Tensor& mask) { return cast(mask, DType::int64); };
         return n(p & q) + 2 * n(p | q) + 4 * n(p ^ q) + 8 * n(~p) + 16 * n(logical_not(x[1])) +
                32 * n(logical_and(x[0], x[1]));
       },
       false},
      {"any_all",
       {{{5, 6}}},
       [](Xs x, Device) {
         const Tensor p = gt(x[0], 0.5);
         auto n = [](const Tensor& mask) { return cast(mask, DType::int64); };
         return n(any(p, {1})) + 2 * n(all(lt(x[0], 1.5), {1})) + 4 * n(any(p)) +
                8 * n(all(p)) + sum(p) + sum(sum(p, {0}));
       },
       false},
      {"int64_edges",
       {{{4, 6}}},
       [](Xs x, Device d) {
         // float -> int64 (NaN, inf and out of range give INT64_MIN), true division, wrapping
         // add, mul and pow; in int64 or float32 as PyTorch types them.
         const Tensor big = cast(x[0] * 1e19, DType::int64);
         const Tensor nan = cast(x[0] / 0.0 * 0.0, DType::int64);
         const Tensor i = cast(x[0] * 10.0, DType::int64);
         const Tensor wrapped = big * 3 + big + nan + pow(i, index_tensor({62}, {}, d));
         return cast(wrapped, DType::float64) + cast(i / 7, DType::float64);
       },
       false},
      // ---- reductions ----
      {"sum_all", {{{7, 9}}}, [](Xs x, Device) { return sum(x[0]); }},
      {"sum_axis0", {{{7, 9}}}, [](Xs x, Device) { return sum(x[0], {0}); }},
      {"sum_axis1_keepdim",
       {{{7, 9}, Domain::any, true}},
       [](Xs x, Device) { return sum(x[0], {1}, true); }},
      {"sum_axes02",
       {{{4, 5, 6}}},
       [](Xs x, Device) {
         return sum(x[0], {0, 2});
       }},
      {"sum_large_all", {{{1000, 1000}}}, [](Xs x, Device) { return sum(x[0]); }, true, 1e-4, 1e-3},
      {"sum_large_rows",
       {{{3000, 7}}},
       [](Xs x, Device) { return sum(x[0], {0}); },
       true,
       1e-4,
       1e-4},
      {"sum_large_cols",
       {{{7, 50000}}},
       [](Xs x, Device) { return sum(x[0], {1}); },
       true,
       1e-4,
       1e-3},
      {"mean", {{{6, 8}}}, [](Xs x, Device) { return mean(x[0], {1}); }},
      {"max_axis", {{{6, 8}}}, [](Xs x, Device) { return max(x[0], {1}); }},
      {"min_axis", {{{6, 8}}}, [](Xs x, Device) { return min(x[0], {0}, true); }},
      {"max_all", {{{60, 80}}}, [](Xs x, Device) { return max(x[0]); }},
      {"argmax",
       {{{6, 80}}},
       [](Xs x, Device) { return argmax(x[0], 1) + sum(argmin(x[0], 0)); },
       false},
      {"argmax_flat", {{{60, 800}}}, [](Xs x, Device) { return argmax(x[0]); }, false},
      {"var", {{{6, 8}}}, [](Xs x, Device) { return var(x[0], {1}); }},
      {"stddev", {{{6, 8}}}, [](Xs x, Device) { return stddev(x[0]); }},
      {"logsumexp", {{{6, 8}}}, [](Xs x, Device) { return logsumexp(x[0], {1}); }},
      // ---- matmul ----
      {"matmul_edges",
       {{{64, 33}}, {{33, 70}}},
       [](Xs x, Device) { return matmul(x[0], x[1]); },
       true,
       1e-4,
       1e-4},
      {"matmul_tiles",
       {{{130, 257}}, {{257, 129}}},
       [](Xs x, Device) { return matmul(x[0], x[1]); },
       true,
       1e-4,
       1e-4},
      {"matmul_transposed",
       {{{40, 50}, Domain::any, true}, {{50, 30}, Domain::any, true}},
       [](Xs x, Device) { return matmul(x[0], x[1]); },
       true,
       1e-4,
       1e-4},
      {"matmul_batched",
       {{{3, 20, 30}}, {{3, 30, 10}}},
       [](Xs x, Device) { return matmul(x[0], x[1]); },
       true,
       1e-4,
       1e-4},
      {"matmul_broadcast_batch",
       {{{2, 1, 5, 6}}, {{3, 6, 4}}},
       [](Xs x, Device) { return matmul(x[0], x[1]); },
       true,
       1e-4,
       1e-4},
      {"matvec", {{{5, 6}}, {{6}}}, [](Xs x, Device) { return matmul(x[0], x[1]); }},
      {"matmul_float64",
       {{{17, 19}, Domain::any, false, DType::float64},
        {{19, 23}, Domain::any, false, DType::float64}},
       [](Xs x, Device) { return matmul(x[0], x[1]); },
       true,
       1e-10,
       1e-10},
      // ---- movement ----
      {"permute_contiguous",
       {{{2, 3, 4}}},
       [](Xs x, Device) {
         return contiguous(permute(x[0], {2, 0, 1})) * 1.0;
       }},
      {"slice_step", {{{10, 6}}}, [](Xs x, Device) { return slice(x[0], 0, 1, 9, 3) * 2.0; }},
      {"expand",
       {{{3, 1}}},
       [](Xs x, Device) {
         return contiguous(expand(x[0], {3, 5}));
       }},
      {"reshape_copy",
       {{{4, 6}, Domain::any, true}},
       [](Xs x, Device) {
         return reshape(x[0], {2, 12});
       }},
      {"view",
       {{{4, 6}}},
       [](Xs x, Device) {
         return view(x[0], {3, 8}) * 2.0;
       }},
      {"transpose", {{{4, 6}}}, [](Xs x, Device) { return contiguous(transpose(x[0], 0, 1)); }},
      {"flatten_squeeze",
       {{{2, 1, 3}}},
       [](Xs x, Device) { return flatten(unsqueeze(squeeze(x[0], 1), 0)); }},
      {"concat",
       {{{2, 3}}, {{4, 3}}},
       [](Xs x, Device) {
         return concat({x[0], x[1]}, 0);
       }},
      {"stack",
       {{{2, 3}}, {{2, 3}, Domain::any, true}},
       [](Xs x, Device) {
         return stack({x[0], x[1]}, 1);
       }},
      // ---- index ----
      {"index_select_repeats",
       {{{5, 4}}},
       [](Xs x, Device d) {
         return index_select(x[0], 0, index_tensor({4, 0, 4, 2, 4}, {5}, d));
       }},
      {"index_select_axis1",
       {{{3, 6}, Domain::any, true}},
       [](Xs x, Device d) {
         return index_select(x[0], 1, index_tensor({5, 1, 1}, {3}, d));
       }},
      {"gather",
       {{{4, 5}}},
       [](Xs x, Device d) {
         return gather(x[0], 1, index_tensor({0, 0, 4, 1, 2, 3, 3, 3}, {4, 2}, d));
       }},
      // ---- issue 13's surface (composites: the rows check that they run on the device) ----
      {"tan", {{{6, 8}}}, [](Xs x, Device) { return tan(x[0] * 0.5); }},
      {"log2", {{{6, 8}, Domain::positive}}, [](Xs x, Device) { return log2(x[0]); }},
      {"log10", {{{6, 8}, Domain::positive, true}}, [](Xs x, Device) { return log10(x[0]); }},
      {"square", {{{6, 8}}}, [](Xs x, Device) { return square(x[0]); }},
      {"isnan_isinf",
       {{{6, 8}}},
       [](Xs x, Device) {
         const Tensor special = where(gt(x[0], 0.5), x[0] / 0.0, x[0] * NAN);
         return cast(logical_or(isnan(special), isinf(special)), DType::float32);
       },
       false},
      {"amax", {{{6, 8}}}, [](Xs x, Device) { return amax(x[0], {1}); }},
      {"amin", {{{6, 8}}}, [](Xs x, Device) { return amin(x[0]); }},
      {"prod", {{{6, 7}, Domain::positive}}, [](Xs x, Device) { return prod(x[0], {1}); }},
      {"cumsum", {{{6, 9}, Domain::any, true}}, [](Xs x, Device) { return cumsum(x[0], 1); }},
      {"norm", {{{6, 8}}}, [](Xs x, Device) { return norm(x[0], 2.0, {1}) + norm(x[0], 3.0); }},
      {"scatter_add",
       {{{3, 4}}, {{2, 4}}},
       [](Xs x, Device d) {
         return scatter_add(x[0], 0, index_tensor({0, 2, 2, 1, 1, 1, 0, 2}, {2, 4}, d), x[1]);
       }},
      {"sort_topk",
       {{{5, 7}}},
       [](Xs x, Device) {
         return sort(x[0], 1, true).values + topk(x[0], 7, 1, false).values * 2.0;
       }},
      {"repeat_tile",
       {{{2, 3}}},
       [](Xs x, Device) { return repeat(x[0], {2, 1, 2}) + tile(x[0], {2, 1, 2}); }},
      {"flip", {{{4, 5}, Domain::any, true}}, [](Xs x, Device) { return flip(x[0], {0, 1}); }},
      {"chunk_split_unbind",
       {{{4, 6}}},
       [](Xs x, Device) {
         const auto c = chunk(x[0], 4, 1), s = split(x[0], {1, 3}, 0), u = unbind(x[0], 0);
         // (4, 2), (1, 6) as (3, 2) and (6) as (3, 2), joined: (10, 2).
         return concat({c[1] * 2.0, s[0].reshape({3, 2}), u[3].reshape({3, 2})}, 0);
       }},
      {"tril_triu", {{{2, 4, 5}}}, [](Xs x, Device) { return tril(x[0], 1) + triu(x[0], -1); }},
      {"diag",
       {{{4, 5}}, {{3}}},
       [](Xs x, Device) { return diag(x[0], 1).sum() + diag(x[1], -1); }},
      {"einsum",
       {{{2, 3, 4}}, {{2, 4, 5}}},
       [](Xs x, Device) { return einsum("bij,bjk->bki", {x[0], x[1]}); }},
      {"one_hot",
       {{{1}}},
       [](Xs, Device d) {
         return one_hot(index_tensor({0, 3, 2, 3}, {4}, d), 5);
       },
       false},
      // ---- network ops (softmax.cu: one warp per line, so lines longer than 32 and strided
      // lines are covered too) ----
      {"softmax", {{{5, 7}}}, [](Xs x, Device) { return softmax(x[0], 1); }},
      {"softmax_long_lines", {{{3, 4, 300}}}, [](Xs x, Device) { return softmax(x[0], 2); }},
      {"softmax_middle_axis", {{{3, 70, 4}}}, [](Xs x, Device) { return softmax(x[0], 1); }},
      {"log_softmax_long_lines",
       {{{130, 40}, Domain::any, true}},
       [](Xs x, Device) { return log_softmax(x[0], 1); }},
      {"log_softmax",
       {{{5, 7}, Domain::any, true}},
       [](Xs x, Device) { return log_softmax(x[0], 0); }},
      {"cross_entropy_mean",
       {{{6, 4}}},
       [](Xs x, Device d) {
         return cross_entropy(x[0], index_tensor({0, 3, 1, 1, 2, 0}, {6}, d));
       }},
      {"cross_entropy_none",
       {{{6, 4}}},
       [](Xs x, Device d) {
         return cross_entropy(x[0], index_tensor({3, 3, 1, 0, 2, 0}, {6}, d), Reduction::none);
       }},
      {"cross_entropy_wide",
       {{{3, 100}, Domain::any, true}},
       [](Xs x, Device d) {
         return cross_entropy(x[0], index_tensor({99, 0, 64}, {3}, d), Reduction::sum);
       }},
      // ---- convolutional networks (conv.cu: im2col, col2im, max_pool2d; the rest composites)
      {"conv2d", {{{2, 3, 9, 8}}, {{5, 3, 3, 3}}, {{5}}},
       [](Xs x, Device) { return conv2d(x[0], x[1], x[2], 1, 1); }},
      {"conv2d_groups_strided", {{{2, 4, 9, 8}, Domain::any, true}, {{6, 2, 3, 2}}},
       [](Xs x, Device) { return conv2d(x[0], x[1], {}, {2, 1}, {1, 0}, {1, 2}, 2); }},
      {"unfold", {{{2, 3, 7, 6}}},
       [](Xs x, Device) { return unfold(x[0], {3, 2}, {2, 1}, 1, {2, 1}); }},
      {"fold", {{{2, 12, 20}}}, [](Xs x, Device) { return fold(x[0], {5, 6}, 2, 1, 0, 1); }},
      {"max_pool2d", {{{2, 3, 9, 8}, Domain::any, true}},
       [](Xs x, Device) { return max_pool2d(x[0], 3, 2, 1); }},
      {"max_pool2d_dilated_ceil", {{{2, 3, 9, 8}}},
       [](Xs x, Device) { return max_pool2d(x[0], 2, 2, 1, 2, true); }},
      {"avg_pool2d", {{{2, 3, 9, 8}}},
       [](Xs x, Device) { return avg_pool2d(x[0], 3, 2, 1, false, false); }},
      {"adaptive_avg_pool2d", {{{2, 3, 9, 8}}},
       [](Xs x, Device) { return adaptive_avg_pool2d(x[0], {4, 3}); }},
      {"batch_norm", {{{4, 3, 5, 5}}, {{3}}, {{3}}},
       [](Xs x, Device) { return batch_norm(x[0], {}, {}, x[1], x[2], true); }},
      {"pad_reflect", {{{2, 3, 5, 6}}},
       [](Xs x, Device) { return pad(x[0], {2, 1, 1, 3}, PadMode::reflect); }},
  };
  return rows;
}

// Ops a row exercises beyond the one its name starts with.
const std::map<std::string, std::vector<std::string>> kAlsoCovers = {
    {"permute_contiguous", {"contiguous"}},
    {"flatten_squeeze", {"squeeze", "unsqueeze"}},
    {"compare", {"eq", "ne", "lt", "le", "gt", "ge"}},
    {"logical_ops", {"logical_not", "logical_and", "logical_or", "logical_xor"}},
    {"any_all", {"any", "all"}},
    {"argmax", {"argmin"}},
    {"isnan_isinf", {"isinf"}},
    {"sort_topk", {"topk"}},
    {"repeat_tile", {"tile"}},
    {"chunk_split_unbind", {"split", "unbind"}},
    {"tril_triu", {"triu"}},
};

bool covered(const std::vector<Row>& rows, const std::string& op) {
  for (const Row& row : rows) {
    if (row.name == op || row.name.rfind(op + "_", 0) == 0) return true;
    const auto also = kAlsoCovers.find(row.name);
    if (also != kAlsoCovers.end() &&
        std::find(also->second.begin(), also->second.end(), op) != also->second.end())
      return true;
  }
  return false;
}

}  // namespace

// Runs everywhere: a new op in the op table (Note [tensor op table]) must get a GPU row.
TEST_CASE("every op of the op table has a row in the GPU comparison", "[gpu][table]") {
  const std::vector<Row> rows = op_rows();
  std::vector<std::string> missing;
#define KINDLING_X(name, ...) \
  if (!covered(rows, #name)) missing.push_back(#name);
  KINDLING_TENSOR_ALL_OPS(KINDLING_X)
#undef KINDLING_X
  INFO("ops without a GPU row: " << [&] {
    std::string all;
    for (const std::string& m : missing)
      all += m + " ";
    return all;
  }());
  CHECK(missing.empty());
  CHECK_FALSE(covered(rows, "not_an_op"));
}

TEST_CASE("every op on cuda matches the CPU forward and backward", "[gpu][ops]") {
  KINDLING_REQUIRE_GPU();
  for (const Row& row : op_rows()) {
    SECTION(row.name) {
      run_row(row);
    }
  }
}

namespace {

// NaN-ness, infinities and (with zero_sign) the sign of zeros exactly, other values within rel.
void check_special(const Tensor& got, const Tensor& want, double rel, bool zero_sign,
                   const std::string& what) {
  INFO(what);
  REQUIRE(got.shape() == want.shape());
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  for (std::size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i << ": cuda " << g[i] << ", cpu " << w[i]);
    if (std::isnan(g[i]) || std::isnan(w[i])) {
      CHECK((std::isnan(g[i]) && std::isnan(w[i])));
    } else if (g[i] == w[i]) {
      CHECK((!zero_sign || std::signbit(g[i]) == std::signbit(w[i])));
    } else {
      CHECK((std::isfinite(g[i]) && std::isfinite(w[i]) && w[i] != 0.0 &&
             std::abs(g[i] - w[i]) <= rel * std::abs(w[i])));
    }
  }
}

}  // namespace

// The special values of Note [special values] (kindling/tensor/special_values.hpp) on both
// devices: NaN, signed zeros, infinities, subnormals and huge arguments, values and gradients.
TEST_CASE("special values on cuda are the CPU's", "[gpu][special]") {
  KINDLING_REQUIRE_GPU();
  const double inf = INFINITY, nan = NAN;
  for (DType dtype : {DType::float32, DType::float64}) {
    INFO(dtype_name(dtype));
    const double tiny = dtype == DType::float32 ? 1e-40 : 1e-310;
    // CUDA's math is within 1-4 ulps; gelu's 1 + erf(x) cancels at x = -3 and amplifies it.
    const double rel = dtype == DType::float32 ? 1e-5 : 1e-12;
    const std::vector<double> grid = {0.0,   -0.0,  1.0,  -1.0,  0.5,  2.0,   -2.0, inf,
                                      -inf,  nan,   tiny, -tiny, 20.0, -20.0, 88.5, -88.5,
                                      -100., -720., 1e30, -1e30, 3.0,  -3.0,  1e-3, 1e300};
    const std::int64_t n = static_cast<std::int64_t>(grid.size());
    using Unary = Tensor (*)(const Tensor&);
    // Every unary row of the op table (op_list.hpp).
    const std::vector<std::pair<const char*, Unary>> unary = {
#define KINDLING_X(name, ...) {#name, &name},
        KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
        // The rows with parameters, at their defaults and at other values.
        {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }},
        {"leaky_relu 0", [](const Tensor& x) { return leaky_relu(x, 0.0); }},
        {"leaky_relu -0.5", [](const Tensor& x) { return leaky_relu(x, -0.5); }},
        {"elu", [](const Tensor& x) { return elu(x); }},
        {"elu 0.5", [](const Tensor& x) { return elu(x, 0.5); }},
        {"softplus", [](const Tensor& x) { return softplus(x); }},
        {"softplus 2 1", [](const Tensor& x) { return softplus(x, 2.0, 1.0); }},
        {"softplus -1 20", [](const Tensor& x) { return softplus(x, -1.0, 20.0); }},
    };
    for (const auto& [name, f] : unary) {
      const Tensor x = from_vector(grid, {n}, dtype).set_requires_grad();
      const Tensor xg = x.detach().to(kCuda).set_requires_grad();
      const Tensor y = f(x), yg = f(xg);
      sum(y).backward();
      sum(yg).backward();
      check_special(yg, y, rel, true, std::string(name) + " value");
      check_special(xg.grad(), x.grad(), 8 * rel, true, std::string(name) + " grad");
    }
    // Every pair of a smaller grid through the binary ops.
    const std::vector<double> small = {0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, inf, -inf, nan, tiny};
    std::vector<double> as, bs;
    for (double p : small)
      for (double q : small) {
        as.push_back(p);
        bs.push_back(q);
      }
    const std::int64_t m = static_cast<std::int64_t>(as.size());
    using Binary = Tensor (*)(const Tensor&, const Tensor&);
    const std::vector<std::pair<const char*, Binary>> binary = {
        {"add", &add}, {"sub", &sub},         {"mul", &mul},        {"div", &div},
        {"pow", &pow}, {"maximum", &maximum}, {"minimum", &minimum}};
    for (const auto& [name, f] : binary) {
      const Tensor a = from_vector(as, {m}, dtype).set_requires_grad();
      const Tensor b = from_vector(bs, {m}, dtype).set_requires_grad();
      const Tensor ag = a.detach().to(kCuda).set_requires_grad();
      const Tensor bg = b.detach().to(kCuda).set_requires_grad();
      const Tensor y = f(a, b), yg = f(ag, bg);
      sum(y).backward();
      sum(yg).backward();
      check_special(yg, y, rel, true, std::string(name) + " value");
      check_special(ag.grad(), a.grad(), 8 * rel, true, std::string(name) + " grad a");
      check_special(bg.grad(), b.grad(), 8 * rel, true, std::string(name) + " grad b");
    }
    // Reductions with a NaN in the body of a long row, and argmax's first NaN.
    std::vector<double> rows(3 * 5000, 1.0);
    rows[1234] = nan;
    rows[3000] = nan;
    rows[5000 + 17] = 4.0;
    rows[10000 + 4999] = -inf;
    const Tensor r = from_vector(rows, {3, 5000}, dtype), rg = r.to(kCuda);
    for (std::int64_t axis : {0, 1}) {
      check_special(max(rg, {axis}), max(r, {axis}), 0.0, false, "max");
      check_special(min(rg, {axis}), min(r, {axis}), 0.0, false, "min");
      check_special(argmax(rg, axis), argmax(r, axis), 0.0, true, "argmax");
      check_special(argmin(rg, axis), argmin(r, axis), 0.0, true, "argmin");
    }
    CHECK(argmax(rg).item() == 1234.0);
    // Softmax and cross entropy of broken lines: NaN throughout, as on the CPU and in torch.
    const Tensor logits = from_vector(std::vector<double>{1.0, inf, inf, -inf, -inf, -inf, nan, 1.0,
                                                          2.0, -inf, 1.0, 0.0, 3.0, -720.0, 0.5},
                                      {5, 3}, dtype);
    const Tensor lg = logits.to(kCuda);
    for (std::int64_t axis : {0, 1}) {
      check_special(softmax(lg, axis), softmax(logits, axis), rel, true, "softmax");
      check_special(log_softmax(lg, axis), log_softmax(logits, axis), rel, true, "log_softmax");
    }
    const Tensor target = from_vector(std::vector<std::int64_t>{0, 1, 2, 1, 0}, {5});
    check_special(cross_entropy(lg, target.to(kCuda), Reduction::none),
                  cross_entropy(logits, target, Reduction::none), rel, true, "cross_entropy");
  }
}

TEST_CASE("reductions over expanded dimensions on cuda are the CPU's, without walking copies",
          "[gpu][reduce]") {
  KINDLING_REQUIRE_GPU();
  Generator gen(11);
  const Tensor base = randn({3, 1, 5}, gen);
  for (const Axes& axes : {Axes{1}, Axes{0, 1}, Axes{}}) {
    const Tensor cpu = base.expand({3, 64, 5});
    const Tensor cuda = base.to(kCuda).expand({3, 64, 5});
    check_close(sum(cuda, axes), sum(cpu, axes), 1e-6, 1e-6, "sum over copies");
    check_close(max(cuda, axes), max(cpu, axes), 0, 0, "max over copies");
  }
  // 2^40 copies: walked one by one this would not finish.
  const Tensor one = full({1, 1}, 0.75).to(kCuda);
  const std::int64_t side = std::int64_t{1} << 20;
  CHECK(sum(one.expand({side, side})).item() == 0.75 * 1099511627776.0);
}

TEST_CASE("to(cuda) and back is exact, and keeps leaves leaves", "[gpu][device]") {
  KINDLING_REQUIRE_GPU();
  Generator gen(7);
  const Tensor x = randn({3, 17}, gen).set_requires_grad();
  const Tensor y = x.to(kCuda);
  CHECK(y.device() == kCuda);
  CHECK(y.is_leaf());
  CHECK(y.requires_grad());
  CHECK(y.to(kCPU).to_vector<float>() == x.to_vector<float>());
  const Tensor idx = from_vector<std::int64_t>({5, -3, 1LL << 40}, {3}).to(kCuda);
  CHECK(idx.to_vector<std::int64_t>() == std::vector<std::int64_t>{5, -3, 1LL << 40});
  // A strided view moves as its values.
  const Tensor t = x.transpose(0, 1);
  check_close(t.to(kCuda), t.contiguous(), 0, 0, "transposed view");
  // Not differentiable: a tensor with a graph behind it must not silently lose its gradient.
  CHECK_THROWS_AS((x * 2.0).to(kCuda), kindling::error);
}

TEST_CASE("the caching allocator reuses freed device blocks and releases them", "[gpu][memory]") {
  KINDLING_REQUIRE_GPU();
  const char* no_cache = std::getenv("KINDLING_GPU_NO_CACHE");
  if (no_cache != nullptr && std::string(no_cache) == "1") {
    WARN("KINDLING_GPU_NO_CACHE=1 (a sanitizer run): the cache is off, nothing to check here");
    return;
  }
  gpu::release_cached_memory();
  const auto before = gpu::memory_stats();
  { const Tensor a = zeros({1000, 1000}, DType::float32, kCuda); }
  const auto freed = gpu::memory_stats();
  CHECK(freed.cached_bytes >= 4000000);
  { const Tensor b = ones({1000, 999}, DType::float32, kCuda); }  // same size class
  const auto reused = gpu::memory_stats();
  CHECK(reused.cache_hits > freed.cache_hits);
  CHECK(reused.device_allocations == freed.device_allocations);
  CHECK(gpu::release_cached_memory() >= 4000000);
  CHECK(gpu::memory_stats().cached_bytes == 0);
  CHECK(gpu::memory_stats().allocated_bytes == before.allocated_bytes);
  gpu::DeviceBuffer buffer(1 << 20);
  CHECK(buffer.data() != nullptr);
  CHECK(gpu::memory_stats().allocated_bytes >= before.allocated_bytes + (1 << 20));
}

TEST_CASE("an index out of range in a kernel surfaces as kindling::error", "[gpu][errors]") {
  KINDLING_REQUIRE_GPU();
  const Tensor x = zeros({4, 5}, DType::float32, kCuda);
  const Tensor bad = from_vector<std::int64_t>({0, 7, 1, 2}, {4, 1}).to(kCuda);
  Tensor out = gather(x, 1, bad);  // queued; the kernel records the bad index
  try {
    (void)out.to_vector<float>();
    FAIL("expected kindling::error");
  } catch (const kindling::error& e) {
    CHECK_THAT(e.what(), Catch::Contains("gather") && Catch::Contains("index 7"));
  }
  // Reported once: the device is usable afterwards.
  CHECK_NOTHROW(gpu::synchronize());
  CHECK(sum(ones({3}, DType::float32, kCuda)).item() == 3.0);
  // An index left on the host is caught before the launch.
  CHECK_THROWS_AS(gather(x, 1, from_vector<std::int64_t>({0, 1, 1, 2}, {4, 1})), kindling::error);
  // A cross-entropy target out of range: the same deferred report, naming the sample.
  const Tensor logits = zeros({3, 4}, DType::float32, kCuda);
  const Tensor targets = from_vector<std::int64_t>({0, 9, 1}, {3}).to(kCuda);
  try {
    (void)cross_entropy(logits, targets).item();
    FAIL("expected kindling::error");
  } catch (const kindling::error& e) {
    CHECK_THAT(e.what(), Catch::Contains("cross_entropy: target 9 of sample 1"));
  }
  CHECK(cross_entropy(logits, from_vector<std::int64_t>({0, 3, 1}, {3}).to(kCuda)).item() ==
        Approx(std::log(4.0)));
  CHECK_THROWS_WITH(cross_entropy(logits, from_vector<std::int64_t>({0, 1, 2}, {3})),
                    Catch::Contains("on one device"));
}

// The fused steps are kernel-table entries (Note [fused optimizer steps]): called here directly,
// on contiguous CUDA tensors, against the formulas written out in double.
TEST_CASE("fused AdamW and SGD steps match the host formulas", "[gpu][optim]") {
  KINDLING_REQUIRE_GPU();
  const kernels::KernelTable& cuda = kernels::kernels_on(kCuda);
  Generator gen(3);
  const std::size_t n = 1000;
  const Tensor p0 = randn({10, 100}, gen), g0 = randn({10, 100}, gen);
  std::vector<double> p = p0.to_vector<double>(), g = g0.to_vector<double>();

  SECTION("adamw") {
    const double lr = 0.01, beta1 = 0.9, beta2 = 0.99, eps = 1e-8, weight_decay = 0.1;
    const Tensor param = p0.to(kCuda), grad = g0.to(kCuda);
    const Tensor m = zeros({10, 100}, DType::float32, kCuda), v = zeros_like(m);
    std::vector<double> hm(n, 0.0), hv(n, 0.0);
    for (std::int64_t step = 1; step <= 3; ++step) {
      cuda.adam_step(param.strided_view(), grad.strided_view(), m.strided_view(), v.strided_view(),
                     {lr, beta1, beta2, eps, weight_decay, step, true});
      const double bc1 = 1 - std::pow(beta1, double(step)), bc2 = 1 - std::pow(beta2, double(step));
      for (std::size_t i = 0; i < n; ++i) {
        p[i] *= 1 - lr * weight_decay;
        hm[i] = beta1 * hm[i] + (1 - beta1) * g[i];
        hv[i] = beta2 * hv[i] + (1 - beta2) * g[i] * g[i];
        p[i] -= lr / bc1 * hm[i] / (std::sqrt(hv[i]) / std::sqrt(bc2) + eps);
      }
    }
    check_close(param, from_vector(p, {10, 100}, DType::float32), 1e-5, 1e-6, "adamw param");
    check_close(v, from_vector(hv, {10, 100}, DType::float32), 1e-5, 1e-7, "adamw exp_avg_sq");
  }
  SECTION("sgd with nesterov momentum and weight decay") {
    const double lr = 0.05, momentum = 0.9, dampening = 0.0, weight_decay = 0.01;
    const Tensor param = p0.to(kCuda), grad = g0.to(kCuda);
    const Tensor buf = zeros({10, 100}, DType::float32, kCuda);
    std::vector<double> hb(n, 0.0);
    for (int step = 0; step < 3; ++step) {
      cuda.sgd_step(param.strided_view(), grad.strided_view(), buf.strided_view(),
                    {lr, momentum, dampening, weight_decay, true, step == 0});
      for (std::size_t i = 0; i < n; ++i) {
        double d = g[i] + weight_decay * p[i];
        hb[i] = step == 0 ? d : momentum * hb[i] + (1 - dampening) * d;
        d = d + momentum * hb[i];
        p[i] -= lr * d;
      }
    }
    check_close(param, from_vector(p, {10, 100}, DType::float32), 1e-5, 1e-6, "sgd param");
  }
}

TEST_CASE("an MLP trained 100 steps on cuda ends at the CPU's loss", "[gpu][mlp]") {
  KINDLING_REQUIRE_GPU();
  Generator gen(11);
  const std::int64_t n = 256, features = 20, hidden = 64, classes = 5;
  const Tensor x = randn({n, features}, gen);
  const Tensor teacher = randn({features, classes}, gen);
  const Tensor y = argmax(matmul(x, teacher), 1);
  std::vector<Tensor> cpu = {(randn({features, hidden}, gen) * 0.2).detach(), zeros({hidden}),
                             (randn({hidden, classes}, gen) * 0.2).detach(), zeros({classes})};
  std::vector<Tensor> dev;
  for (Tensor& p : cpu) {
    p.set_requires_grad();
    dev.push_back(p.to(kCuda));
  }
  const Tensor xd = x.to(kCuda), yd = y.to(kCuda);
  auto loss_of = [](const std::vector<Tensor>& w, const Tensor& xs, const Tensor& ys) {
    const Tensor h = relu(matmul(xs, w[0]) + w[1]);
    return cross_entropy(matmul(h, w[2]) + w[3], ys);
  };
  const double lr = 0.2;
  double first_cpu = 0, first_gpu = 0, last_cpu = 0, last_gpu = 0;
  const std::uint64_t launches_before = gpu::launch_count();
  for (int step = 0; step < 100; ++step) {
    const Tensor lc = loss_of(cpu, x, y);
    const Tensor lg = loss_of(dev, xd, yd);
    lc.backward();
    lg.backward();
    last_cpu = lc.item();
    last_gpu = lg.item();
    if (step == 0) first_cpu = last_cpu, first_gpu = last_gpu;
    for (std::size_t i = 0; i < cpu.size(); ++i) {
      {
        const no_grad guard;
        cpu[i] = (cpu[i] - cpu[i].grad() * lr).detach();
      }
      cpu[i].set_requires_grad();
      // The GPU side updates in place with the fused step (plain SGD).
      kernels::kernels_on(kCuda).sgd_step(dev[i].strided_view(), dev[i].grad().strided_view(), {},
                                          {lr, 0.0, 0.0, 0.0, false, step == 0});
      dev[i].zero_grad();
    }
  }
  INFO("cpu loss " << first_cpu << " -> " << last_cpu << ", cuda " << first_gpu << " -> "
                   << last_gpu);
  CHECK(std::abs(first_gpu - first_cpu) <= 1e-5 * std::abs(first_cpu));
  CHECK(last_cpu < 0.7 * first_cpu);  // it learned something
  CHECK(std::abs(last_gpu - last_cpu) <= 1e-3 * std::abs(last_cpu));
  CHECK(gpu::launch_count() > launches_before);
}

TEST_CASE("the fused optimizer steps on cuda match their CPU loops", "[gpu][optim]") {
  KINDLING_REQUIRE_GPU();
  const kernels::KernelTable& cpu = kernels::kernels_for(kCPU);
  const kernels::KernelTable& cuda = kernels::kernels_on(kCuda);
  for (DType dtype : {DType::float32, DType::float64}) {
    Generator gen(9);
    // Slots: param, grad; sgd's buffer; adam's exp_avg, exp_avg_sq; rmsprop's square_avg, buffer,
    // grad_avg (zero, so that the centred variance stays positive). Same values on both devices.
    std::vector<Tensor> host;
    for (int i = 0; i < 8; ++i)
      host.push_back(i < 2 ? randn({7, 33}, gen, dtype)
                           : (rand({7, 33}, gen, dtype) * (i == 7 ? 0.0 : 0.1)).detach());
    auto run = [&](const kernels::KernelTable& k, Device device) {
      std::vector<Tensor> t;
      for (const Tensor& h : host)
        t.push_back(h.clone().to(device));
      auto v = [&](int i) { return t[static_cast<std::size_t>(i)].strided_view(); };
      for (int step = 1; step <= 3; ++step) {
        k.sgd_step(v(0), v(1), v(2), kernels::SgdHyper{0.1, 0.9, 0.1, 0.01, false, step == 1});
        k.adam_step(v(0), v(1), v(3), v(4),
                    kernels::AdamHyper{0.01, 0.9, 0.99, 1e-8, 0.05, step, step != 2});
        k.rmsprop_step(v(0), v(1), v(5), v(6), v(7),
                       kernels::RmspropHyper{0.01, 0.9, 1e-8, 0.01, 0.5, true});
      }
      return t;
    };
    const std::vector<Tensor> want = run(cpu, kCPU), got = run(cuda, kCuda);
    const double tol = dtype == DType::float32 ? 1e-5 : 1e-12;
    for (std::size_t i = 0; i < want.size(); ++i)
      check_close(got[i], want[i], tol, tol,
                  "optimizer slot " + std::to_string(i) + " " + std::string(dtype_name(dtype)));
  }
}

TEST_CASE("AdamW's batched step on cuda matches the CPU for many parameters", "[gpu][optim]") {
  KINDLING_REQUIRE_GPU();
  // 30 parameters: more than one launch's worth (24), sizes from 0 to several blocks, so the
  // kernel's walk from one tensor to the next crosses empty ones and block boundaries.
  Generator gen(21);
  std::vector<Tensor> host_params, host_grads;
  for (int i = 0; i < 30; ++i) {
    const std::int64_t n = i == 3 ? 0 : (i * 977) % 5000 + 1;
    host_params.push_back(randn({n}, gen));
    host_grads.push_back(randn({n}, gen));
  }
  auto run = [&](Device device) {
    std::vector<Tensor> params;
    for (const Tensor& p : host_params)
      params.push_back(p.clone().to(device).set_requires_grad());
    nn::AdamW optimizer(params, nn::AdamW::with_default_decay());
    for (int step = 0; step < 3; ++step) {
      optimizer.zero_grad();
      Tensor loss = zeros({}, DType::float32, device);
      for (std::size_t i = 0; i < params.size(); ++i)
        loss = loss + sum(params[i] * host_grads[i].to(device));
      loss.backward();
      optimizer.step();
    }
    return params;
  };
  const std::vector<Tensor> got = run(kCuda);
  const std::vector<Tensor> want = run(kCPU);
  for (std::size_t i = 0; i < want.size(); ++i)
    check_close(got[i], want[i], 1e-5, 1e-6, "parameter " + std::to_string(i));
}

TEST_CASE("Device::cuda(i) places memory on GPU i and runs its kernels there", "[gpu][device]") {
  KINDLING_REQUIRE_GPU();
  const int count = gpu::device_count();
  // Past the last device: an error naming it, never memory on another GPU.
  CHECK_THROWS_WITH(zeros({4}, DType::float32, Device::cuda(count)),
                    Catch::Contains("cuda:" + std::to_string(count) + " does not exist"));
  // An op makes its tensors' device current (Note [one current device]), whatever was current.
  gpu::set_device(0);
  const Device last = Device::cuda(count - 1);
  Generator gen(3);
  const Tensor a = randn({8, 5}, gen), b = randn({5, 3}, gen);
  const Tensor got = matmul(a.to(last), b.to(last)) + 1.0;
  CHECK(got.device() == last);
  CHECK(gpu::current_device() == count - 1);
  check_close(got, matmul(a, b) + 1.0, 1e-5, 1e-6, "matmul on the last device");
#ifdef KINDLING_GPU_HAS_CUDA
  cudaPointerAttributes attributes{};
  REQUIRE(cudaPointerGetAttributes(&attributes, got.raw_data()) == cudaSuccess);
  CHECK(attributes.device == count - 1);
#endif
  // Between two GPUs (through the host) the values arrive unchanged.
  const Tensor back = got.to(kCuda);
  CHECK(back.device() == kCuda);
  CHECK(back.to_vector<float>() == got.to_vector<float>());
  gpu::set_device(0);
}
