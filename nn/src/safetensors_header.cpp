// The safetensors dtype table and the streaming header parser (Note [bounded header parse] in
// safetensors_header.hpp).
#include "safetensors_header.hpp"

#include <bit>
#include <cstring>
#include <iterator>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "kindling/engine/error.hpp"
#include "text.hpp"

namespace kindling::nn::safetensors_detail {

namespace {

// ---- conversions on load -----------------------------------------------------------------------

template <class T>
T read_le(const std::uint8_t* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);  // the data is little-endian, as the host (safetensors.cpp)
  return v;
}

// An integer dtype widened to Dst (int64).
template <class Src, class Dst>
void convert_integer(const std::uint8_t* src, std::size_t count, void* dst, const std::string&) {
  auto* out = static_cast<Dst*>(dst);
  for (std::size_t i = 0; i < count; ++i)
    out[i] = static_cast<Dst>(read_le<Src>(src + i * sizeof(Src)));
}

void convert_u64(const std::uint8_t* src, std::size_t count, void* dst, const std::string& where) {
  auto* out = static_cast<std::int64_t*>(dst);
  for (std::size_t i = 0; i < count; ++i) {
    const auto u = read_le<std::uint64_t>(src + 8 * i);
    KINDLING_CHECK(u <= static_cast<std::uint64_t>(INT64_MAX), where, ": U64 value ", u,
                   " (element ", i, " of this chunk) does not fit int64");
    out[i] = static_cast<std::int64_t>(u);
  }
}

// BOOL bytes: any non-zero byte is true.
template <class Dst>
void convert_bool(const std::uint8_t* src, std::size_t count, void* dst, const std::string&) {
  auto* out = static_cast<Dst*>(dst);
  for (std::size_t i = 0; i < count; ++i)
    out[i] = static_cast<Dst>(src[i] != 0);
}

float half_to_float(std::uint16_t h) noexcept {
  const std::uint32_t sign = (h & 0x8000u) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
  std::uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while ((mantissa & 0x400) == 0);
      bits = sign | static_cast<std::uint32_t>(127 - 15 - e) << 23 | ((mantissa & 0x3FF) << 13);
    }
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  return std::bit_cast<float>(bits);
}

void convert_f16(const std::uint8_t* src, std::size_t count, void* dst, const std::string&) {
  auto* out = static_cast<float*>(dst);
  for (std::size_t i = 0; i < count; ++i)
    out[i] = half_to_float(read_le<std::uint16_t>(src + 2 * i));
}

void convert_bf16(const std::uint8_t* src, std::size_t count, void* dst, const std::string&) {
  auto* out = static_cast<float*>(dst);
  for (std::size_t i = 0; i < count; ++i)
    out[i] = std::bit_cast<float>(std::uint32_t{read_le<std::uint16_t>(src + 2 * i)} << 16);
}

// Every dtype the format defines.
constexpr FileDType kFileDTypes[] = {
    {"BOOL", 1, true, DType::bool_, &convert_bool<bool>},
    {"U8", 1, true, DType::int64, &convert_integer<std::uint8_t, std::int64_t>},
    {"I8", 1, true, DType::int64, &convert_integer<std::int8_t, std::int64_t>},
    {"I16", 2, true, DType::int64, &convert_integer<std::int16_t, std::int64_t>},
    {"U16", 2, true, DType::int64, &convert_integer<std::uint16_t, std::int64_t>},
    {"I32", 4, true, DType::int64, &convert_integer<std::int32_t, std::int64_t>},
    {"U32", 4, true, DType::int64, &convert_integer<std::uint32_t, std::int64_t>},
    {"I64", 8, true, DType::int64, nullptr},
    {"U64", 8, true, DType::int64, &convert_u64},
    {"F16", 2, true, DType::float32, &convert_f16},
    {"BF16", 2, true, DType::float32, &convert_bf16},
    {"F32", 4, true, DType::float32, nullptr},
    {"F64", 8, true, DType::float64, nullptr},
    {"F8_E5M2", 1, false, DType::float32, nullptr},
    {"F8_E4M3", 1, false, DType::float32, nullptr},
};

// ---- the SAX handler ---------------------------------------------------------------------------

// A char iterator that tells the handler how far nlohmann's lexer has read, for the offsets in
// messages (SAX events carry no positions).
class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;
  CountingIterator(const char* p, const char* base, std::size_t* consumed) noexcept
      : p_(p), base_(base), consumed_(consumed) {}
  reference operator*() const noexcept { return *p_; }
  CountingIterator& operator++() noexcept {
    ++p_;
    *consumed_ = static_cast<std::size_t>(p_ - base_);
    return *this;
  }
  CountingIterator operator++(int) noexcept {
    CountingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const CountingIterator& other) const noexcept { return p_ == other.p_; }

 private:
  const char* p_;
  const char* base_;
  std::size_t* consumed_;
};

