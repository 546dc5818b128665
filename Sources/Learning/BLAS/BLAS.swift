import CBLAS
import Foundation

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
  case none, transposed

  @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Row-major single-precision GEMM: C = alpha · op(A) · op(B) + beta · C, where op(A) is m×k and
/// op(B) is k×n. Leading dimensions are row strides in elements, which lets callers address heads
/// inside a packed (tokens, heads·headDim) buffer without copies.
@inlinable
public func gemm(
  _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
  alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  cblas_sgemm(
    CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b,
    Int32(ldb), beta, c, Int32(ldc))
}

/// Process-wide BLAS settings.
public enum BLAS {
  /// Number of threads OpenBLAS uses inside one call (process-global).
  public static var threads: Int {
    get { Int(openblas_get_num_threads()) }
    set { openblas_set_num_threads(Int32(newValue)) }
  }

  /// The kernel family OpenBLAS selected for this CPU (e.g. "Haswell", "SkylakeX").
  public static var coreName: String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name).trimmingCharacters(in: .whitespaces)
  }

  /// OpenBLAS's build description, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH … Haswell MAX_THREADS=64".
  public static var config: String {
    guard let text = openblas_get_config() else { return "unknown" }
    return String(cString: text).trimmingCharacters(in: .whitespaces)
  }
}
