// DistributedDataParallel: parameter checks and broadcast at construction, and the gradient
// buckets reduced during backward (Note [gradient buckets] in kindling/dist/ddp.hpp).
#include "kindling/dist/ddp.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <utility>

#include "group.hpp"
#include "kindling/dist/process_group.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/creation.hpp"

namespace kindling::dist {

struct DistributedDataParallel::Slot {
  std::string name;
  Tensor parameter;
  std::size_t bucket = 0;
  std::size_t offset = 0;  // in bytes, into the bucket's buffer
  std::size_t bytes = 0;
  bool ready = false;  // its gradient of this pass is in the bucket
};

struct DistributedDataParallel::Bucket {
  DType dtype = DType::float32;
  std::vector<std::byte> data;  // the gradients of its slots, one after the other
  std::vector<std::size_t> slots;
  std::size_t pending = 0;  // slots not ready yet in this pass
  MPI_Request request = MPI_REQUEST_NULL;
  bool started = false;
};

namespace {

constexpr const char* kWhat = "DistributedDataParallel";

std::string describe(const std::string& name, const Tensor& t) {
  std::ostringstream out;
  out << '\'' << name << "' " << dtype_name(t.dtype()) << ' ' << shape_string(t.shape());
  return out.str();
}

// Every rank's parameter list against rank 0's, the same on every rank, so that all of them throw
// the same error (or none does) and no rank is left waiting in a collective.
void check_same_parameters(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::string mine;
  for (const auto& [name, t] : named)
    mine += describe(name, t) + '\n';
  const std::vector<std::string> all = detail::all_gather_bytes(mine, kWhat);
  const auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
      out.push_back(line);
    return out;
  };
  const std::vector<std::string> reference = lines(all[0]);
  for (std::size_t r = 1; r < all.size(); ++r) {
    const std::vector<std::string> theirs = lines(all[r]);
    const std::size_t common = std::min(reference.size(), theirs.size());
    for (std::size_t i = 0; i < common; ++i)
      KINDLING_CHECK(theirs[i] == reference[i], kWhat,
                     ": the models differ across ranks: parameter ", i, " is ", theirs[i],
                     " on rank ", r, " but ", reference[i], " on rank 0");
    KINDLING_CHECK(
        theirs.size() == reference.size(), kWhat, ": the models differ across ranks: rank ", r,
        " has ", theirs.size(), " parameters and rank 0 has ", reference.size(),
        "; the first one missing is ",
        theirs.size() < reference.size() ? reference[common] : theirs[common],
        theirs.size() < reference.size() ? " (rank 0's)" : " (rank " + std::to_string(r) + "'s)");
  }
}

// The gradient's values as a contiguous host tensor of the parameter's dtype.
Tensor host_gradient(const Tensor& grad) {
  const detail::HostStage staged = detail::stage(grad);
  return staged.host;
}

}  // namespace

DistributedDataParallel::DistributedDataParallel(std::shared_ptr<nn::Module> module,
                                                 DdpOptions options)
    : Module("DistributedDataParallel"), module_(std::move(module)), options_(options) {
  KINDLING_CHECK(module_ != nullptr, kWhat, ": the module is null");
  KINDLING_CHECK(options_.bucket_cap_mb > 0 && options_.first_bucket_cap_mb > 0, kWhat,
                 ": bucket caps must be positive, got bucket_cap_mb = ", options_.bucket_cap_mb,
                 " and first_bucket_cap_mb = ", options_.first_bucket_cap_mb);
  detail::group(kWhat);
  register_module("module", module_);  // names become "module.fc1.weight", as PyTorch's
  const std::vector<std::pair<std::string, Tensor>> named = module_->named_parameters();
  for (const auto& [name, t] : named) {
    KINDLING_CHECK(t.dtype() == DType::float32 || t.dtype() == DType::float64, kWhat,
                   ": parameter '", name, "' is ", dtype_name(t.dtype()),
                   "; gradients are averaged in float32 or float64 only");
  }
  check_same_parameters(named);

  // Rank 0's values everywhere (each a collective of its own: a construction-time cost).
  {
    const no_grad off;
    for (const auto& [name, t] : named)
      broadcast(t, 0);
    if (options_.broadcast_buffers)
      for (const auto& [name, t] : module_->named_buffers())
        broadcast(t, 0);
  }

  // Note [gradient buckets]: reverse order, a 1 MB first bucket, then 25 MB ones.
  for (const auto& [name, t] : named)
    slots_.push_back(
        {name, t, 0, 0, static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()), false});
  const auto cap_bytes = [](double mb) { return static_cast<std::size_t>(mb * 1024 * 1024); };
  for (std::size_t k = slots_.size(); k-- > 0;) {
    Slot& slot = slots_[k];
    const std::size_t cap =
        cap_bytes(buckets_.size() <= 1 ? options_.first_bucket_cap_mb : options_.bucket_cap_mb);
    const bool fits = !buckets_.empty() && buckets_.back().dtype == slot.parameter.dtype() &&
                      buckets_.back().data.size() + slot.bytes <= cap;
    if (!fits) {
      buckets_.emplace_back();
      buckets_.back().dtype = slot.parameter.dtype();
    }
    Bucket& bucket = buckets_.back();
    slot.bucket = buckets_.size() - 1;
    slot.offset = bucket.data.size();
    bucket.data.resize(bucket.data.size() + slot.bytes);
    bucket.slots.push_back(k);
  }
  reset_pass();
  for (std::size_t k = 0; k < slots_.size(); ++k)
    hooks_.push_back(slots_[k].parameter.register_post_accumulate_grad_hook(
        [this, k](const Tensor&) { on_gradient(k); }));
}

