// The fuzz input read as a stream of small decisions. Reading past the end
// yields zeros, so every input, however short, is a complete program.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fuzz {

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool done() const { return pos_ >= size_; }
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(byte() | byte() << 8); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) | static_cast<uint32_t>(u16()) << 16; }
  // A value in [0, n), n > 0.
  size_t below(size_t n) { return (n <= 256 ? byte() : n <= 65536 ? u16() : u32()) % n; }

  // A request size, mostly small (where most programs live), sometimes
  // medium and large, rarely huge (a span of its own).
  size_t size() {
    switch (byte() & 7) {
      case 0: case 1: case 2: case 3: return byte();
      case 4: case 5: return u16() % 4096;
      case 6: return u32() % (256 << 10);
      default: return (byte() & 3) == 0 ? (1 << 20) + u32() % (7 << 20) : u32() % (1 << 20);
    }
  }

  // A power-of-two alignment: up to 64 KiB, rarely up to 4 MiB.
  size_t alignment() {
    const unsigned shift = byte() % 23;
    return size_t{1} << (shift <= 16 ? shift : (byte() & 7) == 0 ? shift : shift - 6);
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace fuzz
