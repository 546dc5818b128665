import CMathShim
import Foundation
import Testing

@testable import Randomness

@Suite struct ZigguratTests {
  /// Eight blocks side by side are the eight blocks one at a time, including across the
  /// wrap-around of the block counter.
  @Test func blocks8EqualsEightBlocks() {
    let generator = Philox4x32(key: (0xDEAD_BEEF, 0x0123_4567))
    for start: UInt32 in [0, 5, 0xFFFF_FFFC] {
      let counter: (UInt32, UInt32, UInt32, UInt32) = (start, 7, 11, 13)
      let (w0, w1, w2, w3) = generator.blocks8(counter)
      for lane in 0..<8 {
        let one = generator.block((start &+ UInt32(lane), 7, 11, 13))
        #expect([w0[lane], w1[lane], w2[lane], w3[lane]] == [one.0, one.1, one.2, one.3], "start \(start), lane \(lane)")
      }
    }
  }

  /// Every compiled variant of the C word generator the CPU can run (baseline, AVX2, AVX-512)
  /// gives `block`'s words, across the wrap-around of the block counter: the instruction set
  /// chosen at load time never changes a result.
  @Test func everyPhiloxVariantEqualsBlock() {
    let key: (UInt32, UInt32) = (0x0BAD_CAFE, 0x7654_3210)
    let generator = Philox4x32(key: key)
    var ran: [Int32] = []
    for variant: Int32 in [0, 1, 2] {
      for start: UInt32 in [0, 3, 0xFFFF_FFF0] {
        var words = [UInt64](repeating: 0, count: 48)
        let supported = words.withUnsafeMutableBufferPointer {
          fedsim_philox4x32_words_variant(variant, key.0, key.1, start, 9, 0xFFFF_FFFF, 21, $0.baseAddress!, 3)
        }
        guard supported == 1 else { continue }
        if start == 0 { ran.append(variant) }
        for block in 0..<24 {
          let one = generator.block((start &+ UInt32(block), 9, 0xFFFF_FFFF, 21))
          #expect(words[2 * block] == UInt64(one.0) << 32 | UInt64(one.1), "variant \(variant), start \(start), block \(block)")
          #expect(words[2 * block + 1] == UInt64(one.2) << 32 | UInt64(one.3), "variant \(variant), start \(start), block \(block)")
        }
      }
    }
    #expect(ran.first == 0, "the baseline variant runs everywhere")
  }

