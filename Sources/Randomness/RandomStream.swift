import CMathShim

/// A reproducible stream of random numbers addressed by (seed, purpose, client, round, step).
///
/// The key is derived from the seed and the purpose; client, round and step fill three counter
/// words and the fourth counts 128-bit blocks inside the stream (2³² blocks, 64 GiB of output).
/// Two streams that differ in any coordinate are statistically independent.
public struct RandomStream: Sendable {
  @usableFromInline let generator: Philox4x32
  @usableFromInline var counter: (UInt32, UInt32, UInt32, UInt32)
  @usableFromInline var buffered: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
  @usableFromInline var available = 0
  @usableFromInline var spareGaussian: Double? = nil

  public init(
    seed: UInt64, purpose: StreamPurpose, client: UInt32 = 0, round: UInt32 = 0, step: UInt32 = 0
  ) {
    let mixed = RandomStream.splitMix(seed ^ RandomStream.splitMix(purpose.rawValue))
    generator = Philox4x32(key: (UInt32(truncatingIfNeeded: mixed), UInt32(truncatingIfNeeded: mixed >> 32)))
    counter = (0, step, round, client)
  }

  /// SplitMix64's finaliser: a bijective 64-bit mixer (Steele, Lea, Flood 2014).
  @inlinable
  static func splitMix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  @inlinable
  public mutating func nextUInt32() -> UInt32 {
    if available == 0 {
      buffered = generator.block(counter)
      counter.0 &+= 1
      available = 4
    }
    available -= 1
    switch available {
    case 3: return buffered.0
    case 2: return buffered.1
    case 1: return buffered.2
    default: return buffered.3
    }
  }

  /// Writes the next `count` words of the stream: exactly what `count` calls of `nextUInt32`
  /// would return, a whole block at a time (for bulk draws such as dropout masks).
  public mutating func fill(_ output: UnsafeMutablePointer<UInt32>, count: Int) {
    var i = 0
    while i < count && available > 0 {
      output[i] = nextUInt32()
      i += 1
    }
    while count - i >= 4 {
      let block = generator.block(counter)
      counter.0 &+= 1
      output[i] = block.0
      output[i + 1] = block.1
      output[i + 2] = block.2
      output[i + 3] = block.3
      i += 4
    }
    while i < count {
      output[i] = nextUInt32()
      i += 1
    }
  }

  /// Writes the next `count` standard normal draws: exactly what `count` calls of
  /// `nextGaussian` would return (the same uniforms, the same Box–Muller arithmetic, the same
  /// spare), a Philox block per pair and one `sincos` per angle — about twice as fast, for bulk
  /// draws such as synthetic data sets.
  public mutating func fillGaussians(_ output: UnsafeMutablePointer<Double>, count: Int) {
    var i = 0
    // Until the stream sits on a block boundary with no spare, draw one at a time.
    while i < count && (spareGaussian != nil || available != 0) {
      output[i] = nextGaussian()
      i += 1
    }
    while count - i >= 2 {
      // nextDouble twice: u1 from words 0–1, u2 from words 2–3 of one block.
      let block = generator.block(counter)
      counter.0 &+= 1
      let u1 = 1.0 - Double((UInt64(block.0) << 32 | UInt64(block.1)) >> 11) * 0x1p-53
      let u2 = Double((UInt64(block.2) << 32 | UInt64(block.3)) >> 11) * 0x1p-53
      let radius = (-2.0 * _log(u1)).squareRoot()
      let (sine, cosine) = _sincos(2.0 * Double.pi * u2)
      output[i] = radius * cosine
      output[i + 1] = radius * sine
      i += 2
    }
    if i < count { output[i] = nextGaussian() }
  }

  @inlinable
  public mutating func nextUInt64() -> UInt64 {
    UInt64(nextUInt32()) << 32 | UInt64(nextUInt32())
  }

  /// Uniform in [0, 1) with 24 random bits.
  @inlinable
  public mutating func nextFloat() -> Float {
    Float(nextUInt32() >> 8) * 0x1p-24
  }

  /// Uniform in [0, 1) with 53 random bits.
  @inlinable
  public mutating func nextDouble() -> Double {
    Double(nextUInt64() >> 11) * 0x1p-53
  }

  /// Uniform integer in 0..<bound, without modulo bias (Lemire's method).
  @inlinable
  public mutating func nextInt(below bound: Int) -> Int {
    precondition(bound > 0, "bound must be positive")
    let range = UInt64(bound)
    var product = nextUInt64().multipliedFullWidth(by: range)
    if product.low < range {
      let threshold = (0 &- range) % range
      while product.low < threshold { product = nextUInt64().multipliedFullWidth(by: range) }
    }
    return Int(product.high)
  }

  /// A standard normal draw (Box–Muller; the second value of each pair is kept for the next call).
  @inlinable
  public mutating func nextGaussian() -> Double {
    if let spare = spareGaussian {
      spareGaussian = nil
      return spare
    }
    // 1 - u keeps the logarithm's argument in (0, 1].
    let u1 = 1.0 - nextDouble()
    let u2 = nextDouble()
    let radius = (-2.0 * _log(u1)).squareRoot()
    let angle = 2.0 * Double.pi * u2
    spareGaussian = radius * _sin(angle)
    return radius * _cos(angle)
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

@usableFromInline func _log(_ x: Double) -> Double { log(x) }
@usableFromInline func _exp(_ x: Double) -> Double { exp(x) }
@usableFromInline func _sin(_ x: Double) -> Double { sin(x) }
@usableFromInline func _cos(_ x: Double) -> Double { cos(x) }
/// (sin x, cos x) in one call where the C library has `sincos` (glibc: the same results as
/// `sin` and `cos`, checked by a test).
@usableFromInline func _sincos(_ x: Double) -> (Double, Double) {
  var s = 0.0, c = 0.0
  fedsim_sincos(x, &s, &c)
  return (s, c)
}
