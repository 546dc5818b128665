import Foundation
import Testing

@testable import Randomness

@Suite struct GaussianFillTests {
  /// Bulk draws are exactly the one-at-a-time draws, whatever state the stream is in (a spare
  /// Gaussian pending, words left in the current block) and whatever the count's parity.
  @Test(arguments: [0, 1, 2, 3, 5])
  func fillGaussiansEqualsRepeatedDraws(warmup: Int) {
    for count in [0, 1, 2, 7, 100, 1001] {
      var one = RandomStream(seed: 9, purpose: .data, client: 3)
      var bulk = one
      // Leave the streams mid-block or with a spare.
      for _ in 0..<warmup { _ = one.nextUInt32() }
      for _ in 0..<warmup { _ = bulk.nextUInt32() }
      if warmup == 5 {
        _ = one.nextGaussian()
        _ = bulk.nextGaussian()
      }
      let expected = (0..<count).map { _ in one.nextGaussian() }
      var got = [Double](repeating: .nan, count: count)
      got.withUnsafeMutableBufferPointer { bulk.fillGaussians($0.baseAddress!, count: count) }
      #expect(got == expected, "warm-up \(warmup), count \(count)")
      // And the streams continue identically.
      #expect(one.nextGaussian() == bulk.nextGaussian())
    }
  }

  /// `sincos` agrees bit for bit with `sin` and `cos` on the angles Box–Muller produces.
  @Test func sincosMatchesSinAndCos() {
    var stream = RandomStream(seed: 1, purpose: .noise)
    for _ in 0..<200_000 {
      let angle = 2 * Double.pi * stream.nextDouble()
      let (s, c) = _sincos(angle)
      #expect(s == sin(angle) && c == cos(angle))
      if s != sin(angle) || c != cos(angle) { return }
    }
  }
}