  /// The buffered words are `nextUInt64`'s words, in order, over several refills.
  @Test func wordBufferEqualsNextUInt64() {
    var stream = RandomStream(seed: 4, purpose: .data, client: 2)
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 32) { storage in
      var words = WordBuffer(generator: stream.generator, counter: stream.counter, storage: storage.baseAddress!, capacity: 32)
      for k in 0..<100 {
        let expected = stream.nextUInt64()
        #expect(words.next() == expected, "word \(k)")
      }
      // 100 words = 50 blocks: the next block is the 51st.
      #expect(words.nextBlock == 50)
    }
  }

  /// Kolmogorov–Smirnov against Φ on 200,000 draws (critical value at α = 0.001: 1.95/√n), the
  /// first four moments, and the tail beyond r (drawn by its own path) at its probability.
  @Test func drawsAreStandardNormal() {
    let n = 200_000
    var stream = RandomStream(seed: 12, purpose: .data)
    var draws = [Double](repeating: .nan, count: n)
    draws.withUnsafeMutableBufferPointer { stream.fillNormals($0.baseAddress!, count: n) }
    #expect(draws.allSatisfy { $0.isFinite })
    let sorted = draws.sorted()
    var statistic = 0.0
    for (i, x) in sorted.enumerated() {
      let cdf = 0.5 * erfc(-x / 2.0.squareRoot())
      statistic = max(statistic, abs(cdf - Double(i) / Double(n)), abs(cdf - Double(i + 1) / Double(n)))
    }
    #expect(statistic < 1.95 / Double(n).squareRoot(), "KS statistic \(statistic)")
    let mean = draws.reduce(0, +) / Double(n)
    let variance = draws.reduce(0) { $0 + $1 * $1 } / Double(n)
    let skew = draws.reduce(0) { $0 + $1 * $1 * $1 } / Double(n)
    let kurtosis = draws.reduce(0) { $0 + $1 * $1 * $1 * $1 } / Double(n)
    // Standard errors: 1/√n, √(2/n), √(15/n), √(96/n); bounds at about 5 of them.
    #expect(abs(mean) < 0.012 && abs(variance - 1) < 0.016 && abs(skew) < 0.045 && abs(kurtosis - 3) < 0.11)
    // P(|Z| > r) = 2.58e-4: ~52 draws expected; Poisson bounds at about 4.5 σ.
    let tail = draws.filter { abs($0) > ZigguratTables.r }.count
    #expect((20...90).contains(tail), "tail draws \(tail)")
    // Both signs in the tail (the sign is applied after the tail path).
    #expect(draws.contains { $0 < -ZigguratTables.r } && draws.contains { $0 > ZigguratTables.r })
  }

  /// The wedges (layers' outer parts) follow the density: the fraction of draws in
  /// [x_{i+1}, x_i] of a few layers matches Φ.
  @Test func wedgesFollowTheDensity() {
    let n = 400_000
    var stream = RandomStream(seed: 3, purpose: .data)
    var draws = [Double](repeating: .nan, count: n)
    draws.withUnsafeMutableBufferPointer { stream.fillNormals($0.baseAddress!, count: n) }
    let x = (0..<256).map { ZigguratTables.shared.scale[$0] * 0x1p52 }
    for layer in [1, 2, 40, 128, 254] {
      let (low, high) = (x[layer + 1], x[layer])
      let observed = Double(draws.filter { abs($0) >= low && abs($0) < high }.count) / Double(n)
      let expected = erfc(low / 2.0.squareRoot()) - erfc(high / 2.0.squareRoot())
      let sigma = (expected * (1 - expected) / Double(n)).squareRoot()
      #expect(abs(observed - expected) < 5 * sigma + 1e-6, "layer \(layer): \(observed) vs \(expected)")
    }
  }

  /// Same stream, same draws; the stream continues at the block after the last one read, and
  /// whatever it had buffered is dropped.
  @Test func fillNormalsIsDeterministicAndAdvancesTheStream() {
    var a = RandomStream(seed: 5, purpose: .data, client: 1)
    var b = a
    _ = b.nextUInt32()  // buffered words: dropped by fillNormals
    var first = [Double](repeating: 0, count: 101), second = first
    first.withUnsafeMutableBufferPointer { a.fillNormals($0.baseAddress!, count: 101) }
    second.withUnsafeMutableBufferPointer { b.fillNormals($0.baseAddress!, count: 101) }
    // b's first block was taken by nextUInt32: its draws start one block later.
    #expect(first != second)
    var c = RandomStream(seed: 5, purpose: .data, client: 1)
    var third = [Double](repeating: 0, count: 101)
    third.withUnsafeMutableBufferPointer { c.fillNormals($0.baseAddress!, count: 101) }
    #expect(third == first)
    #expect(c.nextUInt64() == a.nextUInt64())
    // At least one word per draw: 101 draws read at least 51 blocks.
    #expect(a.counter.0 >= 51)
    var empty = RandomStream(seed: 5, purpose: .data, client: 1)
    empty.fillNormals(UnsafeMutablePointer<Double>(bitPattern: 8)!, count: 0)
    #expect(empty.counter.0 == 0)
  }

  /// The draws are those of the one-word-at-a-time loop (the fast path in Swift, word after word)
  /// that the vector fast path replaced: across buffer refills, slow paths and lengths.
  @Test(arguments: [1, 3, 101, 257, 5000])
  func fillNormalsIsTheWordByWordZiggurat(count: Int) {
    for seed: UInt64 in [1, 7, 99] {
      var stream = RandomStream(seed: seed, purpose: .data, client: 3)
      var reference = RandomStream(seed: seed, purpose: .data, client: 3)
      var draws = [Double](repeating: 0, count: count)
      draws.withUnsafeMutableBufferPointer { stream.fillNormals($0.baseAddress!, count: count) }
      let expected = wordByWord(&reference, count: count)
      #expect(draws.map(\.bitPattern) == expected.map(\.bitPattern), "seed \(seed), count \(count)")
      #expect(stream.counter.0 == reference.counter.0)
    }
  }

  /// Every compiled variant of the C fast path gives the word-by-word values and stops at the
  /// first word that needs the slow path (here every fifth word is made to, besides the ~1% that
  /// do anyway).
  @Test func everyZigguratFastVariantMatchesTheScalarPath() {
    var source = RandomStream(seed: 21, purpose: .data)
    var words = (0..<203).map { _ in source.nextUInt64() }
    let tables = ZigguratTables.shared
    for i in stride(from: 4, to: words.count, by: 5) {
      // Magnitude above the layer's inner bound: the slow path.
      let layer = Int(words[i] & 0xFF)
      words[i] = (words[i] & 0xFFF) | ((tables.inside[layer] &+ 1) << 12)
    }
    var ran: [Int32] = []
    for variant: Int32 in [0, 1, 2] {
      var start = 0
      var produced: [Double] = []
      while start < words.count {
        var out = [Double](repeating: .nan, count: words.count - start)
        let n = words.withUnsafeBufferPointer { w in
          tables.scale.withUnsafeBufferPointer { s in
            tables.inside.withUnsafeBufferPointer { inside in
              out.withUnsafeMutableBufferPointer {
                fedsim_ziggurat_fast_variant(
                  variant, w.baseAddress! + start, words.count - start, s.baseAddress!, inside.baseAddress!, $0.baseAddress!)
              }
            }
          }
        }
        if n < 0 { break }
        produced += out.prefix(n)
        start += n + 1  // skip the slow-path word
      }
      guard start >= words.count else { continue }
      ran.append(variant)
      // The words on the fast path: all but the forced ones and the ~1% that need it anyway.
      let fast = words.filter { $0 &>> 12 < tables.inside[Int($0 & 0xFF)] }.map(fastDraw)
      #expect(words.count - fast.count > 40)
      #expect(produced.map(\.bitPattern) == fast.map(\.bitPattern), "variant \(variant)")
    }
    #expect(ran.first == 0, "the baseline variant runs everywhere")
  }

  private func fastDraw(_ word: UInt64) -> Double {
    let tables = ZigguratTables.shared
    let layer = Int(word & 0xFF)
    let x = Double(Int64(bitPattern: word &>> 12)) * tables.scale[layer]
    return Double(bitPattern: x.bitPattern ^ ((word & 0x100) &<< 55))
  }

  /// The ziggurat one word at a time, in Swift.
  private func wordByWord(_ stream: inout RandomStream, count: Int) -> [Double] {
    let tables = ZigguratTables.shared
    let capacity = min(256, (count + count / 32 + 4 + 15) / 16 * 16)
    var output = [Double](repeating: 0, count: count)
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: capacity) { storage in
      var words = WordBuffer(generator: stream.generator, counter: stream.counter, storage: storage.baseAddress!, capacity: capacity)
      for i in 0..<count {
        let word = words.next()
        let layer = Int(word & 0xFF)
        let magnitude = word &>> 12
        let sign = (word & 0x100) &<< 55
        let x = Double(Int64(bitPattern: magnitude)) * tables.scale[layer]
        let value = magnitude < tables.inside[layer] ? x : tables.slowPath(layer: layer, x: x, words: &words)
        output[i] = Double(bitPattern: value.bitPattern ^ sign)
      }
      stream.counter.0 = words.nextBlock
    }
    return output
  }
}
