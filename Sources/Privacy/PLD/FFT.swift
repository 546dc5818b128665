#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Linear convolution of two non-negative sequences by a radix-2 complex FFT (iterative
/// Cooley–Tukey, Float64): O(n log n) instead of O(n²) for the long probability vectors of
/// privacy-loss composition. Round-off is ~1e-16 of the largest output; results are clamped at 0.
enum Convolution {
  static func convolve(_ a: [Double], _ b: [Double]) -> [Double] {
    guard !a.isEmpty, !b.isEmpty else { return [] }
    let count = a.count + b.count - 1
    // Short inputs: directly (exact, and faster than three transforms).
    if min(a.count, b.count) <= 32 {
      var out = [Double](repeating: 0, count: count)
      for i in 0..<a.count where a[i] != 0 {
        for j in 0..<b.count { out[i + j] += a[i] * b[j] }
      }
      return out
    }
    var size = 1
    while size < count { size <<= 1 }
    let twiddles = Twiddles(size: size)
    var re1 = [Double](repeating: 0, count: size), im1 = re1
    for i in 0..<a.count { re1[i] = a[i] }
    transform(&re1, &im1, inverse: false, twiddles: twiddles)
    var re2 = re1, im2 = im1
    // A sequence convolved with itself (repeated squaring) is transformed once.
    if !(a.count == b.count && a == b) {
      re2 = [Double](repeating: 0, count: size)
      im2 = re2
      for i in 0..<b.count { re2[i] = b[i] }
      transform(&re2, &im2, inverse: false, twiddles: twiddles)
    }
    for i in 0..<size {
      let (r, m) = (re1[i] * re2[i] - im1[i] * im2[i], re1[i] * im2[i] + im1[i] * re2[i])
      re1[i] = r
      im1[i] = m
    }
    transform(&re1, &im1, inverse: true, twiddles: twiddles)
    let scale = 1 / Double(size)
    return (0..<count).map { max(0, re1[$0] * scale) }
  }

  /// exp(−2πik/n) for k < n/2, each computed directly (not by recurrence) to keep round-off at
  /// machine level; a stage of length L uses every (n/L)-th, the inverse their conjugates. One
  /// table serves the three transforms of a convolution.
  struct Twiddles {
    let size: Int
    let re: [Double]
    let im: [Double]

    init(size: Int) {
      self.size = size
      let half = max(1, size / 2)
      let angle = -2 * Double.pi / Double(size)
      re = (0..<half).map { cos(angle * Double($0)) }
      im = (0..<half).map { sin(angle * Double($0)) }
    }
  }

  /// In-place FFT of a power-of-two length (unnormalised inverse).
  static func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool, twiddles: Twiddles? = nil) {
    let n = re.count
    guard n > 1 else { return }
    let table = twiddles.flatMap { $0.size == n ? $0 : nil } ?? Twiddles(size: n)
    let sign: Double = inverse ? -1 : 1
    re.withUnsafeMutableBufferPointer { re in
      im.withUnsafeMutableBufferPointer { im in
        // Bit-reversal permutation.
        var j = 0
        for i in 1..<n {
          var bit = n >> 1
          while j & bit != 0 {
            j ^= bit
            bit >>= 1
          }
          j |= bit
          if i < j {
            re.swapAt(i, j)
            im.swapAt(i, j)
          }
        }
        var length = 2
        while length <= n {
          let half = length / 2
          let stride = n / length
          // This stage's twiddles, contiguous for the butterflies.
          let wr = (0..<half).map { table.re[$0 * stride] }
          let wi = (0..<half).map { sign * table.im[$0 * stride] }
          var start = 0
          while start < n {
            for k in 0..<half {
              let u = start + k, v = u + half
              let tr = re[v] * wr[k] - im[v] * wi[k]
              let ti = re[v] * wi[k] + im[v] * wr[k]
              re[v] = re[u] - tr
              im[v] = im[u] - ti
              re[u] += tr
              im[u] += ti
            }
            start += length
          }
          length <<= 1
        }
      }
    }
  }
}
