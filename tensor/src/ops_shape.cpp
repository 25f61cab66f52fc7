// The shape and matrix ops of PyTorch's surface (issue 13), all composites of the primitives (so
// their gradients come from those): repeat, tile, flip, chunk, split, unbind, tril, triu, diag,
// einsum, and the spellings of matmul and transpose that torch has (mm, bmm, dot, outer, t).
#include <algorithm>
#include <array>
#include <string>

#include "internal.hpp"
#include "kindling/tensor/creation.hpp"

namespace kindling {

// ---- repeat / tile: x unsqueezed before each dimension, expanded, merged ----
Tensor repeat(const Tensor& x, const Shape& reps) {
  KINDLING_CHECK(static_cast<std::int64_t>(reps.size()) >= x.dim(), "repeat: ", reps.size(),
                 " repeat counts for a tensor of shape ", shape_string(x.shape()),
                 " (at least one per dimension)");
  for (std::int64_t r : reps)
    KINDLING_CHECK(r >= 0, "repeat: negative repeat count ", r, " in ", shape_string(reps));
  Shape padded(reps.size() - static_cast<std::size_t>(x.dim()), 1);
  padded.insert(padded.end(), x.shape().begin(), x.shape().end());
  // (1, s0, 1, s1, ...) expanded to (r0, s0, r1, s1, ...), then merged to (r0 s0, r1 s1, ...).
  Shape interleaved, expanded, result;
  for (std::size_t d = 0; d < reps.size(); ++d) {
    interleaved.insert(interleaved.end(), {1, padded[d]});
    expanded.insert(expanded.end(), {reps[d], padded[d]});
    result.push_back(checked_mul(reps[d], padded[d], "repeat"));
  }
  checked_numel(result, "repeat");
  return reshape(expand(reshape(x, interleaved), expanded), result);
}

Tensor tile(const Tensor& x, const Shape& reps) {
  Shape padded(static_cast<std::size_t>(
                   std::max<std::int64_t>(0, x.dim() - static_cast<std::int64_t>(reps.size()))),
               1);
  padded.insert(padded.end(), reps.begin(), reps.end());
  return repeat(x, padded);
}

// ---- flip: index_select with the reversed positions, axis by axis ----
Tensor flip(const Tensor& x, const Axes& axes) {
  // A 0-d tensor takes axis -1 or 0 (Note [0-d axes]) in a slot of its own: nothing to reverse.
  std::vector<bool> seen(static_cast<std::size_t>(std::max<std::int64_t>(x.dim(), 1)), false);
  Tensor y = x;
  for (std::int64_t a : axes) {
    const std::int64_t axis = detail::normalize_wrapped_axis(a, x.dim(), "flip");
    KINDLING_CHECK(!seen[axis], "flip: axis ", a, " given twice for shape ",
                   shape_string(x.shape()));
    seen[axis] = true;
    if (x.dim() == 0) continue;
    const std::int64_t n = x.shape()[axis];
    const Tensor reversed = arange(static_cast<double>(n - 1), -1.0, -1.0, DType::int64);
    y = index_select(y, axis, x.device() == kCPU ? reversed : reversed.to(x.device()));
  }
  return y.same_node(x) ? x.clone() : y;
}

// ---- chunk / split / unbind: slices along an axis ----
std::vector<Tensor> split(const Tensor& x, const Shape& sizes, std::int64_t axis) {
  axis = detail::normalize_axis(axis, x.dim(), "split");
  std::int64_t total = 0;
  for (std::int64_t s : sizes) {
    KINDLING_CHECK(s >= 0, "split: negative size ", s, " in ", shape_string(sizes));
    total += s;
  }
  KINDLING_CHECK(total == x.shape()[axis], "split: sizes ", shape_string(sizes), " add up to ",
                 total, ", not to ", x.shape()[axis], " (axis ", axis, " of shape ",
                 shape_string(x.shape()), ")");
  std::vector<Tensor> parts;
  std::int64_t start = 0;
  for (std::int64_t s : sizes) {
    parts.push_back(slice(x, axis, start, start + s));
    start += s;
  }
  return parts;
}

std::vector<Tensor> split(const Tensor& x, std::int64_t size, std::int64_t axis) {
  axis = detail::normalize_axis(axis, x.dim(), "split");
  const std::int64_t n = x.shape()[axis];
  KINDLING_CHECK(size > 0 || (size == 0 && n == 0), "split: the size must be positive, got ", size);
  if (n == 0) return {x};
  Shape sizes;
  for (std::int64_t start = 0; start < n; start += size)
    sizes.push_back(std::min(size, n - start));
  return split(x, sizes, axis);
}

std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t axis) {
  KINDLING_CHECK(chunks > 0, "chunk: the number of chunks must be positive, got ", chunks);
  axis = detail::normalize_axis(axis, x.dim(), "chunk");
  const std::int64_t n = x.shape()[axis];
  return split(x, std::max<std::int64_t>((n + chunks - 1) / chunks, 1), axis);
}

