// Plain and gzip byte streams over chunk sources (byte_stream.hpp).
#include "byte_stream.hpp"

#include <zlib.h>

#include <cstring>
#include <limits>

#include "kindling/engine/error.hpp"

namespace kindling::nn::io {

namespace {

class PlainStream final : public ByteStream {
 public:
  PlainStream(ChunkSource& source, std::span<const std::uint8_t> first)
      : source_(source), pending_(first), total_(source.size()) {}
  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    std::size_t done = 0;
    while (done < n) {
      if (pending_.empty() && !ended_) {
        pending_ = source_.next();
        ended_ = pending_.empty();
      }
      if (pending_.empty()) break;
      const std::size_t take = std::min(n - done, pending_.size());
      std::memcpy(dst + done, pending_.data(), take);
      pending_ = pending_.subspan(take);
      done += take;
    }
    position_ += done;
    return done;
  }
  std::optional<std::uint64_t> exact_remaining() const override {
    if (!total_ || *total_ < position_) return std::nullopt;
    return *total_ - position_;
  }
  std::optional<std::uint64_t> max_remaining() const override { return exact_remaining(); }
  const char* kind() const noexcept override { return "file"; }

 private:
  ChunkSource& source_;
  std::span<const std::uint8_t> pending_;
  std::optional<std::uint64_t> total_;
  std::uint64_t position_ = 0;
  bool ended_ = false;
};

// deflate never expands more than 1032 to 1 (a 258-byte match per two bits at best).
constexpr std::uint64_t kMaxDeflateRatio = 1032;

// gzip through zlib, one or more members in a row, as gunzip reads them.
class GzipStream final : public ByteStream {
 public:
  GzipStream(ChunkSource& source, std::span<const std::uint8_t> first, const std::string& name)
      : source_(source), name_(name) {
    // windowBits 15 + 16 asks for the gzip wrapper.
    KINDLING_CHECK(inflateInit2(&z_, 15 + 16) == Z_OK, "cannot start zlib for '", name, "'");
    if (const auto total = source.size())
      bound_ = *total > std::numeric_limits<std::uint64_t>::max() / kMaxDeflateRatio
                   ? std::numeric_limits<std::uint64_t>::max()
                   : *total * kMaxDeflateRatio;
    feed(first);
  }
  ~GzipStream() override { inflateEnd(&z_); }
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    std::size_t done = 0;
    while (done < n && !finished_) {
      if (z_.avail_in == 0 && !input_ended_) {
        const auto piece = source_.next();
        input_ended_ = piece.empty();
        feed(piece);
      }
      if (member_ended_) {
        // Between members: more input starts another one, the end of the input ends the stream.
        if (z_.avail_in == 0) {
          if (input_ended_) finished_ = true;
          continue;
        }
        KINDLING_CHECK(inflateReset(&z_) == Z_OK, "cannot restart zlib for '", name_, "'");
        member_ended_ = false;
      }
      const auto room =
          static_cast<uInt>(std::min<std::size_t>(n - done, std::numeric_limits<uInt>::max()));
      z_.next_out = dst + done;
      z_.avail_out = room;
      const uInt in_before = z_.avail_in;
      const int status = inflate(&z_, Z_NO_FLUSH);
      consumed_ += in_before - z_.avail_in;
      done += room - z_.avail_out;
      const bool progress = in_before != z_.avail_in || room != z_.avail_out;
      if (status == Z_STREAM_END) {
        member_ended_ = true;
      } else if (status == Z_OK || status == Z_BUF_ERROR) {
        // No progress with all input given means the stream stops mid-member.
        if (!progress && z_.avail_in == 0 && input_ended_) fail("truncated file");
        if (!progress && z_.avail_in != 0) fail(z_.msg ? z_.msg : "inflate error");
      } else {
        fail(z_.msg ? z_.msg : "inflate error");
      }
    }
    produced_ += done;
    return done;
  }
  std::optional<std::uint64_t> exact_remaining() const override { return std::nullopt; }
  std::optional<std::uint64_t> max_remaining() const override {
    if (!bound_) return std::nullopt;
    return *bound_ > produced_ ? *bound_ - produced_ : 0;
  }
  const char* kind() const noexcept override { return "gzip file"; }

 private:
  void feed(std::span<const std::uint8_t> piece) {
    z_.next_in = const_cast<Bytef*>(piece.data());  // zlib's API is not const-correct
    z_.avail_in = static_cast<uInt>(piece.size());  // pieces are at most 1 GiB
  }
  [[noreturn]] void fail(const char* reason) const {
    ::kindling::detail::throw_error("corrupt gzip data in '", name_, "' at compressed byte offset ",
                                    consumed_, " (", produced_, " bytes decompressed): ", reason);
  }

  ChunkSource& source_;
  const std::string& name_;
  z_stream z_{};
  std::optional<std::uint64_t> bound_;
  std::uint64_t consumed_ = 0, produced_ = 0;
  bool input_ended_ = false, member_ended_ = false, finished_ = false;
};

}  // namespace

std::unique_ptr<ByteStream> open_stream(ChunkSource& source, const std::string& name) {
  const std::span<const std::uint8_t> first = source.next();
  if (first.size() >= 2 && first[0] == 0x1f && first[1] == 0x8b)
    return std::make_unique<GzipStream>(source, first, name);
  return std::make_unique<PlainStream>(source, first);
}

std::vector<std::uint8_t> read_all(ByteStream& in) {
  std::vector<std::uint8_t> out;
  if (const auto exact = in.exact_remaining()) out.reserve(static_cast<std::size_t>(*exact));
  std::uint8_t chunk[1 << 16];
  for (;;) {
    const std::size_t n = in.read(chunk, sizeof chunk);
    out.insert(out.end(), chunk, chunk + n);
    if (n < sizeof chunk) return out;
  }
}

}  // namespace kindling::nn::io
