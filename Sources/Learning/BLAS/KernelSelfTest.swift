import CBLAS
import Foundation

/// A numerical self-test of the loaded OpenBLAS kernel: SGEMM on shapes that exercise its edge
/// cases — every transpose combination, odd sizes, a single row, leading dimensions wider than
/// the matrices, α ≠ 1 and β ≠ 0 — against a Float64 reference.
///
/// The error of each element is measured relative to what rounding can explain,
/// |C − C_ref| / (|α|·Σ_l |a_il·b_lj| + |β·c_ij|), and the test passes when the largest is at
/// most `tolerance` = 8·k_max·2⁻²⁴ ≈ 1.2e-4 (k_max = 257): a correct kernel stays orders of
/// magnitude below it, a wrong one (a broken micro-kernel, a bad edge case) is far above.
public enum KernelSelfTest {
  struct Shape {
    let transA: Transpose, transB: Transpose
    let m: Int, n: Int, k: Int
    /// Extra columns of padding in each operand's row stride.
    let pad: Int
  }

  static let shapes: [Shape] = [
    Shape(transA: .none, transB: .none, m: 37, n: 29, k: 41, pad: 3),
    Shape(transA: .none, transB: .transposed, m: 64, n: 48, k: 80, pad: 0),
    Shape(transA: .transposed, transB: .none, m: 129, n: 65, k: 257, pad: 5),
    Shape(transA: .transposed, transB: .transposed, m: 31, n: 97, k: 16, pad: 1),
    Shape(transA: .none, transB: .transposed, m: 1, n: 513, k: 7, pad: 2),
    Shape(transA: .none, transB: .none, m: 200, n: 1, k: 129, pad: 4),
    Shape(transA: .none, transB: .none, m: 96, n: 96, k: 96, pad: 0),
  ]

  public static let tolerance = 8 * 257 * 0x1p-24

  /// A GEMM with `gemm`'s signature (the self-test's subject; tests pass deliberately broken ones).
  public typealias GEMM =
    @Sendable (
      Transpose, Transpose, Int, Int, Int, Float, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, Float, UnsafeMutablePointer<Float>,
      Int
    ) -> Void

  /// OpenBLAS's SGEMM.
  public static let openBLAS: GEMM = { ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
    gemm(ta, tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
  }

  /// The largest relative error over every shape (see the type's description).
  public static func maxError(of subject: GEMM = openBLAS) -> Double {
    var generator = SplitMix(state: 0x5EED_B1A5)
    var worst = 0.0
    let alpha: Float = 0.75, beta: Float = -0.5
    for shape in shapes {
      // Stored shapes of op(A) = m×k and op(B) = k×n, row-major, with padded row strides.
      let (aRows, aColumns) = shape.transA == .none ? (shape.m, shape.k) : (shape.k, shape.m)
      let (bRows, bColumns) = shape.transB == .none ? (shape.k, shape.n) : (shape.n, shape.k)
      let lda = aColumns + shape.pad, ldb = bColumns + shape.pad, ldc = shape.n + shape.pad
      let a = (0..<(aRows * lda)).map { _ in generator.nextFloat() }
      let b = (0..<(bRows * ldb)).map { _ in generator.nextFloat() }
      let c0 = (0..<(shape.m * ldc)).map { _ in generator.nextFloat() }
      var c = c0
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          c.withUnsafeMutableBufferPointer { c in
            subject(
              shape.transA, shape.transB, shape.m, shape.n, shape.k, alpha, a.baseAddress!, lda, b.baseAddress!, ldb, beta,
              c.baseAddress!, ldc)
          }
        }
      }
      for i in 0..<shape.m {
        for j in 0..<shape.n {
          var exact = 0.0, magnitude = 0.0
          for l in 0..<shape.k {
            let x = Double(shape.transA == .none ? a[i * lda + l] : a[l * lda + i])
            let y = Double(shape.transB == .none ? b[l * ldb + j] : b[j * ldb + l])
            exact += x * y
            magnitude += abs(x * y)
          }
          let reference = Double(alpha) * exact + Double(beta) * Double(c0[i * ldc + j])
          let scale = Double(abs(alpha)) * magnitude + abs(Double(beta) * Double(c0[i * ldc + j]))
          let error = abs(Double(c[i * ldc + j]) - reference) / max(scale, .leastNormalMagnitude)
          worst = max(worst, error.isNaN ? .infinity : error)
        }
        // Padding must be left alone.
        for j in shape.n..<ldc where c[i * ldc + j] != c0[i * ldc + j] { worst = .infinity }
      }
    }
    return worst
  }

  /// SGEMM throughput on 512×512×512 (best of a few calls), GFLOP/s, on one BLAS thread when
  /// `singleThread` — which sets OpenBLAS's process-wide thread count for the measurement, so only
  /// where nothing else runs BLAS (at start-up) — otherwise on the current thread count.
  public static func gflops(size: Int = 512, repeats: Int = 4, singleThread: Bool = true) -> Double {
    let threads = BLAS.threads
    if singleThread { BLAS.threads = 1 }
    defer { if singleThread { BLAS.threads = threads } }
    let a = [Float](repeating: 0.5, count: size * size), b = a
    var c = [Float](repeating: 0, count: size * size)
    var best = Double.infinity
    for _ in 0...repeats {  // the first call warms up
      let start = DispatchTime.now().uptimeNanoseconds
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          c.withUnsafeMutableBufferPointer { c in
            gemm(
              .none, .none, m: size, n: size, k: size, a: a.baseAddress!, lda: size, b: b.baseAddress!, ldb: size, c: c.baseAddress!,
              ldc: size)
          }
        }
      }
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    return 2 * Double(size * size * size) / best / 1e9
  }

  /// The self-test and throughput of the kernel loaded in this process. `FEDSIM_BLAS_FAIL_SELF_TEST`
  /// = a kernel name makes that kernel's self-test fail (fault injection for FedSim's own tests).
  public static func probeLoaded(requested: String? = nil, singleThread: Bool = true) -> KernelProbe {
    let injected = ProcessInfo.processInfo.environment["FEDSIM_BLAS_FAIL_SELF_TEST"]?.lowercased() == BLAS.coreName.lowercased()
    let error = injected ? .infinity : maxError()
    return KernelProbe(
      requested: requested ?? BLAS.coreName, reported: BLAS.coreName, passed: error <= tolerance, maxError: error,
      gflops: gflops(singleThread: singleThread))
  }
}

/// SplitMix64: a tiny fixed generator for the self-test's inputs (uniform in [−1, 1)).
struct SplitMix {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-23 - 1 }
}