std::vector<Tensor> unbind(const Tensor& x, std::int64_t axis) {
  axis = detail::normalize_axis(axis, x.dim(), "unbind");
  std::vector<Tensor> parts;
  for (std::int64_t i = 0; i < x.shape()[axis]; ++i)
    parts.push_back(squeeze(slice(x, axis, i, i + 1), axis));
  return parts;
}

// ---- tril / triu: masked_fill with 0 off the triangle of the last two dimensions ----
namespace {
// true where column - row > diagonal (above: the part tril clears) or < diagonal (below: triu).
Tensor off_triangle(const Tensor& x, std::int64_t diagonal, bool above, const char* op) {
  KINDLING_CHECK(x.dim() >= 2, op, ": needs at least 2 dimensions, got shape ",
                 shape_string(x.shape()));
  const std::int64_t rows = x.shape()[x.dim() - 2], cols = x.shape()[x.dim() - 1];
  const Tensor row = reshape(arange(rows, DType::int64), {rows, 1});
  const Tensor col = reshape(arange(cols, DType::int64), {1, cols});
  const Tensor offset = col - row;  // (rows, cols)
  const Tensor mask = above ? gt(offset, diagonal) : lt(offset, diagonal);
  return x.device() == kCPU ? mask : mask.to(x.device());
}
}  // namespace

Tensor tril(const Tensor& x, std::int64_t diagonal) {
  return masked_fill(x, off_triangle(x, diagonal, true, "tril"), 0);
}
Tensor triu(const Tensor& x, std::int64_t diagonal) {
  return masked_fill(x, off_triangle(x, diagonal, false, "triu"), 0);
}

// ---- diag: a vector onto a diagonal (masked_fill of its expansion), or a matrix's diagonal (a
// strided slice of its flattened elements) ----
Tensor diag(const Tensor& x, std::int64_t diagonal) {
  KINDLING_CHECK(x.dim() == 1 || x.dim() == 2, "diag: needs a 1-D or 2-D tensor, got shape ",
                 shape_string(x.shape()));
  const std::int64_t k = diagonal, shift = k < 0 ? -k : k;
  if (x.dim() == 1) {
    const std::int64_t n = checked_add(x.shape()[0], shift, "diag");
    checked_numel({n, n}, "diag");
    // v padded to n; element (i, j) of the expansion is v[i] for k >= 0 (the rows hold the
    // values: (i, i + k)), v[j] for k < 0 ((j - k, j)).
    const Tensor padded = concat({x, zeros({shift}, x.dtype(), x.device())}, 0);
    const Tensor spread =
        k >= 0 ? expand(unsqueeze(padded, 1), {n, n}) : expand(unsqueeze(padded, 0), {n, n});
    const Tensor row = reshape(arange(n, DType::int64), {n, 1});
    const Tensor col = reshape(arange(n, DType::int64), {1, n});
    Tensor off = ne(col - row, k);
    if (x.device() != kCPU) off = off.to(x.device());
    return masked_fill(spread, off, 0);
  }
  const std::int64_t rows = x.shape()[0], cols = x.shape()[1];
  // Elements (i, i + k) for k >= 0, (i - k, i) for k < 0: flat positions start + i (cols + 1).
  const std::int64_t length =
      std::max<std::int64_t>(0, k >= 0 ? std::min(rows, cols - k) : std::min(rows + k, cols));
  const Tensor flat = reshape(x, {-1});
  if (length == 0) return slice(flat, 0, 0, 0);
  const std::int64_t start = k >= 0 ? k : -k * cols;
  const std::int64_t step = cols + 1;
  return slice(flat, 0, start, start + (length - 1) * step + 1, step);
}

