import CMathShim
import Randomness
import Testing

/// The C kernels behind the convex tasks, every compiled variant the CPU runs (baseline, AVX2,
/// AVX-512F) against plain Swift loops, bit for bit: the instruction set chosen at run time never
/// changes a result.
@Suite struct ConvexKernelTests {
  static let shapes: [(rows: Int, dimension: Int)] = [(0, 5), (1, 1), (3, 7), (32, 100), (37, 103), (71, 33)]

  func matrix(_ count: Int, seed: UInt64) -> [Double] {
    var stream = RandomStream(seed: seed, purpose: .data)
    // Mixed magnitudes and signs, so that the order of additions shows in the last bits.
    return (0..<count).map { _ in stream.nextGaussian() * Double(1 << Int(stream.nextUInt32() % 20)) }
  }

  @Test func columnDotsAreTheTextbookSums() {
    var ran = Set<Int32>()
    for (n, d) in Self.shapes {
      let columns = matrix(n * d, seed: 1), x = matrix(d, seed: 2)
      for rows in [nil, Array(stride(from: n - 1, through: 0, by: -2)), (0..<n).map { ($0 * 7) % max(n, 1) }] as [[Int]?] {
        let chosen = rows ?? Array(0..<n)
        let expected = chosen.map { r in (0..<d).reduce(0.0) { $0 + columns[$1 * n + r] * x[$1] } }
        for variant: Int32 in [0, 1, 2] {
          var z = [Double](repeating: .nan, count: chosen.count)
          let supported = columns.withUnsafeBufferPointer { c in
            x.withUnsafeBufferPointer { x in
              z.withUnsafeMutableBufferPointer { z in
                withRows(rows) { fedsim_column_dots_variant(variant, c.baseAddress, n, d, $0, chosen.count, x.baseAddress, z.baseAddress) }
              }
            }
          }
          guard supported == 1 else { continue }
          ran.insert(variant)
          #expect(z.map(\.bitPattern) == expected.map(\.bitPattern), "variant \(variant), \(n)×\(d), rows \(String(describing: rows))")
        }
      }
    }
    #expect(ran.contains(0))
  }

  @Test func combinedRowsAreTheTextbookSums() {
    var ran = Set<Int32>()
    for (n, d) in Self.shapes {
      let a = matrix(n * d, seed: 3), s = matrix(n, seed: 4), start = matrix(d, seed: 5)
      for rows in [nil, Array(stride(from: n - 1, through: 0, by: -2))] as [[Int]?] {
        let chosen = rows ?? Array(0..<n)
        var expected = start
        for (i, r) in chosen.enumerated() {
          for j in 0..<d { expected[j] += s[i] * a[r * d + j] }
        }
        for variant: Int32 in [0, 1, 2] {
          var g = start
          let supported = a.withUnsafeBufferPointer { a in
            s.withUnsafeBufferPointer { s in
              g.withUnsafeMutableBufferPointer { g in
                withRows(rows) { fedsim_combine_rows_variant(variant, a.baseAddress, d, $0, chosen.count, s.baseAddress, g.baseAddress) }
              }
            }
          }
          guard supported == 1 else { continue }
          ran.insert(variant)
          #expect(g.map(\.bitPattern) == expected.map(\.bitPattern), "variant \(variant), \(n)×\(d)")
        }
      }
    }
    #expect(ran.contains(0))
  }

  @Test func transposeWritesColumnMajor() {
    for (n, d) in Self.shapes {
      let a = matrix(n * d, seed: 6)
      var t = [Double](repeating: .nan, count: n * d)
      a.withUnsafeBufferPointer { a in t.withUnsafeMutableBufferPointer { fedsim_transpose(a.baseAddress, n, d, $0.baseAddress) } }
      for i in 0..<n {
        for j in 0..<d { #expect(t[j * n + i].bitPattern == a[i * d + j].bitPattern) }
      }
    }
  }

  private func withRows<R>(_ rows: [Int]?, _ body: (UnsafePointer<Int>?) -> R) -> R {
    guard let rows else { return body(nil) }
    return rows.withUnsafeBufferPointer { body($0.baseAddress) }
  }
}
