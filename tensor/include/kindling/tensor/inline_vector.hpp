// InlineVector: a vector of trivially copyable elements that holds its first N in place and moves
// to the heap only past them. A tensor node's inputs, saved tensors and recorded versions are
// almost always two or three, and a std::vector's heap block for them (32 bytes each from
// malloc) was a fifth of a small node's cost (issue 14).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

namespace kindling::detail {

template <class T, std::size_t N>
class InlineVector {
  static_assert(std::is_trivially_copyable_v<T> && N > 0);

 public:
  InlineVector() noexcept = default;
  InlineVector(const InlineVector&) = delete;
  InlineVector& operator=(const InlineVector&) = delete;
  ~InlineVector() {
    if (on_heap()) ::operator delete(heap_);
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  T* data() noexcept { return on_heap() ? heap_ : inline_; }
  const T* data() const noexcept { return on_heap() ? heap_ : inline_; }
  T* begin() noexcept { return data(); }
  T* end() noexcept { return data() + size_; }
  const T* begin() const noexcept { return data(); }
  const T* end() const noexcept { return data() + size_; }
  T& operator[](std::size_t i) noexcept {
    assert(i < size_);
    return data()[i];
  }
  const T& operator[](std::size_t i) const noexcept {
    assert(i < size_);
    return data()[i];
  }

  void reserve(std::size_t capacity) {
    if (capacity > this->capacity()) grow(capacity);
  }
  void push_back(T value) {
    if (size_ == capacity()) grow(2 * capacity());
    data()[size_++] = value;
  }
  // Keeps the heap block, as std::vector's clear keeps its capacity.
  void clear() noexcept { size_ = 0; }

 private:
  bool on_heap() const noexcept { return capacity_ > N; }
  std::size_t capacity() const noexcept { return on_heap() ? capacity_ : N; }
  void grow(std::size_t capacity) {
    if (capacity > UINT32_MAX) throw std::bad_alloc();
    auto* fresh = static_cast<T*>(::operator new(capacity * sizeof(T)));
    std::memcpy(static_cast<void*>(fresh), data(), size_ * sizeof(T));
    if (on_heap()) ::operator delete(heap_);
    heap_ = fresh;
    capacity_ = static_cast<std::uint32_t>(capacity);
  }

  union {
    T inline_[N]{};
    T* heap_;
  };
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;  // past N when the elements are on the heap
};

}  // namespace kindling::detail