// ---- mm, bmm, dot, outer, t: matmul and transpose with torch's shape rules ----
Tensor mm(const Tensor& a, const Tensor& b) {
  KINDLING_CHECK(a.dim() == 2 && b.dim() == 2, "mm: needs two matrices, got ",
                 shape_string(a.shape()), " x ", shape_string(b.shape()));
  KINDLING_CHECK(a.shape()[1] == b.shape()[0], "mm: ", shape_string(a.shape()), " x ",
                 shape_string(b.shape()), ": inner dimensions ", a.shape()[1], " and ",
                 b.shape()[0], " differ");
  return matmul(a, b);
}
Tensor bmm(const Tensor& a, const Tensor& b) {
  KINDLING_CHECK(a.dim() == 3 && b.dim() == 3, "bmm: needs two 3-D tensors, got ",
                 shape_string(a.shape()), " x ", shape_string(b.shape()));
  KINDLING_CHECK(a.shape()[0] == b.shape()[0], "bmm: ", shape_string(a.shape()), " x ",
                 shape_string(b.shape()), ": batch sizes ", a.shape()[0], " and ", b.shape()[0],
                 " differ (bmm does not broadcast; matmul does)");
  KINDLING_CHECK(a.shape()[2] == b.shape()[1], "bmm: ", shape_string(a.shape()), " x ",
                 shape_string(b.shape()), ": inner dimensions ", a.shape()[2], " and ",
                 b.shape()[1], " differ");
  return matmul(a, b);
}
Tensor dot(const Tensor& a, const Tensor& b) {
  KINDLING_CHECK(a.dim() == 1 && b.dim() == 1, "dot: needs two 1-D tensors, got ",
                 shape_string(a.shape()), " and ", shape_string(b.shape()));
  KINDLING_CHECK(a.shape()[0] == b.shape()[0], "dot: lengths ", a.shape()[0], " and ", b.shape()[0],
                 " differ");
  return matmul(a, b);
}
Tensor outer(const Tensor& a, const Tensor& b) {
  KINDLING_CHECK(a.dim() == 1 && b.dim() == 1, "outer: needs two 1-D tensors, got ",
                 shape_string(a.shape()), " and ", shape_string(b.shape()));
  return mul(unsqueeze(a, 1), unsqueeze(b, 0));
}
Tensor t(const Tensor& x) {
  KINDLING_CHECK(x.dim() <= 2, "t: needs at most 2 dimensions, got shape ", shape_string(x.shape()),
                 "; use transpose(a, b) or permute");
  return x.dim() < 2 ? x : transpose(x, 0, 1);
}

