import Testing

@testable import Randomness

@Suite struct PhiloxTests {
  // Known-answer vectors of Random123 (kat_vectors, philox4x32_10).
  @Test func knownAnswerZero() {
    let out = Philox4x32(key: (0, 0)).block((0, 0, 0, 0))
    #expect([out.0, out.1, out.2, out.3] == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
  }

  @Test func knownAnswerOnes() {
    let out = Philox4x32(key: (0xffff_ffff, 0xffff_ffff)).block((0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff))
    #expect([out.0, out.1, out.2, out.3] == [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
  }

  @Test func knownAnswerPi() {
    let out = Philox4x32(key: (0xa409_3822, 0x299f_31d0)).block((0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344))
    #expect([out.0, out.1, out.2, out.3] == [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
  }
}

@Suite struct RandomStreamTests {
  @Test func sameCoordinatesGiveSameStream() {
    var a = RandomStream(seed: 7, purpose: .batches, client: 3, round: 2, step: 1)
    var b = RandomStream(seed: 7, purpose: .batches, client: 3, round: 2, step: 1)
    for _ in 0..<100 { #expect(a.nextUInt32() == b.nextUInt32()) }
  }

  @Test func anyCoordinateChangesTheStream() {
    func first(_ s: RandomStream) -> [UInt32] {
      var s = s
      return (0..<8).map { _ in s.nextUInt32() }
    }
    let base = first(RandomStream(seed: 7, purpose: .batches, client: 3, round: 2, step: 1))
    #expect(base != first(RandomStream(seed: 8, purpose: .batches, client: 3, round: 2, step: 1)))
    #expect(base != first(RandomStream(seed: 7, purpose: .dropout, client: 3, round: 2, step: 1)))
    #expect(base != first(RandomStream(seed: 7, purpose: .batches, client: 4, round: 2, step: 1)))
    #expect(base != first(RandomStream(seed: 7, purpose: .batches, client: 3, round: 3, step: 1)))
    #expect(base != first(RandomStream(seed: 7, purpose: .batches, client: 3, round: 2, step: 2)))
  }

  @Test func uniformAndGaussianMoments() {
    var s = RandomStream(seed: 1, purpose: .noise)
    let n = 200_000
    var sum = 0.0, sumSquares = 0.0, usum = 0.0
    for _ in 0..<n {
      let g = s.nextGaussian()
      sum += g
      sumSquares += g * g
      let u = s.nextDouble()
      #expect(u >= 0 && u < 1)
      usum += u
    }
    #expect(abs(sum / Double(n)) < 0.01)
    #expect(abs(sumSquares / Double(n) - 1) < 0.01)
    #expect(abs(usum / Double(n) - 0.5) < 0.005)
  }

  @Test func boundedIntegersAreInRangeAndCoverIt() {
    var s = RandomStream(seed: 2, purpose: .data)
    var seen = Set<Int>()
    for _ in 0..<1000 {
      let v = s.nextInt(below: 7)
      #expect((0..<7).contains(v))
      seen.insert(v)
    }
    #expect(seen.count == 7)
  }
}

@Suite struct BulkFillTests {
  @Test(arguments: [0, 1, 3, 4, 7, 64, 259])
  func fillEqualsRepeatedDraws(offset: Int) {
    var single = RandomStream(seed: 11, purpose: .dropout, client: 2, round: 3, step: 4)
    var bulk = single
    // Start in the middle of a block, then compare a long run and what follows it.
    for _ in 0..<offset {
      _ = single.nextUInt32()
      _ = bulk.nextUInt32()
    }
    let expected = (0..<1001).map { _ in single.nextUInt32() }
    var words = [UInt32](repeating: 0, count: 1001)
    words.withUnsafeMutableBufferPointer { bulk.fill($0.baseAddress!, count: 1001) }
    #expect(words == expected)
    #expect(bulk.nextUInt32() == single.nextUInt32())
  }
}