using Json = nlohmann::json;

class HeaderHandler final : public nlohmann::json_sax<Json> {
 public:
  HeaderHandler(const std::string& file, const std::size_t* consumed)
      : file_(file), consumed_(consumed) {}
  Header take() { return std::move(header_); }

  bool null() override { return wrong_value("null"); }
  bool boolean(bool) override { return wrong_value("a boolean"); }
  bool number_integer(number_integer_t value) override {
    if (state_ == State::numbers && value >= 0)  // "-0"
      return number(static_cast<std::uint64_t>(value));
    return wrong_value("a negative number");
  }
  bool number_unsigned(number_unsigned_t value) override {
    if (state_ == State::numbers) return number(value);
    return wrong_value("a number");
  }
  bool number_float(number_float_t, const string_t&) override {
    return wrong_value("a number that is not an integer (or exceeds 2^64)");
  }
  bool binary(binary_t&) override { return wrong_value("binary data"); }

  bool string(string_t& value) override {
    if (state_ == State::metadata_value) {
      header_.metadata.emplace(std::move(key_), std::move(value));
      state_ = State::metadata_key;
      return true;
    }
    if (state_ == State::entry_value && field_ == Field::dtype) {
      entry_.dtype = find_file_dtype(value);
      if (entry_.dtype == nullptr)
        fail(where(), ": unknown dtype ", text::quote_for_message(value));
      state_ = State::entry_key;
      return true;
    }
    return wrong_value("a string");
  }

  bool start_object(std::size_t) override {
    switch (state_) {
      case State::start:
        state_ = State::root_key;
        return true;
      case State::root_value:
        if (in_metadata_) {
          state_ = State::metadata_key;
        } else {
          state_ = State::entry_key;
          seen_ = {};
        }
        return true;
      default:
        return wrong_value("an object");
    }
  }

  bool start_array(std::size_t) override {
    if (state_ == State::entry_value && (field_ == Field::shape || field_ == Field::offsets)) {
      numbers_.clear();
      state_ = State::numbers;
      return true;
    }
    return wrong_value("an array");
  }

  bool key(string_t& name) override {
    switch (state_) {
      case State::root_key:
        if (!root_keys_.insert(name).second) duplicate(name);
        in_metadata_ = name == "__metadata__";
        entry_ = HeaderEntry{};
        entry_.name = std::move(name);
        state_ = State::root_value;
        return true;
      case State::metadata_key:
        if (header_.metadata.count(name) != 0) duplicate(name);
        key_ = std::move(name);
        state_ = State::metadata_value;
        return true;
      case State::entry_key: {
        const Field field = name == "dtype"          ? Field::dtype
                            : name == "shape"        ? Field::shape
                            : name == "data_offsets" ? Field::offsets
                                                     : Field::none;
        if (field == Field::none)
          fail(where(), ": needs exactly the fields dtype, shape and data_offsets, not ",
               text::quote_for_message(name));
        const auto bit = 1u << static_cast<unsigned>(field);
        if (seen_ & bit) duplicate(name);
        seen_ |= bit;
        field_ = field;
        state_ = State::entry_value;
        return true;
      }
      default:  // nlohmann calls key() only inside an object, where one of the above holds
        fail(file_, ": unexpected key in the header");
    }
  }

  bool end_array() override {
    // Only a shape or data_offsets array can be open (every other array is rejected at its start).
    if (field_ == Field::shape) {
      entry_.shape.clear();
      for (const std::uint64_t d : numbers_)  // each checked <= 2^63 - 1 by number()
        entry_.shape.push_back(static_cast<std::int64_t>(d));
    } else {
      if (numbers_.size() != 2) fail(where(), ": data_offsets must be two non-negative integers");
      entry_.begin = numbers_[0];
      entry_.end = numbers_[1];
    }
    state_ = State::entry_key;
    return true;
  }