// ---- einsum: sums, then pairwise contractions as batched matmuls ----
namespace {

struct Term {
  std::string letters;  // one per dimension, each at most once
  Tensor value;
};

// term summed over the letters not in `keep`.
Term sum_out(Term term, const std::string& keep) {
  Axes axes;
  std::string rest;
  for (std::size_t d = 0; d < term.letters.size(); ++d) {
    if (keep.find(term.letters[d]) == std::string::npos)
      axes.push_back(static_cast<std::int64_t>(d));
    else
      rest += term.letters[d];
  }
  if (!axes.empty()) term.value = sum(term.value, axes);
  term.letters = rest;
  return term;
}

// term's dimensions permuted into the order of `letters` (a permutation of term.letters).
Tensor arrange(const Term& term, const std::string& letters) {
  Shape order;
  for (char c : letters)
    order.push_back(static_cast<std::int64_t>(term.letters.find(c)));
  return permute(term.value, order);
}

std::int64_t size_of(const Term& term, char c) {
  return term.value.shape()[term.letters.find(c)];
}

// a and b contracted over their shared letters that are not in `keep`; the result's letters are
// the batch letters (shared and kept), then a's own, then b's own.
Term contract(Term a, Term b, const std::string& keep) {
  std::string both_keep = keep + b.letters;
  a = sum_out(std::move(a), both_keep);  // a's letters needed neither later nor by b
  b = sum_out(std::move(b), keep + a.letters);
  std::string batch, contracted, a_only, b_only;
  for (char c : a.letters) {
    const bool in_b = b.letters.find(c) != std::string::npos;
    if (in_b && keep.find(c) != std::string::npos)
      batch += c;
    else if (in_b)
      contracted += c;
    else
      a_only += c;
  }
  for (char c : b.letters)
    if (a.letters.find(c) == std::string::npos) b_only += c;
  auto product = [](const Term& t, const std::string& letters) {
    std::int64_t n = 1;
    for (char c : letters)
      n = checked_mul(n, size_of(t, c), "einsum");
    return n;
  };
  Shape batch_shape;
  for (char c : batch)
    batch_shape.push_back(size_of(a, c));
  const std::int64_t nb = product(a, batch), m = product(a, a_only), k = product(a, contracted),
                     n = product(b, b_only);
  const Tensor am = reshape(arrange(a, batch + a_only + contracted), {nb, m, k});
  const Tensor bm = reshape(arrange(b, batch + contracted + b_only), {nb, k, n});
  Shape shape = batch_shape;
  for (char c : a_only)
    shape.push_back(size_of(a, c));
  for (char c : b_only)
    shape.push_back(size_of(b, c));
  return {batch + a_only + b_only, reshape(matmul(am, bm), shape)};
}

bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands) {
  std::string spec;
  for (char c : equation)
    if (c != ' ') spec += c;
  KINDLING_CHECK(spec.find("...") == std::string::npos, "einsum: '", equation,
                 "': ellipses ('...') are not supported");
  const std::size_t arrow = spec.find("->");
  const std::string inputs = spec.substr(0, arrow);
  std::vector<std::string> subscripts(1);
  for (char c : inputs) {
    if (c == ',') {
      subscripts.emplace_back();
      continue;
    }
    KINDLING_CHECK(is_letter(c), "einsum: '", equation, "': '", std::string(1, c),
                   "' is not a subscript letter (a-z, A-Z)");
    subscripts.back() += c;
  }
  KINDLING_CHECK(subscripts.size() == operands.size(), "einsum: '", equation, "' has ",
                 subscripts.size(), " operand subscripts but ", operands.size(),
                 " operands were given");
  std::array<std::int64_t, 128> size{}, count{};
  size.fill(-1);
  std::vector<Term> terms;
  for (std::size_t i = 0; i < operands.size(); ++i) {
    const std::string& s = subscripts[i];
    KINDLING_CHECK(static_cast<std::int64_t>(s.size()) == operands[i].dim(), "einsum: '", equation,
                   "': operand ", i, " has shape ", shape_string(operands[i].shape()), " but ",
                   s.size(), " subscripts ('", s, "')");
    for (std::size_t d = 0; d < s.size(); ++d) {
      const auto c = static_cast<unsigned char>(s[d]);
      KINDLING_CHECK(s.find(s[d]) == d, "einsum: '", equation, "': subscript '",
                     std::string(1, s[d]), "' appears twice in operand ", i,
                     " (diagonals are not supported)");
      const std::int64_t n = operands[i].shape()[d];
      KINDLING_CHECK(size[c] < 0 || size[c] == n, "einsum: '", equation, "': subscript '",
                     std::string(1, s[d]), "' has size ", size[c], " in one operand and ", n,
                     " in operand ", i);
      size[c] = n;
      ++count[c];
    }
    terms.push_back({s, operands[i]});
  }
  std::string output;
  if (arrow == std::string::npos) {
    for (int c = 0; c < 128; ++c)  // the letters seen once, alphabetically (upper case first)
      if (count[c] == 1) output += static_cast<char>(c);
  } else {
    output = spec.substr(arrow + 2);
    for (std::size_t d = 0; d < output.size(); ++d) {
      const char c = output[d];
      KINDLING_CHECK(is_letter(c) && count[static_cast<unsigned char>(c)] > 0, "einsum: '",
                     equation, "': output subscript '", std::string(1, c),
                     "' is not a letter of the operands");
      KINDLING_CHECK(output.find(c) == d, "einsum: '", equation, "': output subscript '",
                     std::string(1, c), "' appears twice");
    }
  }
  KINDLING_CHECK(!terms.empty(), "einsum: no operands");
  // Left to right: each contraction keeps the letters of the output and of the operands still
  // to come.
  Term result = terms[0];
  for (std::size_t i = 1; i < terms.size(); ++i) {
    std::string keep = output;
    for (std::size_t j = i + 1; j < terms.size(); ++j)
      keep += terms[j].letters;
    result = contract(std::move(result), terms[i], keep);
  }
  result = sum_out(std::move(result), output);
  return arrange(result, output);
}

}  // namespace kindling
