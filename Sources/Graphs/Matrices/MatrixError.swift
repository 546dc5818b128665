/// Why a matrix operation could not run.
public enum MatrixError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The element count does not match the declared shape.
  case shapeMismatch(rows: Int, columns: Int, elementCount: Int)
  /// The operation needs a square matrix.
  case notSquare(rows: Int, columns: Int)
  /// A symmetric eigensolver was given a matrix that is not symmetric (LAPACK would silently read
  /// one triangle only), or one with a non-finite entry.
  case notSymmetric(MatrixViolation)
  /// The matrix is larger than LAPACK's 32-bit integer interface can address.
  case tooLarge(n: Int, limit: Int)
  /// A LAPACK routine reported failure: `info < 0` means argument −info was invalid, `info > 0`
  /// that the algorithm did not converge.
  case lapack(routine: String, info: Int)

  public var description: String {
    switch self {
    case .shapeMismatch(let rows, let columns, let count):
      return "a \(rows)×\(columns) matrix needs \(rows * columns) elements, found \(count)"
    case .notSquare(let rows, let columns):
      return "expected a square matrix, found \(rows)×\(columns)"
    case .notSymmetric(let violation):
      return "expected a symmetric matrix: \(violation)"
    case .tooLarge(let n, let limit):
      return "matrix of order \(n) is too large for LAPACK (at most \(limit))"
    case .lapack(let routine, let info) where info < 0:
      return "LAPACK \(routine): argument \(-info) had an illegal value"
    case .lapack(let routine, let info):
      return "LAPACK \(routine) failed to converge (info = \(info))"
    }
  }
}
