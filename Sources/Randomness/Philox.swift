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
}
