/// Philox4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers: as easy
/// as 1, 2, 3" (SC'11).
///
/// A counter-based generator is a pure function of (key, counter): any block of the stream can be
/// computed directly, so streams never need to be shared, locked or advanced in a fixed order. That
/// is what makes simulations bit-identical whatever the number of worker threads.
public struct Philox4x32: Sendable, Hashable {
  /// The 64-bit key, as two 32-bit words.
  public var key: (UInt32, UInt32)

  public init(key: (UInt32, UInt32)) { self.key = key }

  public static func == (lhs: Philox4x32, rhs: Philox4x32) -> Bool {
    lhs.key.0 == rhs.key.0 && lhs.key.1 == rhs.key.1
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(key.0)
    hasher.combine(key.1)
  }

  /// The 128-bit output block for a 128-bit counter.
  @inlinable
  public func block(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
    var c = counter
    var k = key
    for round in 0..<10 {
      if round > 0 {
        k.0 &+= 0x9E37_79B9
        k.1 &+= 0xBB67_AE85
      }
      let p0 = UInt64(0xD251_1F53) &* UInt64(c.0)
      let p1 = UInt64(0xCD9E_8D57) &* UInt64(c.2)
      let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
      let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
      c = (hi1 ^ c.1 ^ k.0, lo1, hi0 ^ c.3 ^ k.1, lo0)
    }
    return c
  }

  /// The blocks of eight consecutive counters (word 0 = c, c+1, …, c+7; the other words as
  /// given), lane j of each result holding word 0…3 of counter c + j: the same values as eight
  /// calls of `block`, several times faster because the eight multiply chains are independent.
  @inlinable
  public func blocks8(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>) {
    var c0 = SIMD8<UInt32>(repeating: counter.0) &+ SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
    var c1 = SIMD8<UInt32>(repeating: counter.1)
    var c2 = SIMD8<UInt32>(repeating: counter.2)
    var c3 = SIMD8<UInt32>(repeating: counter.3)
    var k = key
    let m0 = SIMD8<UInt64>(repeating: 0xD251_1F53), m1 = SIMD8<UInt64>(repeating: 0xCD9E_8D57)
    for round in 0..<10 {
      if round > 0 {
        k.0 &+= 0x9E37_79B9
        k.1 &+= 0xBB67_AE85
      }
      let p0 = m0 &* SIMD8<UInt64>(truncatingIfNeeded: c0)
      let p1 = m1 &* SIMD8<UInt64>(truncatingIfNeeded: c2)
      let next0 = SIMD8<UInt32>(truncatingIfNeeded: p1 &>> 32) ^ c1 ^ SIMD8(repeating: k.0)
      let next2 = SIMD8<UInt32>(truncatingIfNeeded: p0 &>> 32) ^ c3 ^ SIMD8(repeating: k.1)
      c1 = SIMD8<UInt32>(truncatingIfNeeded: p1)
      c3 = SIMD8<UInt32>(truncatingIfNeeded: p0)
      c0 = next0
      c2 = next2
    }
    return (c0, c1, c2, c3)
  }
}