  bool end_object() override {
    switch (state_) {
      case State::entry_key:
        finish_entry();
        state_ = State::root_key;
        return true;
      case State::metadata_key:
        state_ = State::root_key;
        return true;
      case State::root_key:
        state_ = State::done;
        return true;
      default:
        fail(file_, ": unexpected end of an object in the header");
    }
  }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& problem) override {
    // The lexer's message quotes the offending token: quoted and cut (Note [untrusted text in
    // messages]).
    fail(file_, ": the header is not valid JSON at offset ", 8 + (position > 0 ? position - 1 : 0),
         ": ", text::quote_for_message(problem.what(), 200));
  }

 private:
  enum class State {
    start,
    root_key,
    root_value,
    metadata_key,
    metadata_value,
    entry_key,
    entry_value,
    numbers,
    done
  };
  enum class Field : unsigned { none, dtype, shape, offsets };

  template <class... Parts>
  [[noreturn]] void fail(Parts&&... parts) const {
    ::kindling::detail::throw_error(std::forward<Parts>(parts)..., " (near file offset ",
                                    8 + *consumed_, ")");
  }
  [[noreturn]] void duplicate(const std::string& name) const {
    fail(file_, ": duplicate key ", text::quote_for_message(name), " in the header");
  }
  std::string where() const { return file_ + ", entry " + text::quote_for_message(entry_.name); }

  bool number(std::uint64_t value) {
    const std::size_t limit = field_ == Field::shape ? static_cast<std::size_t>(kMaxDims) : 2;
    if (numbers_.size() == limit) {
      if (field_ == Field::shape)
        fail(where(), ": shape must be an array of at most ", kMaxDims, " sizes");
      fail(where(), ": data_offsets must be two non-negative integers");
    }
    if (field_ == Field::shape && value > static_cast<std::uint64_t>(INT64_MAX))
      fail(where(), ": shape entry ", value, " is larger than 2^63 - 1");
    numbers_.push_back(value);
    return true;
  }

  // A value of the wrong kind where the state expects something else: the message says what
  // belongs there.
  [[noreturn]] bool wrong_value(const char* got) const {
    switch (state_) {
      case State::start:
        fail(file_, ": the header is not a JSON object");
      case State::root_value:
        if (in_metadata_) fail(where(), ": must be an object of strings, got ", got);
        fail(where(), ": needs exactly the fields dtype, shape and data_offsets, got ", got);
      case State::metadata_value:
        fail(where(), ": value of ", text::quote_for_message(key_), " is not a string, got ", got);
      case State::entry_value:
        if (field_ == Field::dtype) fail(where(), ": dtype is not a string, got ", got);
        if (field_ == Field::shape)
          fail(where(), ": shape must be an array of at most ", kMaxDims, " sizes, got ", got);
        fail(where(), ": data_offsets must be two non-negative integers, got ", got);
      case State::numbers:
        if (field_ == Field::shape)
          fail(where(), ": shape entries must be non-negative integers, got ", got);
        fail(where(), ": data_offsets must be two non-negative integers, got ", got);
      default:
        fail(file_, ": unexpected ", got, " in the header");
    }
  }

  // An entry's own checks, once its object closes.
  void finish_entry() {
    if (seen_ != 0b1110u) fail(where(), ": needs exactly the fields dtype, shape and data_offsets");
    HeaderEntry& e = entry_;
    if (!e.dtype->loadable)
      fail(where(), ": dtype ", e.dtype->name, " is valid safetensors but kindling cannot load it");
    const std::string op = where() + ": shape " + shape_string(e.shape);
    // The element count, and the strides of the shape too (a zero dimension makes it empty but
    // the others still multiply into strides): both must fit int64.
    std::int64_t strided = 1;
    bool empty = false;
    for (const std::int64_t d : e.shape) {
      strided = checked_mul(strided, d == 0 ? 1 : d, op, "elements");
      empty = empty || d == 0;
    }
    const std::int64_t bytes =
        checked_mul(empty ? 0 : strided, static_cast<std::int64_t>(e.dtype->size), op, "bytes");
    if (e.begin > e.end)
      fail(op, ": data_offsets [", e.begin, ", ", e.end, "] end before they begin");
    if (e.end - e.begin != static_cast<std::uint64_t>(bytes))
      fail(op, ": shape ", shape_string(e.shape), " of ", e.dtype->name, " needs ", bytes,
           " bytes but data_offsets [", e.begin, ", ", e.end, "] hold ", e.end - e.begin);
    header_.entries.push_back(std::move(e));
  }

  const std::string& file_;
  const std::size_t* consumed_;
  Header header_;
  State state_ = State::start;
  Field field_ = Field::none;
  bool in_metadata_ = false;
  unsigned seen_ = 0;  // bits of the fields an entry has given
  HeaderEntry entry_;
  std::string key_;                     // the metadata key whose value comes next
  std::vector<std::uint64_t> numbers_;  // the shape or data_offsets being read
  std::unordered_set<std::string> root_keys_;
};

}  // namespace

const FileDType* find_file_dtype(std::string_view name) noexcept {
  for (const auto& d : kFileDTypes)
    if (name == d.name) return &d;
  return nullptr;
}

Header parse_header(std::string_view json, const std::string& file) {
  std::size_t consumed = 0;
  HeaderHandler handler(file, &consumed);
  const CountingIterator first(json.data(), json.data(), &consumed);
  const CountingIterator last(json.data() + json.size(), json.data(), &consumed);
  // strict: nothing but whitespace (the writer's padding) after the object.
  Json::sax_parse(first, last, &handler, Json::input_format_t::json, /*strict=*/true);
  return handler.take();
}

}  // namespace kindling::nn::safetensors_detail