DistributedDataParallel::~DistributedDataParallel() {
  for (const HookHandle& h : hooks_)
    h.remove();
}

std::size_t DistributedDataParallel::bucket_count() const noexcept {
  return buckets_.size();
}

std::vector<std::vector<std::string>> DistributedDataParallel::bucket_parameter_names() const {
  std::vector<std::vector<std::string>> out;
  for (const Bucket& b : buckets_) {
    out.emplace_back();
    for (std::size_t k : b.slots)
      out.back().push_back(slots_[k].name);
  }
  return out;
}

Tensor DistributedDataParallel::forward(const Tensor& input) {
  if (ready_ != 0) {
    const auto missing =
        std::find_if(slots_.begin(), slots_.end(), [](const Slot& s) { return !s.ready; });
    std::ostringstream why;
    why << kWhat << ": the previous backward pass gave no gradient to parameter '" << missing->name
        << "' on rank " << detail::state().rank
        << ", so its gradients were not synchronized; every parameter must take part in the loss "
           "(unused parameters are not supported)";
    abandon_pass(why.str());
    throw error(why.str());
  }
  pass_syncs_ = no_sync_depth_ == 0;
  return (*module_)(input);
}

DistributedDataParallel::NoSync::NoSync(DistributedDataParallel& ddp) noexcept : ddp_(ddp) {
  ++ddp_.no_sync_depth_;
}
DistributedDataParallel::NoSync::~NoSync() {
  --ddp_.no_sync_depth_;
}

// After a pass that started some buckets but not all, the ranks' collectives no longer pair up.
void DistributedDataParallel::abandon_pass(const std::string& why) {
  if (next_bucket_ > 0 && detail::state().broken.empty()) detail::state().broken = why;
  reset_pass();
}

void DistributedDataParallel::reset_pass() {
  for (Slot& s : slots_)
    s.ready = false;
  for (Bucket& b : buckets_) {
    b.pending = b.slots.size();
    b.started = false;
    b.request = MPI_REQUEST_NULL;
  }
  ready_ = 0;
  next_bucket_ = 0;
}

void DistributedDataParallel::on_gradient(std::size_t k) {
  if (!pass_syncs_) return;
  detail::Group& g = detail::group(kWhat);
  Slot& slot = slots_[k];
  KINDLING_CHECK(!slot.ready, kWhat, ": parameter '", slot.name,
                 "' received a second gradient in one synchronized pass (two backward passes "
                 "through one forward?); use no_sync() for all but the last");
  if (g.size == 1) return;  // plain training: nothing to average
  KINDLING_CHECK(!slot.parameter.grad().requires_grad(), kWhat, ": parameter '", slot.name,
                 "' has a recorded gradient (backward with create_graph), which cannot be "
                 "averaged in place; run that backward inside no_sync()");
  const Tensor grad = host_gradient(slot.parameter.grad());
  Bucket& bucket = buckets_[slot.bucket];
  std::memcpy(bucket.data.data() + slot.offset, grad.raw_data(), slot.bytes);
  slot.ready = true;
  ++ready_;
  --bucket.pending;
  start_ready_buckets();
  if (ready_ == slots_.size()) complete_buckets();
}

void DistributedDataParallel::start_ready_buckets() {
  detail::Group& g = detail::group(kWhat);
  while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].pending == 0) {
    Bucket& b = buckets_[next_bucket_++];
    const std::size_t element = dtype_size(b.dtype);
    detail::check(
        MPI_Iallreduce(MPI_IN_PLACE, b.data.data(), static_cast<int>(b.data.size() / element),
                       detail::mpi_type(b.dtype, kWhat), MPI_SUM, g.comm, &b.request),
        kWhat);
    b.started = true;
    ++started_;
    if (ready_ < slots_.size()) ++overlapped_;
  }
  // Moves the started ones on (Open MPI progresses a non-blocking collective inside MPI calls).
  for (std::size_t i = 0; i < next_bucket_; ++i)
    if (buckets_[i].request != MPI_REQUEST_NULL) detail::test_all({&buckets_[i].request, 1}, kWhat);
}

void DistributedDataParallel::complete_buckets() {
  const double n = detail::group(kWhat).size;
  std::vector<MPI_Request> requests;
  for (const Bucket& b : buckets_)
    requests.push_back(b.request);
  detail::wait_all(requests, kWhat);
  for (Bucket& b : buckets_) {
    b.request = MPI_REQUEST_NULL;
    const std::size_t count = b.data.size() / dtype_size(b.dtype);
    if (b.dtype == DType::float32) {
      auto* p = reinterpret_cast<float*>(b.data.data());
      for (std::size_t i = 0; i < count; ++i)
        p[i] = static_cast<float>(p[i] / n);
    } else {
      auto* p = reinterpret_cast<double*>(b.data.data());
      for (std::size_t i = 0; i < count; ++i)
        p[i] /= n;
    }
    for (std::size_t k : b.slots) {
      const Slot& s = slots_[k];
      const Tensor grad = s.parameter.grad();
      detail::HostStage staged = detail::stage(grad);
      std::memcpy(staged.host.raw_data(), b.data.data() + s.offset, s.bytes);
      detail::write_back(grad, staged);
    }
  }
  reset_pass();
}

void DistributedDataParallel::finish_gradient_synchronization() {
  if (ready_ == 0) return;
  const auto missing =
      std::find_if(slots_.begin(), slots_.end(), [](const Slot& s) { return !s.ready; });
  std::ostringstream why;
  why << kWhat << ": finish_gradient_synchronization: parameter '" << missing->name
      << "' got no gradient in this backward pass on rank " << detail::state().rank
      << ", so the gradients are not synchronized (unused parameters are not supported)";
  abandon_pass(why.str());
  throw error(why.str());
}

}  // namespace kindling::dist
